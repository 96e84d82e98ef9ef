"""Bilingual text: every user-facing string exists in Spanish and English."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Language = Literal["es", "en"]
LANGUAGES: tuple[Language, ...] = ("es", "en")


def parse_language(value: object) -> Language:
    """The one way to read a language: a Bot Framework locale ("es-MX", "EN-us", "es_ES"), a
    stored preference or a form field ("es"). Anything else (None, "", "fr-FR", a number) is
    English, the bot's default, so a bad stored value never breaks a message."""
    if not isinstance(value, str):
        return "en"
    primary = value.strip().lower().replace("_", "-").split("-", 1)[0]
    return "es" if primary == "es" else "en"


@dataclass(frozen=True, slots=True)
class LocalizedText:
    es: str
    en: str

    def get(self, language: Language) -> str:
        return self.es if language == "es" else self.en

    def to_dict(self) -> dict[str, str]:
        return {"es": self.es, "en": self.en}


@dataclass(frozen=True, slots=True)
class Plural:
    """A text that counts something, with its `{n}`: `one` for a count of exactly 1, `other` for
    every other count (0, 2, 21...), the rule Spanish and English share ("1 día", "0 días")."""

    one: LocalizedText
    other: LocalizedText

    def get(self, language: Language, n: int) -> str:
        return (self.one if abs(n) == 1 else self.other).get(language)

    @property
    def forms(self) -> tuple[LocalizedText, LocalizedText]:
        return self.one, self.other


def plural(es_one: str, es_other: str, en_one: str, en_other: str) -> Plural:
    """A catalogue entry that counts: plural("{n} día", "{n} días", "{n} day", "{n} days")."""
    return Plural(LocalizedText(es_one, en_one), LocalizedText(es_other, en_other))


WORD_JOINER = "\u2060"  # invisible; splits a sequence so it no longer reads as markup
_LOOKALIKE = {"*": "\u2217", "_": "\uff3f"}  # ∗ and ＿: emphasis delimiters that no renderer pairs
_TAG = re.compile(r"<(?=[/!?]|[a-z])", re.IGNORECASE)  # <at>, </at>, <a href=...>
_LINK = re.compile(r"\](?=[(\[:])")  # [text](url), [text][ref], [ref]: url
_LIST = re.compile(r"^([ \t]*)(?=(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$))", re.MULTILINE)  # "- item", "1. item"


def plain(text: str) -> str:
    """User-supplied text, shown as typed, that cannot become a mention, a link or formatting.

    Teams' TextBlock Markdown subset is bold/italic (``*``, ``_``), lists at a line's start and
    links; ``<at>`` becomes a mention. Backslash escapes show literally in some Teams clients, so
    only those constructs are broken: an invisible word joiner after a tag's ``<``, between ``]``
    and ``(``, and before a list marker; ``*`` or ``_`` that could pair (two or more) become
    look-alikes. Everything else, parentheses included, stays as written. Call it at render time:
    the store keeps what the person wrote."""
    value = text.replace("\r", " ")
    value = _TAG.sub("<" + WORD_JOINER, value)
    value = _LINK.sub("]" + WORD_JOINER, value)
    value = _LIST.sub(lambda m: m.group(1) + WORD_JOINER, value)
    for char, lookalike in _LOOKALIKE.items():
        if value.count(char) >= 2:
            value = value.replace(char, lookalike)
    return value
