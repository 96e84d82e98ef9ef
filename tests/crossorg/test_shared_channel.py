"""A project in the provider's shared channel, its customer people external members from their
own tenant: they act from the channel card and from their own tenant's 1:1 chat, and whoever
cannot be reached 1:1 gets the channel card with an @mention while the PM is told once."""

from __future__ import annotations

import pytest

from bot.storage.contract import user_key
from tests.crossorg.conftest import ADA, CAM, CUSTOMER_TENANT, SHARED, body_text, click, say, texts
from tests.crossorg.flows import create_in, data_for, ready_for, state_of
from tests.support.teams_activities import personal
from tests.teams.conftest import PM, TENANT, Harness

pytestmark = pytest.mark.crossorg


async def test_the_project_records_each_persons_home_tenant(harness: Harness) -> None:
    project = await create_in(harness, SHARED)
    assert project.tenant_id == TENANT  # the host: where the channel lives
    assert project.tenants() == {TENANT, CUSTOMER_TENANT}
    cam = project.person(CAM.aad_object_id)
    assert cam is not None and cam.tenant_id == CUSTOMER_TENANT
    pm = project.person(PM.aad_object_id)
    assert pm is not None and project.home_tenant(pm) == TENANT
    stored = await harness.runtime.store.load_project(project.id)
    assert stored is not None
    raw = stored.value.to_dict()["people"]["customer_global_admin"][0]
    assert raw["tenantId"] == CUSTOMER_TENANT


async def test_a_customer_member_confirms_from_the_shared_channel_card(harness: Harness) -> None:
    project = await create_in(harness, SHARED)
    key = ready_for(harness, project, CAM)[0]
    status, body = await harness.post(click(CAM, SHARED, "confirm", await data_for(harness, project.id, key), harness))
    assert status == 200 and body["type"] == "application/vnd.microsoft.card.adaptive", body
    assert await state_of(harness, project.id, key) == "done"


async def test_a_customer_member_sees_and_confirms_their_tasks_in_their_own_tenants_chat(harness: Harness) -> None:
    project = await create_in(harness, SHARED)
    await harness.post(say(CAM, SHARED, "status", harness))  # seen in the channel first (the old bug's order)
    await harness.post(say(CAM, personal(CAM), "my tasks", harness))
    shown = " ".join(texts(harness, personal(CAM).id))
    assert "no open tasks" not in shown.lower()
    title = harness.runtime.service.task_spec(ready_for(harness, project, CAM)[0]).label.get("en")
    assert title in shown
    key = ready_for(harness, project, CAM)[0]
    _, body = await harness.post(click(CAM, personal(CAM), "confirm", await data_for(harness, project.id, key), harness))
    assert body["type"] == "application/vnd.microsoft.card.adaptive", body
    assert await state_of(harness, project.id, key) == "done"
    record = await harness.runtime.store.read_document(user_key("user", CAM.aad_object_id))
    assert record is not None and record.value["tenantId"] == CUSTOMER_TENANT
    assert record.value["conversation"]["tenantId"] == CUSTOMER_TENANT


async def test_status_in_their_own_tenant_shows_the_project(harness: Harness) -> None:
    await create_in(harness, SHARED)
    await harness.post(say(CAM, personal(CAM), "status", harness))
    assert "Contoso" in " ".join(texts(harness, personal(CAM).id))


async def test_no_one_to_one_chat_is_opened_for_external_members(harness: Harness) -> None:
    await create_in(harness, SHARED)
    external = {CAM.teams_id, ADA.teams_id}
    tried = [a for a in harness.standin.attempts if a.kind == "create_conversation"
             and any(m.get("id") in external for m in (a.body or {}).get("members", []))]
    assert tried == []


async def test_a_channel_only_member_gets_the_channel_card_with_a_mention(harness: Harness) -> None:
    project = await create_in(harness, SHARED)
    owned = ready_for(harness, project, ADA) or ready_for(harness, project, CAM)
    assert owned
    mentioned = {e["mentioned"]["id"] for card in harness.standin.cards_in(SHARED.id)
                 for e in (card.get("msteams") or {}).get("entities", []) if e.get("type") == "mention"}
    assert mentioned & {CAM.teams_id, ADA.teams_id}, mentioned


async def test_the_pm_is_told_once_who_can_only_be_reached_in_the_channel(harness: Harness) -> None:
    project = await create_in(harness, SHARED)
    await harness.post(say(PM, personal(PM), "help", harness))  # the PM's 1:1 chat
    # More cards for the same people: confirming makes further customer tasks ready.
    for _ in range(2):
        keys = ready_for(harness, await _fresh(harness, project.id), CAM)
        if keys:
            await harness.post(click(CAM, SHARED, "confirm", await data_for(harness, project.id, keys[0]), harness))
    everywhere = [t for c in {r.conversation_id for r in harness.standin.delivered} for t in texts(harness, c)]
    told = [t for t in everywhere if "can't message" in t and "1:1" in t]
    assert len([t for t in told if "Cam Customer" in t]) == 1, told
    assert "Teams admin adds the app" in told[0]
    record = await harness.runtime.store.read_document(user_key("user", CAM.aad_object_id))
    assert record is not None and record.value.get("channelOnly") is True


async def test_once_the_app_is_installed_in_their_tenant_their_cards_come_one_to_one(harness: Harness) -> None:
    await harness.post(say(CAM, personal(CAM), "help", harness))  # the app installed for Cam: their 1:1 exists
    project = await create_in(harness, SHARED)
    keys = {(card.get("refresh") or {}).get("action", {}).get("data", {}).get("k")
            for card in harness.standin.cards_in(personal(CAM).id)}
    assert set(ready_for(harness, project, CAM)) <= keys, keys
    record = await harness.runtime.store.read_document(user_key("user", CAM.aad_object_id))
    assert record is not None and "channelOnly" not in record.value
    proactive = {r.tenant_id for r in harness.standin.delivered if r.conversation_id == personal(CAM).id and r.kind == "send"}
    assert proactive == {CUSTOMER_TENANT}  # in their tenant, where their 1:1 chat runs
    # Ada never opened the bot in her tenant: she alone is the PM's channel-only notice.
    everywhere = [t for c in {r.conversation_id for r in harness.standin.delivered} for t in texts(harness, c)]
    assert [t for t in everywhere if "can't message Ada Admin in a 1:1" in t]
    assert not [t for t in everywhere if "can't message Cam Customer in a 1:1" in t]


async def test_the_member_lookup_is_cached(harness: Harness) -> None:
    def lookups() -> int:
        return len([a for a in harness.standin.attempts if a.kind == "get_member" and CAM.teams_id in a.path])

    for text in ("status", "my tasks", "help"):
        await harness.post(say(CAM, SHARED, text, harness))
    assert lookups() == 1


async def test_the_pm_reads_the_portfolio_with_the_shared_project(harness: Harness) -> None:
    await create_in(harness, SHARED)
    _, _ = await harness.post(say(PM, personal(PM), "status", harness))
    assert "Contoso" in body_text(harness.standin.cards_in(personal(PM).id)[-1])


async def _fresh(harness: Harness, project_id: str):  # type: ignore[no-untyped-def]
    project = await harness.runtime.service.load(project_id)
    assert project is not None
    return project
