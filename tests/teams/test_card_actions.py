"""Actions on task cards: confirm, block (with a reason), the PM's actions, refusals, stale
cards, duplicate deliveries, the Action.Submit fallback, and every copy updated."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.support.card_validation import assert_valid_cards
from tests.support.teams_activities import card_action, card_submit, personal
from tests.teams.conftest import ADMIN, CUSTOMER, PM, STRANGER, TEAM, Harness
from tests.teams.flows import actions_of, click, create_project, latest_task_cards, setup_values

LICENSE = "cloud_voice_teams:licensing.phone_standard"


async def started(harness: Harness) -> str:
    return await create_project(harness, setup_values("cloud_voice_teams", porting=True))


async def state_of(harness: Harness, project_id: str, key: str) -> str:
    project = await harness.runtime.service.load(project_id)
    assert project is not None
    return project.tasks[key].state.value


def invoke_card(body: Any) -> dict[str, Any]:
    assert body["statusCode"] == 200 and body["type"] == "application/vnd.microsoft.card.adaptive", body
    return body["value"]


def texts(card: dict[str, Any]) -> str:
    return " ".join(str(e.get("text", "")) for e in card["body"])


async def test_owner_confirms_and_every_copy_shows_who_and_when(harness) -> None:
    project_id = await started(harness)
    card = latest_task_cards(harness, ADMIN)[LICENSE]
    status, body = await click(harness, ADMIN, "confirm", actions_of(card)["confirm"])
    assert status == 200
    replaced = invoke_card(body)
    assert "Completed by Ada Admin" in texts(replaced) and "confirm" not in actions_of(replaced)
    assert await state_of(harness, project_id, LICENSE) == "done"
    updates = [r for r in harness.standin.delivered if r.kind == "update"]
    updated_conversations = {r.conversation_id for r in updates if LICENSE in str(r.cards)}
    admin_chat = next(c.conversation_id for c in harness.standin.created_conversations
                      if any(m["id"] == ADMIN.teams_id for m in c.members))
    assert {TEAM.id, admin_chat} <= updated_conversations
    assert all("Completed by Ada Admin" in texts(r.cards[0]) for r in updates if LICENSE in str(r.cards))
    assert_valid_cards([replaced] + [r.cards[0] for r in updates])


async def test_someone_else_is_refused_and_nothing_changes(harness) -> None:
    project_id = await started(harness)
    data = actions_of(latest_task_cards(harness, ADMIN)[LICENSE])["confirm"]
    before = len(await harness.runtime.store.project_events(project_id))
    for intruder in (STRANGER, CUSTOMER):
        _, body = await click(harness, intruder, "confirm", data)
        card = invoke_card(body)
        assert "only the assigned people or the PM" in texts(card)
        assert actions_of(card) == {}  # read-only for them
    assert await state_of(harness, project_id, LICENSE) == "ready"
    assert len(await harness.runtime.store.project_events(project_id)) == before


async def test_blocked_needs_a_reason_and_reaches_the_pm(harness) -> None:
    project_id = await started(harness)
    data = actions_of(latest_task_cards(harness, ADMIN)[LICENSE])["block"]
    _, body = await click(harness, ADMIN, "block", data, reason="  ")
    assert "give the reason" in texts(invoke_card(body)) and await state_of(harness, project_id, LICENSE) == "ready"
    _, body = await click(harness, ADMIN, "block", data, reason="Waiting on <at>Finance</at> [approval](http://evil)")
    card = invoke_card(body)
    assert await state_of(harness, project_id, LICENSE) == "blocked"
    assert "<at>" not in texts(card) and "](" not in texts(card)  # user text cannot forge a mention or a link
    pm_cards = latest_task_cards(harness, PM)
    assert LICENSE in pm_cards and "Blocked by Ada Admin" in texts(pm_cards[LICENSE])
    assert {"unblock", "not_applicable", "confirm_on_behalf"} <= set(actions_of(pm_cards[LICENSE]))


async def test_pm_actions_not_applicable_reopen_on_behalf(harness) -> None:
    project_id = await started(harness)
    data = actions_of(latest_task_cards(harness, ADMIN)[LICENSE])["confirm"]
    _, body = await harness.post(card_action(PM, TEAM, "refresh", data, harness.service_url))
    pm_view = invoke_card(body)
    assert {"confirm_on_behalf", "not_applicable", "block"} <= set(actions_of(pm_view))
    _, body = await click(harness, PM, "confirm_on_behalf", actions_of(pm_view)["confirm_on_behalf"])
    assert "on behalf of the customer" in texts(invoke_card(body))
    events = await harness.runtime.store.project_events(project_id)
    assert any(e.on_behalf and e.task_key == LICENSE for e in events)
    _, body = await click(harness, PM, "reopen", actions_of(invoke_card(body))["reopen"])
    assert await state_of(harness, project_id, LICENSE) == "reopened"
    _, body = await click(harness, PM, "not_applicable", actions_of(invoke_card(body))["not_applicable"])
    assert await state_of(harness, project_id, LICENSE) == "not_applicable"


async def test_customer_cannot_use_pm_only_actions(harness) -> None:
    project_id = await started(harness)
    data = actions_of(latest_task_cards(harness, ADMIN)[LICENSE])["confirm"]
    for verb in ("not_applicable", "reopen", "confirm_on_behalf"):
        _, body = await click(harness, ADMIN, verb, data)
        assert "only the assigned people or the PM" in texts(invoke_card(body))
    assert await state_of(harness, project_id, LICENSE) == "ready"


async def test_stale_card_shows_the_current_state(harness) -> None:
    project_id = await started(harness)
    data = actions_of(latest_task_cards(harness, ADMIN)[LICENSE])["confirm"]
    await click(harness, ADMIN, "confirm", data)
    _, body = await click(harness, ADMIN, "block", data, reason="late click on an old card")
    card = invoke_card(body)
    assert "already changed" in texts(card) and "Completed by Ada Admin" in texts(card)
    assert await state_of(harness, project_id, LICENSE) == "done"


async def test_duplicate_deliveries_change_the_task_once(harness) -> None:
    project_id = await started(harness)
    data = actions_of(latest_task_cards(harness, ADMIN)[LICENSE])["confirm"]
    activity = card_action(ADMIN, personal(ADMIN), "confirm", data, harness.service_url)
    before = len(await harness.runtime.store.project_events(project_id))
    await harness.post(activity)
    await harness.post(activity)  # the same activity id, redelivered
    await harness.post(card_action(ADMIN, personal(ADMIN), "confirm", data, harness.service_url))  # a new id, same click
    events = await harness.runtime.store.project_events(project_id)
    mine = [e for e in events[before:] if e.task_key == LICENSE and e.data.get("action") == "confirm"]
    assert len(mine) == 1


async def test_submit_fallback_updates_the_card_message(harness) -> None:
    project_id = await started(harness)
    data = actions_of(latest_task_cards(harness, ADMIN)[LICENSE])["confirm"]
    await harness.post(card_submit(ADMIN, personal(ADMIN), {**data, "verb": "confirm"}, harness.service_url,
                                   reply_to_id="card-activity-1"))
    assert await state_of(harness, project_id, LICENSE) == "done"
    update = harness.standin.latest("card-activity-1")
    assert update is not None and "Completed by Ada Admin" in str(update)


async def test_malformed_invokes_get_a_typed_error_never_a_500(harness) -> None:
    await started(harness)
    base = card_action(ADMIN, personal(ADMIN), "confirm", {}, harness.service_url)
    for value in (None, "x", {"action": "x"}, {"action": {"verb": 3}}, {"action": {"verb": "confirm", "data": {"p": 1}}},
                  {"action": {"verb": "confirm", "data": {"p": "x" * 5000, "k": "y"}}},
                  {"action": {"verb": "explode", "data": {"p": "a", "k": "b"}}},
                  {"action": {"verb": "confirm", "data": {"p": "nope", "k": LICENSE, "r": 1}}}):
        status, body = await harness.post({**base, "value": value})
        assert status == 200, (value, status, body)
        assert body["type"] in ("application/vnd.microsoft.error", "application/vnd.microsoft.card.adaptive")


async def test_spanish_speaker_gets_spanish_cards(harness) -> None:
    await started(harness)
    data = actions_of(latest_task_cards(harness, ADMIN)[LICENSE])["confirm"]
    _, body = await click(harness, ADMIN, "confirm", data, locale="es-MX")
    card = invoke_card(body)
    assert "Completada por Ada Admin" in texts(card) and "Licencia adicional" in texts(card)
    assert_valid_cards([card])


@pytest.mark.allows_error_log("the answer card's licence report read is made to time out")
async def test_a_saved_change_is_delivered_even_when_its_answer_card_fails(harness, monkeypatch, caplog) -> None:
    project_id = await started(harness)
    card = latest_task_cards(harness, ADMIN)[LICENSE]
    before = len([r for r in harness.standin.delivered if r.kind == "update"])

    async def broken_check_lines(*args: Any, **kwargs: Any) -> list[str]:
        raise TimeoutError("the licence report could not be read")

    monkeypatch.setattr(harness.runtime.service, "check_lines", broken_check_lines)
    status, body = await click(harness, ADMIN, "confirm", actions_of(card)["confirm"])
    assert status == 200 and body["statusCode"] != 200  # an apology, not the card
    assert [r.getMessage().split(": ")[-1] for r in caplog.records if r.levelno >= logging.ERROR] == ["TimeoutError"]
    assert await state_of(harness, project_id, LICENSE) == "done"  # the change was saved...
    updates = [r for r in harness.standin.delivered if r.kind == "update"][before:]
    assert any(LICENSE in str(r.cards) for r in updates)  # ...and the copies were updated all the same
