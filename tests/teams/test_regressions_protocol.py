"""Issue 22, items 7, 8 and 11, through the Teams protocol (the real app, a Bot Connector
stand-in): refusals that say what is true where the command was typed, redelivered
activities handled once, and channel notes in the task card's thread without msrest noise."""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.storage.contract import user_key
from tests.security.scenario import READY, started_project
from tests.support.store_counting import count_operations
from tests.support.teams_activities import Conversation, TeamsUser, card_action, card_submit, channel, message, personal
from tests.teams.conftest import ADMIN, CUSTOMER, PM, STRANGER, TEAM, TENANT, Harness, harness_env, running_harness
from tests.teams.flows import actions_of, create_project, followed, setup_values

pytestmark = pytest.mark.regressions
SECOND_CHANNEL = channel("second-activation", TENANT)
NOT_PM = "Only a provider project manager can do this."
WHICH_PROJECT = "You have several projects: type this in the project's channel."


async def answer(harness: Harness, user: TeamsUser, where: Conversation, text: str) -> str:
    """Everything the bot sent into `where` for one command, as one string."""
    before = len(harness.standin.activities_in(where.id))
    status, _ = await harness.post(message(user, where, text, harness.service_url))
    assert status < 500
    return repr([followed(harness, a) for a in harness.standin.activities_in(where.id)[before:]])  # 1:1 answers too


# -- item 7: refusals that say what is true, in the person's words ---------------------------

async def test_a_stranger_asking_status_in_the_projects_channel_is_told_they_are_not_on_it(harness: Harness) -> None:
    await started_project(harness)
    seen = await answer(harness, STRANGER, TEAM, "status")
    assert "You are not on this project." in seen
    assert "this task" not in seen and "AdaptiveCard" not in seen


async def test_the_pms_dates_in_a_1_1_chat_act_on_the_only_project(harness: Harness) -> None:
    project = await started_project(harness)
    chat = personal(PM)
    assert "Port date moved" in await answer(harness, PM, chat, "port date 2027-01-20")
    assert "FOC date recorded" in await answer(harness, PM, chat, "foc 2027-01-22")
    stored = await harness.runtime.service.load(project.id)
    assert stored is not None and str(stored.foc_date) == "2027-01-22"
    assert str(stored.requested_port_date) == "2027-01-20" or str(stored.requested_port_date) == "2027-01-22"


async def test_with_two_projects_pm_commands_in_a_1_1_chat_ask_for_the_projects_channel(harness: Harness) -> None:
    first = await started_project(harness)
    second = await started_project(harness, customer="Quasar Logistics", where=SECOND_CHANNEL)
    chat = personal(PM)
    for text in ("digest", "export", "foc 2027-01-22", "port date 2027-01-20", "digest post"):
        seen = await answer(harness, PM, chat, text)
        assert WHICH_PROJECT in seen, (text, seen)
        assert "no project" not in seen and "AdaptiveCard" not in seen, text
    for project_id in (first.id, second.id):
        stored = await harness.runtime.service.load(project_id)
        assert stored is not None and stored.foc_date is None


@pytest.mark.parametrize("where", ["1:1", "channel"])
async def test_a_customers_digest_and_export_say_only_the_pm_can(harness: Harness, where: str) -> None:
    await started_project(harness)
    conversation = personal(CUSTOMER) if where == "1:1" else TEAM
    for text in ("digest", "export", "digest post", "foc 2027-01-22"):
        seen = await answer(harness, CUSTOMER, conversation, text)
        assert NOT_PM in seen, (text, seen)
        assert "no project" not in seen and "AdaptiveCard" not in seen, text


# -- item 8: a redelivered activity (same id) is handled once --------------------------------

async def delivered_project(harness: Harness) -> str:
    """started_project, with what its creation owes delivered (made through the service, nobody asked)."""
    project = await started_project(harness)
    harness.runtime.delivery.deliver_soon(project.id)
    await harness.runtime.settle()
    return project.id


