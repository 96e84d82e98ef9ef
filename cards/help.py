"""The welcome card (on install) and the help card."""

from __future__ import annotations

from bot.domain.catalogue import t
from bot.domain.text import Language
from cards.base import Card, bullets, card, heading, text, title


def welcome_card(language: Language) -> Card:
    return card(
        [title(t("welcome.title", language)), text(t("welcome.body", language)), text(t("welcome.next", language), subtle=True)],
        fallback_text=t("welcome.title", language),
    )


def help_card(language: Language, is_pm: bool) -> Card:
    lines = [t(k, language) for k in ("help.cmd.help", "help.cmd.status", "help.cmd.mytasks", "help.cmd.language", "help.cmd.cancel")]
    lines += [t(k, language) for k in ("help.cmd.port_numbers", "help.cmd.port_orders", "help.cmd.glossary")]  # issue 17
    body = [title(t("help.title", language)), text(t("help.intro", language), subtle=True), bullets(lines)]
    if is_pm:
        pm_lines = [t(k, language) for k in ("help.cmd.new", "help.cmd.statusall", "help.cmd.foc", "help.cmd.port", "help.cmd.digest", "help.cmd.export")]
        body += [heading(t("help.pm", language)), bullets(pm_lines)]
    return card(body, fallback_text=t("help.title", language))
