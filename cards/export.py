"""The reply to "export": a short-lived link to the project's full history as CSV."""

from __future__ import annotations

from bot.domain.catalogue import t
from bot.domain.text import Language
from cards.base import Card, card, open_url, plain, text


def export_card(customer_name: str, url: str, language: Language) -> Card:
    return card([text(t("export.ready", language, customer=plain(customer_name)))],
                [open_url(t("export.download", language), url)], fallback_text=t("export.download", language))