async def test_digest_post_delivered_twice_posts_one_digest(harness: Harness) -> None:
    await delivered_project(harness)
    activity = message(PM, TEAM, "digest post", harness.service_url)
    cards = len(harness.standin.cards_in(TEAM.id))
    await harness.post(activity)
    await harness.post(copy.deepcopy(activity))  # Teams redelivers: the same activity id
    sent = harness.standin.activities_in(TEAM.id)
    assert sum("Digest posted" in str(a.get("text")) for a in sent) == 1, "the redelivery was answered again"
    assert len(harness.standin.cards_in(TEAM.id)) - cards == 1, "two digests were posted"
    # A new request (a new activity id) posts another.
    await harness.post(message(PM, TEAM, "digest post", harness.service_url))
    assert len(harness.standin.cards_in(TEAM.id)) - cards == 2


async def test_a_redelivered_date_is_moved_once(harness: Harness) -> None:
    project = await started_project(harness)
    activity = message(PM, TEAM, "foc 2027-01-22", harness.service_url)
    await harness.post(activity)
    await harness.post(copy.deepcopy(activity))
    events = await harness.runtime.store.project_events(project.id)
    assert sum(e.kind == "foc_set" for e in events) == 1
    assert sum("FOC date recorded" in str(a.get("text")) for a in harness.standin.activities_in(TEAM.id)) == 1


async def test_a_redelivered_set_up_form_creates_one_project_and_answers_once(harness: Harness) -> None:
    await harness.post(message(PM, TEAM, "new project", harness.service_url))
    values = setup_values("cloud_voice_teams", porting=True)
    submit = card_submit(PM, TEAM, values, harness.service_url)
    await harness.post(submit)
    mark = len(harness.standin.activities_in(TEAM.id))
    await harness.post(copy.deepcopy(submit))
    answers = harness.standin.activities_in(TEAM.id)[mark:]
    assert not any("already has" in str(a.get("text")) for a in answers), "the redelivery was told the channel is taken"
    assert not any(a.get("text") for a in answers), answers
    assert await harness.runtime.service.project_for_conversation(TEAM.id)


@pytest.fixture
async def two_instances(tmp_path: Path) -> AsyncIterator[tuple[Harness, Harness]]:
    """Two bot instances on one store, as behind a load balancer."""
    settings = Settings.from_env(harness_env(tmp_path))
    async with running_harness(settings) as first, running_harness(settings) as second:
        yield first, second


async def test_a_redelivery_to_another_instance_at_the_same_time_is_handled_once(two_instances) -> None:
    first, second = two_instances
    await delivered_project(first)
    activity = message(PM, TEAM, "digest post", first.service_url)
    cards = len(first.standin.cards_in(TEAM.id)) + len(second.standin.cards_in(TEAM.id))
    await asyncio.gather(first.post(activity), second.post(copy.deepcopy(activity)))
    await first.runtime.settle()
    await second.runtime.settle()
    answers = [a for a in first.standin.activities_in(TEAM.id) if "Digest posted" in str(a.get("text"))]
    assert len(answers) == 1
    posted = len(first.standin.cards_in(TEAM.id)) + len(second.standin.cards_in(TEAM.id)) - cards
    assert posted == 1, f"{posted} digests were posted"


async def test_a_redelivered_click_changes_the_task_once_and_answers_with_its_card(harness: Harness) -> None:
    project = await started_project(harness)
    stored = await harness.runtime.service.load(project.id)
    assert stored is not None
    data = {"p": project.id, "k": READY, "r": stored.tasks[READY].rev}
    click = card_action(ADMIN, personal(ADMIN), "confirm", data, harness.service_url)
    status, first = await harness.post(click)
    status_again, again = await harness.post(copy.deepcopy(click))
    assert status == status_again == 200
    assert first["type"] == again["type"] == "application/vnd.microsoft.card.adaptive"
    assert "confirm" not in actions_of(again["value"])  # the card as it now is: done
    events = await harness.runtime.store.project_events(project.id)
    assert sum(e.kind == "task_changed" and e.task_key == READY and e.data.get("action") == "confirm" for e in events) == 1


