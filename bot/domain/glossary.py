"""The telecom abbreviations the activation source uses, spelled out and explained in both
languages, for `glossary` / `glosario`, `what is CSR` / `qué es LOA`, and the short
"terms on this card" footer (`terms_in`).

Choice (issue 17): each abbreviation is explained on every card where it appears, once per
card, rather than once per person: a card is forwarded, re-read and refreshed, and a person
record would need a write on every card sent. The texts live here as LocalizedText, the way
role labels do: the texts are the catalogue's "glossary.<term>.name" and ".meaning" entries.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from bot.domain import catalogue
from bot.domain.text import Language, LocalizedText


@dataclass(frozen=True, slots=True)
class Term:
    abbreviation: str
    name: LocalizedText  # spelled out
    meaning: LocalizedText  # what it is, in a customer's words


ABBREVIATIONS = (
    "CSR", "LOA", "FOC", "DID", "RESPORG", "BTN", "MPOE", "NRC", "SSA", "COI", "DIA", "PoE", "QoS",
    "VLAN", "CNAM", "AA", "CQ", "UPM", "PM", "T1", "MPLS", "LAN", "WAN", "IP", "CAT5", "CAT6", "A5",
    "E5", "UCaaS", "E.164"
)


def _slug(abbreviation: str) -> str:
    return re.sub(r"[^a-z0-9]", "", abbreviation.lower())


TERMS: tuple[Term, ...] = tuple(
    Term(abbreviation, catalogue.text(f"glossary.{_slug(abbreviation)}.name"),
         catalogue.text(f"glossary.{_slug(abbreviation)}.meaning"))
    for abbreviation in ABBREVIATIONS
)

_BY_KEY = {term.abbreviation.casefold(): term for term in TERMS}


def _fold(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip().casefold()


def lookup(word: str) -> Term | None:
    """The term for a typed abbreviation ("csr", "LOA?", "CAT5e" -> CAT5), or None."""
    key = _fold(word).strip(" ?!." + chr(0xBF))  # and the opening question mark
    if key == "cat5e":
        key = "cat5"
    return _BY_KEY.get(key)


@cache
def _pattern() -> re.Pattern[str]:
    names = sorted((re.escape(t.abbreviation) for t in TERMS), key=len, reverse=True)
    return re.compile(r"(?<![\w.])(" + "|".join(names) + r")s?(?![\w])")  # "DIDs" too


def terms_in(texts: list[str]) -> list[Term]:
    """The glossary terms the texts use, once each, in the order they first appear."""
    found: dict[str, Term] = {}
    for value in texts:
        for match in _pattern().finditer(value):
            term = _BY_KEY[match.group(1).casefold()]
            found.setdefault(term.abbreviation, term)
    return list(found.values())


def short_line(term: Term, language: Language) -> str:
    """"CSR: Customer Service Record"."""
    return f"{term.abbreviation}: {term.name.get(language)}"


def long_line(term: Term, language: Language) -> str:
    return f"**{term.abbreviation}**: {term.name.get(language)}. {term.meaning.get(language)}"
