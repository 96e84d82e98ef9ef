"""Driving the bot the way people do in Teams: set up a project through the form, then act on
task cards from the cards the bot actually delivered."""

from __future__ import annotations

from typing import Any

from tests.support.teams_activities import TeamsUser, card_action, card_submit, message, personal
from tests.teams.conftest import ADMIN, CUSTOMER, PARTNER, PM, SALES, SIGNER, SUPPORT, TEAM, TECH, Harness

ROLE_HOLDERS: dict[str, TeamsUser] = {
    "customer_primary_contact": CUSTOMER,
    "customer_global_admin": ADMIN,
    "customer_admin": ADMIN,
    "authorized_signer": SIGNER,
    "sales_rep": SALES,
    "support_lead": SUPPORT,
    "technician": TECH,
    "partner": PARTNER,
}


def setup_values(products: str, *, porting: bool, circuit: bool = False, hardware: str = "none",
                 customer: str = "Contoso", language: str = "en") -> dict[str, Any]:
    values: dict[str, Any] = {
        "verb": "create_project",
        "customer": customer,
        "products": products,
        "porting": "true" if porting else "false",
        "circuit": "true" if circuit else "false",
        "hardware": hardware,
        "kickoff": "2026-11-26",
        "port_date": "2027-01-15" if porting else "",
        "go_live": "",
        "timezone": "America/New_York",
        "language": language,
    }
    for role, user in ROLE_HOLDERS.items():
        values[f"role_{role}"] = user.aad_object_id
    return values


async def create_project(harness: Harness, values: dict[str, Any], locale: str = "en-US") -> str:
    status, _ = await harness.post(message(PM, TEAM, "new project", harness.service_url, locale=locale))
    assert status in (200, 201)
    form = harness.standin.cards_in(TEAM.id)[-1]
    assert any(e.get("id") == "customer" for e in form["body"]), "the set-up form was not sent"
    await harness.post(card_submit(PM, TEAM, values, harness.service_url, locale=locale))
    project_id = await harness.runtime.service.project_for_conversation(TEAM.id)
    assert project_id, "no project was created"
    return project_id


def latest_task_cards(harness: Harness, user: TeamsUser) -> dict[str, dict[str, Any]]:
    """The newest card per task key in the user's 1:1 chat, as delivered (and updated)."""
    conversation_ids = {c.conversation_id for c in harness.standin.created_conversations} | {personal(user).id}
    cards: dict[str, dict[str, Any]] = {}
    for record in harness.standin.delivered:
        if record.conversation_id not in conversation_ids or not _is_with(harness, record.conversation_id, user):
            continue
        for card in record.cards:
            data = (card.get("refresh") or {}).get("action", {}).get("data")
            if data and "k" in data:
                cards[data["k"]] = card
    return cards


def _is_with(harness: Harness, conversation_id: str, user: TeamsUser) -> bool:
    for record in harness.standin.created_conversations:
        if record.conversation_id == conversation_id:
            return any(m.get("id") == user.teams_id for m in record.members)
    return conversation_id == personal(user).id


def actions_of(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """verb -> data of every Action.Execute on the card, including inside ShowCards."""
    found: dict[str, dict[str, Any]] = {}

    def walk(actions: list[dict[str, Any]]) -> None:
        for action in actions:
            if action.get("type") == "Action.Execute":
                found[action["verb"]] = action["data"]
            elif action.get("type") == "Action.ShowCard":
                walk(action["card"].get("actions", []))

    walk(card.get("actions", []))
    return found


async def click(harness: Harness, user: TeamsUser, verb: str, data: dict[str, Any], *, reason: str | None = None,
                locale: str = "en-US") -> tuple[int, Any]:
    payload = dict(data)
    if reason is not None:
        payload["reason"] = reason
    return await harness.post(card_action(user, personal(user), verb, payload, harness.service_url, locale=locale))


POINTERS = ("I answered you in our 1:1 chat.", "le respondí en nuestro chat personal.")


def followed(harness: Harness, activity: dict[str, Any]) -> dict[str, Any]:
    """A channel's answer as its reader got it: a pointer to the person's 1:1 chat (issue 18:
    refusals, errors and "my tasks" are answered privately) is replaced by the 1:1 answer."""
    text = str(activity.get("text") or "")
    if not any(text.endswith(p) for p in POINTERS):
        return activity
    records = harness.standin.delivered
    index = next(i for i, r in enumerate(records) if r.activity_id == activity.get("id"))
    channel_id = records[index].conversation_id
    private = next(r for r in reversed(records[:index]) if r.conversation_id != channel_id and r.activity is not None)
    return {**(private.activity or {}), "id": private.activity_id}
