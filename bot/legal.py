"""The privacy statement and terms of use the Teams manifest points at (developer.privacyUrl
and termsOfUseUrl): small HTML pages, Spanish or English by `?lang=` or Accept-Language,
their texts in the catalogue like every string people see."""

from __future__ import annotations

import html
from enum import StrEnum

from bot.domain.catalogue import STRINGS, t
from bot.domain.text import Language, parse_language

OTHER_LANGUAGE: dict[Language, Language] = {"es": "en", "en": "es"}


class LegalPage(StrEnum):
    PRIVACY = "privacy"
    TERMS = "terms"


def page_language(query_lang: str | None, accept_language: str | None) -> Language:
    """`?lang=es|en` first, else the first language the browser asks for that we have."""
    if query_lang:
        return parse_language(query_lang)
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith(("es", "en")):
            return parse_language(tag)
    return "en"


def render(page: LegalPage, language: Language) -> str:
    """The whole HTML document, every text escaped."""
    prefix = f"legal.{page.value}."
    paragraphs = sorted(k for k in STRINGS if k.startswith(prefix + "p"))
    other = OTHER_LANGUAGE[language]
    title = html.escape(t(prefix + "title", language))
    body = "\n".join(f"<p>{_inline(t(key, language))}</p>" for key in paragraphs)
    return (f'<!doctype html>\n<html lang="{language}">\n<head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title></head>\n'
            f"<body>\n<h1>{title}</h1>\n{body}\n"
            f'<p><a href="?lang={other}" hreflang="{other}">{html.escape(t("legal.other_language", language))}</a></p>\n'
            "</body>\n</html>\n")


def _inline(text: str) -> str:
    """Escaped text with the catalogue's **bold** as <strong>."""
    parts = html.escape(text).split("**")
    return "".join(f"<strong>{part}</strong>" if i % 2 else part for i, part in enumerate(parts))
