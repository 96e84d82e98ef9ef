"""Handing documents to the bot the way people do in Teams: a file attached in the 1:1 chat
(a download-info attachment whose downloadUrl the connector stand-in serves), the "Upload",
"File it", "Accept" and "Reject" buttons of the cards the bot actually delivered."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from bot.teams.documents_edge import FILE_DOWNLOAD_INFO
from tests.support.teams_activities import Conversation, TeamsUser, card_action, message, personal
from tests.teams.conftest import PM, Harness

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def pdf(label: str, size: int = 0) -> bytes:
    body = PDF + f"% {label}\n".encode()
    return body + b"0" * max(0, size - len(body))


def office_file(main_part: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(main_part, "<x/>")
    return out.getvalue()


def file_message(harness: Harness, user: TeamsUser, name: str, url: str, *, conversation: Conversation | None = None,
                 locale: str = "en-US") -> dict[str, Any]:
    activity = message(user, conversation or personal(user), "", harness.service_url, locale=locale, mention_bot=False)
    activity["attachments"] = [{
        "contentType": FILE_DOWNLOAD_INFO,
        "contentUrl": "https://contoso.sharepoint.com/personal/files/" + name,
        "name": name,
        "content": {"downloadUrl": url, "uniqueId": "1a2b3c", "fileType": name.rsplit(".", 1)[-1]},
    }]
    return activity


async def attach(harness: Harness, user: TeamsUser, name: str, body: bytes, *, locale: str = "en-US",
                 **serve: Any) -> list[dict[str, Any]]:
    """Attach one file in the user's 1:1 chat; the cards the bot answered with."""
    before = len(harness.standin.delivered)
    url = harness.standin.serve_file(body, name, **serve)
    status, _ = await harness.post(file_message(harness, user, name, url, locale=locale))
    assert status in (200, 201)
    return [c for r in harness.standin.delivered[before:] for c in r.cards]


def replies_text(cards: list[dict[str, Any]]) -> str:
    return " ".join(str(c.get("body")) for c in cards)


def body_actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every Action.Execute of a card, in its body's ActionSets, its actions and inside ShowCards."""
    found: list[dict[str, Any]] = []

    def walk(actions: list[dict[str, Any]]) -> None:
        for action in actions:
            if action.get("type") == "Action.Execute":
                found.append(action)
            elif action.get("type") == "Action.ShowCard":
                walk(action["card"].get("actions", []))

    def visit(elements: list[dict[str, Any]]) -> None:
        for element in elements:
            if element.get("type") == "ActionSet":
                walk(element.get("actions", []))
            visit(element.get("items", []))

    visit(card.get("body", []))
    walk(card.get("actions", []))
    return found


def action(card: dict[str, Any], verb: str, **match: str) -> dict[str, Any]:
    for candidate in body_actions(card):
        if candidate["verb"] == verb and all(candidate["data"].get(k) == v for k, v in match.items()):
            return dict(candidate["data"])
    raise AssertionError(f"no {verb} {match} on the card: {[a['verb'] for a in body_actions(card)]}")


async def press(harness: Harness, user: TeamsUser, verb: str, data: dict[str, Any], **inputs: str) -> dict[str, Any]:
    """Click an Action.Execute in the user's 1:1 chat; the card the invoke answered with."""
    status, body = await harness.post(card_action(user, personal(user), verb, {**data, **inputs}, harness.service_url))
    assert status == 200 and body["type"] == "application/vnd.microsoft.card.adaptive", body
    return dict(body["value"])


def cards_with(harness: Harness, verb: str, **match: str) -> list[dict[str, Any]]:
    """Every delivered card carrying that action (with that data)."""
    found = []
    for record in harness.standin.delivered:
        for card in record.cards:
            if any(a["verb"] == verb and all(a["data"].get(k) == v for k, v in match.items()) for a in body_actions(card)):
                found.append(card)
    return found


async def accept_all(harness: Harness, project_id: str, key: str, owner: TeamsUser) -> None:
    """Satisfy a task's required documents: the owner uploads each (Upload, then attach), the PM accepts each."""
    project = await harness.runtime.service.load(project_id)
    assert project is not None
    spec = harness.runtime.library[key.split(":")[0]].task(key.split(":")[1])
    for document in spec.documents:
        if not document.required:
            continue
        await press(harness, owner, "doc_upload", {"p": project_id, "k": key, "d": document.id})
        replies = await attach(harness, owner, f"{document.id}.pdf", pdf(document.id))
        assert "Filed under" in replies_text(replies), replies_text(replies)
        project = await harness.runtime.service.load(project_id)
        assert project is not None
        upload = project.documents[-1]
        await press(harness, PM, "doc_accept", {"p": project_id, "u": upload.upload_id})
