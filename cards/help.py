"""The welcome card (on install) and the help card: per person and place, from the command table."""

from __future__ import annotations

from bot.commands import COMMANDS, Audience, available
from bot.domain.catalogue import t
from bot.domain.text import Language
from cards.base import Card, bullets, card, heading, text, title


def welcome_card(language: Language) -> Card:
    return card(
        [title(t("welcome.title", language)), text(t("welcome.body", language)), text(t("welcome.next", language), subtle=True)],
        fallback_text=t("welcome.title", language),
    )


def help_card(language: Language, is_pm: bool, *, personal: bool = True, in_channel: bool = False) -> Card:
    """What this person may do here: everyone's commands, then (for a PM) the PM's."""
    usable = [spec for spec in COMMANDS if available(spec, is_pm=is_pm, personal=personal, in_channel=in_channel)]
    everyone = [t(spec.help_key, language) for spec in usable if spec.audience is Audience.EVERYONE]
    body = [title(t("help.title", language)), text(t("help.intro", language), subtle=True), bullets(everyone)]
    pm_lines = [t(spec.help_key, language) for spec in usable if spec.audience is Audience.PM]
    if pm_lines:
        body += [heading(t("help.pm", language)), bullets(pm_lines)]
    return card(body, fallback_text=t("help.title", language))
