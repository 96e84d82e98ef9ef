"""The glossary cards (`glossary`, `what is CSR`) and `with_terms`, which adds to any card a short
"terms on this card" footer: each abbreviation the card uses, spelled out once (the choice is
documented in bot/domain/glossary.py)."""

from __future__ import annotations

from typing import Any

from bot.domain.catalogue import t
from bot.domain.glossary import TERMS, Term, long_line, short_line, terms_in
from bot.domain.text import Language
from cards.base import Card, Element, card, text, title


def glossary_card(language: Language) -> Card:
    body: list[Element] = [title(t("glossary.title", language)), text(t("glossary.intro", language), subtle=True)]
    body += [text(long_line(term, language)) for term in TERMS]
    return card(body, fallback_text=t("glossary.title", language))


def term_card(term: Term, language: Language) -> Card:
    return card([title(term.abbreviation), text(long_line(term, language))], fallback_text=short_line(term, language))


def _texts(node: Any, out: list[str]) -> None:
    """Every text a person reads on the card: TextBlocks, facts, labels, titles, choices."""
    if isinstance(node, dict):
        keys = ("text", "title", "label") if "type" in node else ("title", "value")  # facts have no type
        out.extend(node[key] for key in keys if isinstance(node.get(key), str))
        for key, value in node.items():
            if key not in ("data", "msteams", "refresh", "fallback") and isinstance(value, (dict, list)):
                _texts(value, out)
    elif isinstance(node, list):
        for item in node:
            _texts(item, out)


def with_terms(content: Card, language: Language) -> Card:
    """The card with a subtle footer spelling out each abbreviation it uses (none: unchanged)."""
    found: list[str] = []
    _texts(content.get("body", []), found)
    _texts(content.get("actions", []), found)
    terms = terms_in(found)
    if not terms:
        return content
    footer = {"type": "Container", "separator": True, "spacing": "Medium", "items": [
        text(t("glossary.on_card", language), subtle=True, size="Small"),
        text("\n".join(f"- {short_line(term, language)}" for term in terms), subtle=True, size="Small"),
    ]}
    return {**content, "body": [*content.get("body", []), footer]}
