"""Refusals across organisations: a third tenant, a forged object id, an unassigned member of the
customer's tenant, and activities whose identity does not hold together. Each is answered,
changes nothing, leaks nothing (not even the customer's name) and is logged with a reference."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from bot.storage.contract import user_key
from tests.crossorg.conftest import (
    CAM,
    CUSTOMER_MEMBERS,
    FORGER,
    PROVIDER_MEMBERS,
    PROVIDER_TEAM,
    SHARED,
    TRENT,
    UMA,
    account,
    body_text,
    click,
    last_answer,
    say,
    texts,
)
from tests.crossorg.flows import create_in, data_for, ready_for, state_of
from tests.support.teams_activities import Conversation, card_action, message, personal
from tests.teams.conftest import TENANT, Harness

pytestmark = pytest.mark.crossorg
FORGERS_CHAT = Conversation("a:personal-forger", "personal", FORGER.tenant_id)
REFUSED = "couldn't confirm who you are"


async def snapshot(harness: Harness, project_id: str) -> dict[str, Any]:
    stored = await harness.runtime.store.load_project(project_id)
    assert stored is not None
    body = stored.value.to_dict()
    body.pop("outbox", None)
    return body


def reference_logged(caplog: pytest.LogCaptureFixture, answer: str) -> None:
    found = re.search(r"ref\. ([0-9a-f]{8})", answer)
    assert found, answer
    assert any(found.group(1) in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)


async def test_a_third_tenant_gets_nothing_in_its_own_chat(harness: Harness) -> None:
    project = await create_in(harness, SHARED)
    before = await snapshot(harness, project.id)
    for text in ("status", "status all", "my tasks", "digest", "export"):
        await harness.post(say(TRENT, personal(TRENT), text, harness))
    key = ready_for(harness, project, CAM)[0]
    _, body = await harness.post(click(TRENT, personal(TRENT), "confirm", await data_for(harness, project.id, key), harness))
    assert body["type"] == "application/vnd.microsoft.error"
    seen = " ".join(texts(harness, personal(TRENT).id)) + body_text(body)
    assert "Contoso" not in seen and "Cam Customer" not in seen
    assert await snapshot(harness, project.id) == before


async def test_a_forged_object_id_from_a_third_tenant_is_nobody(harness: Harness) -> None:
    project = await create_in(harness, SHARED)
    await harness.post(say(CAM, personal(CAM), "help", harness))
    record_before = await harness.runtime.store.read_document(user_key("user", CAM.aad_object_id))
    before = await snapshot(harness, project.id)
    key = ready_for(harness, project, CAM)[0]
    _, body = await harness.post(click(FORGER, FORGERS_CHAT, "confirm", await data_for(harness, project.id, key), harness))
    assert body["type"] == "application/vnd.microsoft.error"
    await harness.post(say(FORGER, FORGERS_CHAT, "my tasks", harness))
    await harness.post(say(FORGER, FORGERS_CHAT, "status", harness))
    assert "Contoso" not in " ".join(texts(harness, FORGERS_CHAT.id))
    assert await snapshot(harness, project.id) == before
    record_after = await harness.runtime.store.read_document(user_key("user", CAM.aad_object_id))
    assert record_before is not None and record_after is not None
    assert record_after.value["conversation"] == record_before.value["conversation"]


async def test_a_third_tenant_in_the_shared_channel_is_refused_with_a_reference(
        harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    project = await create_in(harness, SHARED)
    before = await snapshot(harness, project.id)
    key = ready_for(harness, project, CAM)[0]
    await harness.post(say(TRENT, SHARED, "status", harness))
    answer = last_answer(harness, SHARED.id)
    assert REFUSED in answer and "Contoso" not in answer
    reference_logged(caplog, answer)
    _, body = await harness.post(click(TRENT, SHARED, "confirm", await data_for(harness, project.id, key), harness))
    assert body["type"] == "application/vnd.microsoft.error" and REFUSED in body_text(body)
    assert await snapshot(harness, project.id) == before


async def test_an_unassigned_member_of_the_customers_tenant_cannot_confirm(harness: Harness) -> None:
    project = await create_in(harness, SHARED)
    key = ready_for(harness, project, CAM)[0]
    before = await snapshot(harness, project.id)
    for where in (SHARED, personal(UMA)):
        _, body = await harness.post(click(UMA, where, "confirm", await data_for(harness, project.id, key), harness))
        assert body["type"] != "application/vnd.microsoft.card.adaptive" or not [
            a for a in body["value"].get("actions", []) if a.get("type") == "Action.Execute"], body
    assert await state_of(harness, project.id, key) == "ready"
    assert (await snapshot(harness, project.id))["tasks"] == before["tasks"]
    await harness.post(say(UMA, personal(UMA), "my tasks", harness))
    assert "Contoso" not in " ".join(texts(harness, personal(UMA).id))


async def test_tenant_ids_that_disagree_are_refused(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    project = await create_in(harness, SHARED)
    key = ready_for(harness, project, CAM)[0]
    activity = card_action(CAM, personal(CAM), "confirm", await data_for(harness, project.id, key), harness.service_url)
    activity["channelData"]["tenant"]["id"] = TENANT  # conversation: the customer's; channelData: the provider's
    _, body = await harness.post(activity)
    assert body["type"] == "application/vnd.microsoft.error"
    reference_logged(caplog, body_text(body))
    assert await state_of(harness, project.id, key) == "ready"
    typed = message(CAM, personal(CAM), "my tasks", harness.service_url)
    typed["conversation"]["tenantId"] = TENANT
    await harness.post(typed)
    assert REFUSED in last_answer(harness, personal(CAM).id)


async def test_a_member_lookup_naming_another_object_id_is_refused(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    project = await create_in(harness, SHARED)
    key = ready_for(harness, project, CAM)[0]
    impostor = {**account(UMA), "id": CAM.teams_id}  # the member API's answer for Cam's Teams id names Uma
    harness.runtime.bot.members._cache.clear()  # type: ignore[attr-defined]
    harness.standin.set_roster([*PROVIDER_MEMBERS, impostor], conversation_id=SHARED.id)
    _, body = await harness.post(click(CAM, SHARED, "confirm", await data_for(harness, project.id, key), harness))
    assert body["type"] == "application/vnd.microsoft.error"
    reference_logged(caplog, body_text(body))
    assert await state_of(harness, project.id, key) == "ready"


async def test_a_failed_member_lookup_in_a_shared_channel_is_refused(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    project = await create_in(harness, SHARED)
    key = ready_for(harness, project, CAM)[0]
    harness.runtime.bot.members._cache.clear()  # type: ignore[attr-defined]
    harness.standin.fail_always(403, kind="get_member")
    _, body = await harness.post(click(CAM, SHARED, "confirm", await data_for(harness, project.id, key), harness))
    assert body["type"] == "application/vnd.microsoft.error"
    reference_logged(caplog, body_text(body))
    assert await state_of(harness, project.id, key) == "ready"
    harness.standin.clear_faults()
    _, body = await harness.post(click(CAM, SHARED, "confirm", await data_for(harness, project.id, key), harness))
    assert body["type"] == "application/vnd.microsoft.card.adaptive"  # and once the API answers again, it works
    assert await state_of(harness, project.id, key) == "done"


async def test_another_tenants_member_outside_a_shared_channel_is_refused(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    harness.standin.set_roster([*PROVIDER_MEMBERS, *CUSTOMER_MEMBERS], conversation_id=PROVIDER_TEAM.id)
    await harness.post(message(CAM, PROVIDER_TEAM, "status", harness.service_url))  # a standard channel: no type "shared"
    answer = last_answer(harness, PROVIDER_TEAM.id)
    assert REFUSED in answer
    reference_logged(caplog, answer)


async def test_a_message_mentioning_the_bot_without_text_is_answered(harness: Harness) -> None:
    """Found by the generated-activities test: a mention entity of the bot and no text made
    botbuilder's mention removal raise (an ERROR and no answer)."""
    activity = say(CAM, SHARED, "status", harness)
    activity.pop("text")
    status, _ = await harness.post(activity)
    assert status in (200, 201)
    assert texts(harness, SHARED.id), "no answer"