async def test_a_click_costs_no_store_write_for_the_redelivery_guard(harness: Harness) -> None:
    """Clicks are not guarded (their revision makes a repeat change nothing): the guard adds
    no store operation to them, and one create-only write to each guarded command."""
    project = await started_project(harness)
    stored = await harness.runtime.service.load(project.id)
    assert stored is not None
    data = {"p": project.id, "k": READY, "r": stored.tasks[READY].rev}
    store = harness.runtime.store
    costs: dict[str, dict[str, int]] = {}
    activities = {"click": card_action(ADMIN, personal(ADMIN), "confirm", data, harness.service_url),
                  "status": message(PM, TEAM, "status", harness.service_url),
                  "foc": message(PM, TEAM, "foc 2027-01-22", harness.service_url)}
    for name, activity in activities.items():
        count_operations(store).reset()
        await harness.post(activity, settle=False)  # the turn's own operations, not the delivery's
        costs[name] = dict(count_operations(store).counts)
        await harness.runtime.settle()
    logging.getLogger(__name__).info("store operations per turn: %s", costs)
    markers = {name: await store.read_document(user_key("activity", a["conversation"]["id"], a["id"]))
               for name, a in activities.items()}
    assert markers["foc"] is not None and markers["click"] is None and markers["status"] is None


# -- item 11: channel notes in the task card's thread, no msrest warnings ---------------------

async def test_a_change_to_one_task_is_noted_in_its_cards_thread(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    project_id = await create_project(harness, setup_values("cloud_voice_teams", porting=True))
    project = await harness.runtime.service.load(project_id)
    assert project is not None
    root = next(c.activity_id for c in project.tasks[READY].card_copies if c.conversation_id == TEAM.id)
    mark = len(harness.standin.delivered)
    data = {"p": project_id, "k": READY, "r": project.tasks[READY].rev}
    await harness.post(card_action(ADMIN, personal(ADMIN), "confirm", data, harness.service_url))
    notes = [r for r in harness.standin.delivered[mark:] if r.kind in ("send", "reply") and "→" in repr(r.cards)]
    assert len(notes) == 1, [r.conversation_id for r in harness.standin.delivered[mark:]]
    assert notes[0].conversation_id == f"{TEAM.id};messageid={root}", notes[0].conversation_id
    assert not [r for r in harness.standin.delivered[mark:] if r.kind in ("send", "reply") and r.conversation_id == TEAM.id
                and "→" in repr(r.cards)], "the note was posted as a new channel message too"
    assert not [r.getMessage() for r in caplog.records if "teamsTeamId" in r.getMessage() or "teamsChannelId" in r.getMessage()]


async def test_newly_ready_tasks_are_announced_in_the_channel_itself(harness: Harness) -> None:
    mark = len(harness.standin.delivered)
    await create_project(harness, setup_values("cloud_voice_teams", porting=True))
    notes = [r for r in harness.standin.delivered[mark:] if "Ready to start" in repr(r.cards)]
    assert notes and all(r.conversation_id == TEAM.id for r in notes)


async def test_channel_messages_and_the_set_up_form_log_no_msrest_warnings(harness: Harness,
                                                                           caplog: pytest.LogCaptureFixture) -> None:
    project_id = await create_project(harness, setup_values("cloud_voice_teams", porting=True))
    for text in ("status", "my tasks", "digest", "help"):
        await harness.post(message(PM, TEAM, text, harness.service_url))
    assert project_id
    noisy = [r.getMessage() for r in caplog.records if r.name.startswith("msrest")]
    assert not noisy, noisy
