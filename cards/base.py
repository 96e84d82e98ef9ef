"""Shared pieces of every card: the envelope, text, facts, and actions that work in every
client (Action.Execute for Universal Actions, with an Action.Submit fallback)."""

from __future__ import annotations

import re
from typing import Any

CARD_VERSION = "1.5"
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"

Card = dict[str, Any]
Element = dict[str, Any]


def card(body: list[Element], actions: list[Element] | None = None, *, refresh: Element | None = None,
         mentions: list[dict[str, Any]] | None = None, fallback_text: str = "") -> Card:
    content: Card = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "body": body,
        "msteams": {"width": "Full"},
    }
    if actions:
        content["actions"] = actions
    if refresh:
        content["refresh"] = refresh
    if mentions:
        content["msteams"]["entities"] = mentions
    if fallback_text:
        content["fallbackText"] = fallback_text
    return content


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


def mention_name(name: str) -> str:
    """A person's name as it may stand inside <at>...</at>: Markdown and tag characters removed
    (escapes would not match the mention entity), so a name can never close or forge a tag."""
    cleaned = "".join(" " if char in "\\`*_[]()#<>!|~\r\n" else char for char in name)
    return " ".join(cleaned.split()) or "?"


def title(text: str) -> Element:
    return {"type": "TextBlock", "text": text, "size": "Large", "weight": "Bolder", "wrap": True}


def heading(text: str) -> Element:
    return {"type": "TextBlock", "text": text, "weight": "Bolder", "wrap": True, "spacing": "Medium"}


def text(value: str, *, subtle: bool = False, color: str | None = None, size: str | None = None) -> Element:
    block: Element = {"type": "TextBlock", "text": value, "wrap": True}
    if subtle:
        block["isSubtle"] = True
    if color:
        block["color"] = color
    if size:
        block["size"] = size
    return block


def facts(pairs: list[tuple[str, str]]) -> Element:
    return {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in pairs]}


def bullets(lines: list[str]) -> Element:
    return text("\n".join(f"- {line}" for line in lines))


def execute(verb: str, label: str, data: dict[str, Any], *, style: str | None = None,
            associated_inputs: str | None = None) -> Element:
    """Universal Action with an Action.Submit fallback for clients without them."""
    submit_data = {**data, "verb": verb}
    action: Element = {
        "type": "Action.Execute",
        "title": label,
        "verb": verb,
        "data": data,
        "fallback": {"type": "Action.Submit", "title": label, "data": submit_data},
    }
    if style:
        action["style"] = style
    if associated_inputs:
        action["associatedInputs"] = associated_inputs
        action["fallback"]["associatedInputs"] = associated_inputs
    return action


def show_card(label: str, body: list[Element], actions: list[Element]) -> Element:
    return {
        "type": "Action.ShowCard",
        "title": label,
        "card": {"type": "AdaptiveCard", "body": body, "actions": actions},
    }


def open_url(label: str, url: str) -> Element:
    return {"type": "Action.OpenUrl", "title": label, "url": url}
