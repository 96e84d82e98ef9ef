"""Two organisations and a third: the provider (TENANT, hosting a shared channel), the customer
(CUSTOMER_TENANT, its people external members of that channel, or hosting its own team with the
provider's PM as a guest) and a stranger tenant. Activities are shaped as Teams sends them
across organisations (docs/cross-organisation.md); the member API answers each member's own
tenantId from the connector stand-in's rosters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from tests.support.teams_activities import (
    Conversation,
    TeamsUser,
    card_action,
    card_submit,
    channel,
    message,
    personal,
)
from tests.teams.conftest import PM, SALES, SUPPORT, TECH, TENANT, Harness, harness_env, no_error_logged, running_harness
from tests.teams.flows import POINTERS

__all__ = ["no_error_logged"]

CUSTOMER_TENANT = "33333333-3333-3333-3333-333333333333"
THIRD_TENANT = "44444444-4444-4444-4444-444444444444"
ADMIN_ID = "aaaaaaaa-0000-0000-0000-0000000000ad"
BOT_ADMIN = TeamsUser("29:botadmin", ADMIN_ID, "Bea BotAdmin", TENANT)
NEW_PM = TeamsUser("29:newpm", "aaaaaaaa-0000-0000-0000-0000000000a1", "Nia NewPM", TENANT)
# The customer's people, in their own tenant (external members of the provider's shared channel).
CAM = TeamsUser("29:ext-cam", "cccccccc-0000-0000-0000-000000000001", "Cam Customer", CUSTOMER_TENANT)
ADA = TeamsUser("29:ext-ada", "cccccccc-0000-0000-0000-000000000002", "Ada Admin", CUSTOMER_TENANT)
UMA = TeamsUser("29:ext-uma", "cccccccc-0000-0000-0000-000000000003", "Uma Unassigned", CUSTOMER_TENANT)
# The provider's PM as a guest user object of the customer's tenant: its own object id there.
PM_GUEST = TeamsUser("29:guest-pm", "dddddddd-0000-0000-0000-0000000000a1", "Pat PM (Guest)", CUSTOMER_TENANT)
OTHER_GUEST = TeamsUser("29:guest-x", "dddddddd-0000-0000-0000-0000000000a2", "Gus Guest", CUSTOMER_TENANT)
# A third tenant: nobody of the project, and someone carrying a customer's object id.
TRENT = TeamsUser("29:third", "eeeeeeee-0000-0000-0000-000000000001", "Trent Third", THIRD_TENANT)
FORGER = TeamsUser("29:forger", CAM.aad_object_id, "Cam Customer", THIRD_TENANT)

SHARED = channel("shared-contoso", TENANT)  # the provider's team, one shared channel per customer
CUSTOMER_TEAM = channel("contoso-own", CUSTOMER_TENANT)  # the customer's own team (guest set-up)
PROVIDER_TEAM = channel("provider-std", TENANT)  # a standard channel, shared later


def account(user: TeamsUser, *, role: str = "user", upn: str | None = None) -> dict[str, Any]:
    return {"id": user.teams_id, "name": user.name, "aadObjectId": user.aad_object_id, "tenantId": user.tenant_id,
            "userPrincipalName": upn or f"{user.name.split()[0].lower()}@{user.tenant_id[:4]}.example", "userRole": role}


GUEST_UPN = "pat_provider.example#EXT#@contoso.onmicrosoft.com"
PROVIDER_MEMBERS = [account(PM, upn="pat@provider.example"), account(SALES), account(SUPPORT), account(TECH),
                    account(BOT_ADMIN), account(NEW_PM, upn="nia@provider.example")]
CUSTOMER_MEMBERS = [account(CAM, upn="cam@contoso.example"), account(ADA), account(UMA)]
GUESTS = [account(PM_GUEST, role="guest", upn=GUEST_UPN),
          account(OTHER_GUEST, role="guest", upn="gus_elsewhere.example#EXT#@contoso.onmicrosoft.com")]


def shared(conversation: Conversation, activity: dict[str, Any]) -> dict[str, Any]:
    """The activity as it arrives from a shared channel: the host's tenant, channel type shared."""
    if conversation.kind == "channel":
        activity["channelData"]["channel"]["type"] = "shared"
    return activity


def say(user: TeamsUser, where: Conversation, text: str, harness: Harness) -> dict[str, Any]:
    return shared(where, message(user, where, text, harness.service_url)) if where is SHARED else \
        message(user, where, text, harness.service_url)


def click(user: TeamsUser, where: Conversation, verb: str, data: dict[str, Any], harness: Harness) -> dict[str, Any]:
    activity = card_action(user, where, verb, data, harness.service_url)
    return shared(where, activity) if where is SHARED else activity


def submit(user: TeamsUser, where: Conversation, value: dict[str, Any], harness: Harness) -> dict[str, Any]:
    activity = card_submit(user, where, value, harness.service_url)
    return shared(where, activity) if where is SHARED else activity


def channel_event(user: TeamsUser, where: Conversation, event: str, harness: Harness, **data: Any) -> dict[str, Any]:
    activity = message(user, where, "", harness.service_url)
    activity["type"] = "conversationUpdate"
    for key in ("text", "textFormat"):
        activity.pop(key, None)
    activity["channelData"].update({"eventType": event, **data})
    return activity


def texts(harness: Harness, conversation_id: str) -> list[str]:
    """Every text the bot sent to a conversation: plain texts and the texts inside cards."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("text", "title", "value") and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for record in harness.standin.delivered:
        if record.conversation_id == conversation_id and record.activity:
            walk(record.activity)
    return found


def last_answer(harness: Harness, conversation_id: str) -> str:
    """The bot's last answer in a conversation as its reader got it: a channel's pointer to the
    person's 1:1 chat (refusals and confirmations are answered privately, issue 18) is followed."""
    records = [r for r in harness.standin.delivered if r.activity is not None]
    index = max(i for i, r in enumerate(records) if r.conversation_id == conversation_id)
    record = records[index]
    text = str(record.activity.get("text") or "") if record.activity else ""
    if any(text.endswith(pointer) for pointer in POINTERS):
        record = next(r for r in reversed(records[:index]) if r.conversation_id != conversation_id)
    return body_text(record.activity)


def body_text(body: Any) -> str:
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("text", "message") and isinstance(value, str):
                    parts.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(body)
    return " ".join(parts)


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    settings = Settings.from_env(harness_env(tmp_path, BOT_ADMIN_AAD_IDS=ADMIN_ID))
    async with running_harness(settings) as running:
        standin = running.standin
        standin.set_roster([*PROVIDER_MEMBERS, *CUSTOMER_MEMBERS, *GUESTS])  # 1:1 chats: the member themself
        standin.set_roster([*PROVIDER_MEMBERS, *CUSTOMER_MEMBERS], conversation_id=SHARED.id)
        standin.set_roster([*CUSTOMER_MEMBERS, *GUESTS], conversation_id=CUSTOMER_TEAM.id)
        standin.set_roster(PROVIDER_MEMBERS, conversation_id=PROVIDER_TEAM.id)
        yield running


__all__ += ["CUSTOMER_TENANT", "TENANT", "THIRD_TENANT", "personal"]
