"""Shared pieces of every card: the envelope, text, facts, and actions that work in every
client (Action.Execute for Universal Actions, with an Action.Submit fallback)."""

from __future__ import annotations

from typing import Any

from bot.domain.text import WORD_JOINER, plain

__all__ = ["WORD_JOINER", "plain"]  # re-exported: cards escape with the domain's one definition

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
