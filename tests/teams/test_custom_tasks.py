"""Issue 18's custom tasks through the real app: the PM adds a task to a phase (card or typed, both
languages), its owner is told and confirms it, it shows where playbook tasks show, it is removed,
each change is undone, and bad input (empty titles, a non-PM, a date before a dependency) changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.domain.plan_model import PlanState
from bot.domain.project import Project
from bot.domain.schedule import compute_schedule
from tests.support.card_validation import assert_valid_cards
from tests.support.teams_activities import message, personal
from tests.teams.conftest import ADMIN, CUSTOMER, PM, TEAM, TECH, Harness
from tests.teams.flows import actions_of
from tests.teams.test_pm_tools import (
    CV,
    LOGIN,
    STEP1,
    USERS,
    export_rows,
    invoke,
    private_cards,
    private_texts,
    project,
    said,
    stored,
    task_data,
)

pytestmark = pytest.mark.pmtools

TITLES = {"ct_es": "Revisar el plan de numeración", "ct_en": "Review the numbering plan"}


def custom_keys(saved: Project) -> list[str]:
    return list(saved.pm_plan.custom)


async def add_from_card(harness: Harness, project_id: str, on: str = LOGIN, **inputs: str) -> dict[str, Any]:
    values = {**TITLES, "ct_owners": TECH.aad_object_id, **inputs}
    return await invoke(harness, PM, "plan_add", await task_data(harness, project_id, on), **values)


async def test_pm_adds_a_task_from_the_card_its_owner_is_told_and_confirms_it(harness: Harness) -> None:
    project_id = await project(harness)
    since = len(harness.standin.delivered)
    card = await add_from_card(harness, project_id, ct_due="2026-12-18")
    assert "Added “Review the numbering plan” to the phase “Onboarding”" in str(card)
    assert_valid_cards([card])
    saved = await stored(harness, project_id)
    (key,) = custom_keys(saved)
    assert key.startswith(f"{CV}:custom.") and saved.tasks[key].state.value == "ready"
    assert saved.pm_plan.plan(key).owner_ids == (TECH.aad_object_id,)
    assert compute_schedule(saved, harness.runtime.library, harness.clock()).dates[key].planned_due == date(2026, 12, 18)
    told = [c for c in private_cards(harness, TECH, since) if "gave you this new task" in str(c)]
    assert told and "Review the numbering plan" in str(told[-1])
    assert_valid_cards(told)
    assert not any("gave you this new task" in str(c) for c in private_cards(harness, ADMIN, since))
    await invoke(harness, TECH, "confirm", actions_of(told[-1])["confirm"])
    assert (await stored(harness, project_id)).tasks[key].state.value == "done"


async def test_a_custom_task_shows_in_my_tasks_status_digest_and_export(harness: Harness) -> None:
    project_id = await project(harness)
    await add_from_card(harness, project_id, ct_due="2026-11-27")
    await harness.post(message(TECH, personal(TECH), "my tasks", harness.service_url))
    assert "Review the numbering plan" in str(harness.standin.cards_in(personal(TECH).id)[-1])
    await harness.post(message(TECH, personal(TECH), "mis tareas", harness.service_url, locale="es-ES"))
    assert "Revisar el plan de numeración" in str(harness.standin.cards_in(personal(TECH).id)[-1])
    harness.clock.now = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # overdue now: status and digest name it
    await harness.post(message(PM, personal(PM), "status", harness.service_url))
    assert "Review the numbering plan" in str(harness.standin.cards_in(personal(PM).id)[-1])
    await harness.post(message(PM, personal(PM), "digest", harness.service_url))
    assert "Review the numbering plan" in str(harness.standin.cards_in(personal(PM).id)[-1])
    rows = await export_rows(harness)
    assert any(r[2] == "custom_task_added" and r[5] == "Review the numbering plan" for r in rows)


async def test_typed_add_task_after_another_waits_for_it_and_is_planned_after_it(harness: Harness) -> None:
    project_id = await project(harness)
    await harness.post(message(PM, TEAM, "add task onboarding | Revisar rutas | Check the routes | Tia | after step 1",
                               harness.service_url))
    assert "Added “Check the routes”" in harness.standin.activities_in(TEAM.id)[-1]["text"]
    saved = await stored(harness, project_id)
    (key,) = custom_keys(saved)
    assert saved.pm_plan.custom[key].depends_on == (STEP1.split(":", 1)[1],)
    assert saved.tasks[key].state.value == "waiting"
    dates = compute_schedule(saved, harness.runtime.library, harness.clock()).dates
    assert dates[key].planned_due > dates[STEP1].planned_due
    kinds = [e.kind for e in await harness.runtime.store.project_events(project_id)]
    assert "custom_task_added" in kinds


async def test_typed_add_task_in_spanish_with_a_date(harness: Harness) -> None:
    project_id = await project(harness)
    await harness.post(message(PM, TEAM, "añadir tarea Incorporación | Revisar rutas | Check the routes | Tia | 2026-12-20",
                               harness.service_url, locale="es-ES"))
    assert "Añadida «Revisar rutas» a la fase «Incorporación»" in harness.standin.activities_in(TEAM.id)[-1]["text"]
    saved = await stored(harness, project_id)
    (key,) = custom_keys(saved)
    assert saved.pm_plan.plan(key).due == date(2026, 12, 20)


@pytest.mark.parametrize(("es", "en"), [("", ""), ("Revisar", "  "), ("   ", "Review")])
async def test_a_custom_task_with_empty_titles_is_refused_and_nothing_changes(harness: Harness, es: str, en: str) -> None:
    project_id = await project(harness)
    before = await stored(harness, project_id)
    card = await add_from_card(harness, project_id, ct_es=es, ct_en=en, ct_due="2026-12-18")
    assert "needs a title in Spanish and one in English" in str(card)
    after = await stored(harness, project_id)
    assert after.pm_plan.custom == {} and set(after.tasks) == set(before.tasks) and after.pm_plan.undo == []


async def test_empty_titles_typed_are_refused_in_the_persons_language(harness: Harness) -> None:
    project_id = await project(harness)
    await harness.post(message(PM, personal(PM), "añadir tarea incorporacion |  |  | Tia | 2026-12-20", harness.service_url,
                               locale="es-ES"))
    assert "La tarea necesita un título en español y otro en inglés" in private_texts(harness, PM)
    assert (await stored(harness, project_id)).pm_plan.custom == {}


async def test_a_non_pm_cannot_add_or_remove_a_custom_task(harness: Harness) -> None:
    project_id = await project(harness)
    card = await invoke(harness, ADMIN, "plan_add", await task_data(harness, project_id, LOGIN),
                        **TITLES, ct_owners=ADMIN.aad_object_id, ct_due="2026-12-18")
    assert "Only a provider project manager" in str(card)
    assert (await stored(harness, project_id)).pm_plan.custom == {}
    await harness.post(message(CUSTOMER, TEAM, "add task onboarding | A | B | Cam | 2026-12-20", harness.service_url))
    assert "Only a provider project manager" in private_texts(harness, CUSTOMER)
    await add_from_card(harness, project_id, ct_due="2026-12-18")
    (key,) = custom_keys(await stored(harness, project_id))
    card = await invoke(harness, ADMIN, "plan_remove", await task_data(harness, project_id, key))
    assert "Only a provider project manager" in str(card)
    assert key in (await stored(harness, project_id)).tasks


async def test_undo_of_an_added_task_takes_it_away_and_tells_its_owner(harness: Harness) -> None:
    project_id = await project(harness)
    await add_from_card(harness, project_id, ct_due="2026-12-18")
    (key,) = custom_keys(await stored(harness, project_id))
    since = len(harness.standin.delivered)
    await harness.post(message(PM, TEAM, "undo", harness.service_url))
    assert "Undid the last change to “Review the numbering plan”" in harness.standin.activities_in(TEAM.id)[-1]["text"]
    saved = await stored(harness, project_id)
    assert key not in saved.tasks and saved.pm_plan.custom == {} and key not in saved.pm_plan.tasks
    assert "the task “Review the numbering plan” no longer exists" in said(harness, since)
    assert any("no longer exists" in str(c) for c in private_cards(harness, TECH, since))


async def test_pm_removes_a_custom_task_its_owner_is_told_and_undo_brings_it_back(harness: Harness) -> None:
    project_id = await project(harness)
    await add_from_card(harness, project_id, ct_due="2026-12-18")
    (key,) = custom_keys(await stored(harness, project_id))
    pm_card = await invoke(harness, PM, "refresh", await task_data(harness, project_id, key))
    assert "plan_remove" in actions_of(pm_card)
    assert_valid_cards([pm_card])
    since = len(harness.standin.delivered)
    card = await invoke(harness, PM, "plan_remove", actions_of(pm_card)["plan_remove"])
    assert "Removed the task “Review the numbering plan”" in str(card)
    assert_valid_cards([card])
    saved = await stored(harness, project_id)
    assert key not in saved.tasks and key not in saved.pm_plan.custom
    assert any("removed the task “Review the numbering plan”" in str(c) for c in private_cards(harness, TECH, since))
    kinds = [e.kind for e in await harness.runtime.store.project_events(project_id)]
    assert "custom_task_removed" in kinds
    since = len(harness.standin.delivered)
    await harness.post(message(PM, TEAM, "undo", harness.service_url))
    assert "Undid the last change to “Review the numbering plan”" in harness.standin.activities_in(TEAM.id)[-1]["text"]
    saved = await stored(harness, project_id)
    assert key in saved.tasks and saved.tasks[key].state.value == "ready"
    assert saved.pm_plan.plan(key).owner_ids == (TECH.aad_object_id,)
    assert any("undid a plan change" in str(c) and "Review the numbering plan" in str(c)
               for c in private_cards(harness, TECH, since))


async def test_a_playbook_task_cannot_be_removed_only_marked_not_applicable(harness: Harness) -> None:
    project_id = await project(harness)
    before = await stored(harness, project_id)
    await harness.post(message(PM, TEAM, "remove task shared device", harness.service_url))
    assert "Only added tasks can be removed" in private_texts(harness, PM)
    assert set((await stored(harness, project_id)).tasks) == set(before.tasks)
    pm_card = await invoke(harness, PM, "refresh", await task_data(harness, project_id, LOGIN))
    assert "plan_remove" not in actions_of(pm_card) and "plan_add" in actions_of(pm_card)


async def test_typed_remove_task_finds_the_custom_task_by_title(harness: Harness) -> None:
    project_id = await project(harness)
    await add_from_card(harness, project_id, ct_due="2026-12-18")
    await harness.post(message(PM, TEAM, "remove task numbering plan", harness.service_url))
    assert "Removed the task “Review the numbering plan”" in harness.standin.activities_in(TEAM.id)[-1]["text"]
    assert (await stored(harness, project_id)).pm_plan.custom == {}


async def test_a_custom_task_due_before_its_dependency_is_refused(harness: Harness) -> None:
    project_id = await project(harness)
    card = await add_from_card(harness, project_id, on=STEP1, ct_due="2026-11-27", ct_after="true")
    assert "before the due date of a task it depends on" in str(card)
    assert (await stored(harness, project_id)).pm_plan.custom == {}


async def test_a_past_date_for_a_custom_task_is_questioned_then_saved_when_pressed_again(harness: Harness) -> None:
    project_id = await project(harness)
    harness.clock.now = datetime(2026, 12, 15, 15, 0, tzinfo=UTC)
    card = await add_from_card(harness, project_id, on=USERS, ct_due="2026-12-01")
    assert "is in the past" in str(card)
    assert (await stored(harness, project_id)).pm_plan.custom == {}
    again = actions_of(card)["plan_add"]
    assert again["c"] == "2026-12-01" and "c" not in actions_of(card)["plan_due"]
    await invoke(harness, PM, "plan_add", again, **TITLES, ct_owners=TECH.aad_object_id, ct_due="2026-12-01")
    saved = await stored(harness, project_id)
    (key,) = custom_keys(saved)
    assert saved.pm_plan.plan(key).due == date(2026, 12, 1)


async def test_a_typed_add_with_an_unknown_phase_or_person_changes_nothing(harness: Harness) -> None:
    project_id = await project(harness)
    await harness.post(message(PM, personal(PM), "add task billing | A | B | Tia | 2026-12-20", harness.service_url))
    assert "I can't find the phase “billing”" in private_texts(harness, PM) and "Onboarding" in private_texts(harness, PM)
    await harness.post(message(PM, personal(PM), "add task onboarding | A | B | Nobody | 2026-12-20", harness.service_url))
    assert "“Nobody” is not on the project's roster" in private_texts(harness, PM)
    await harness.post(message(PM, personal(PM), "add task onboarding | A", harness.service_url))
    assert "Type: **add task**" in private_texts(harness, PM)
    assert (await stored(harness, project_id)).pm_plan.custom == {}


def test_stored_plans_without_custom_tasks_still_load_and_custom_tasks_round_trip() -> None:
    old = {"tasks": {}, "undo": [], "questions": [], "holidays": None}  # a project stored before custom tasks
    assert PlanState.from_dict(old).custom == {}
    assert "custom" not in PlanState().to_dict()


async def test_a_custom_task_overdue_is_in_its_owners_reminder_on_the_next_working_day(harness: Harness) -> None:
    project_id = await project(harness)
    await harness.post(message(PM, TEAM, "holidays none", harness.service_url))
    await add_from_card(harness, project_id, ct_due="2026-11-27")  # a Friday

    def reminders() -> list[dict[str, Any]]:
        chats = {c.conversation_id for c in harness.standin.created_conversations
                 if any(m["id"] == TECH.teams_id for m in c.members)} | {personal(TECH).id}
        return [c for cid in chats for c in harness.standin.cards_in(cid, kinds=("send", "reply"))
                if "A reminder of your tasks" in str(c["body"][0].get("text", ""))]

    harness.clock.now = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)  # Saturday: no reminder
    await harness.runtime.scheduler.run_due()
    assert not any("Review the numbering plan" in str(c) for c in reminders())
    harness.clock.now = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # Monday
    await harness.runtime.scheduler.run_due()
    assert any("Review the numbering plan" in str(c) and "overdue" in str(c) for c in reminders())


async def test_moving_the_task_a_custom_task_follows_replans_it_and_tells_its_owner(harness: Harness) -> None:
    project_id = await project(harness)
    await add_from_card(harness, project_id, on=USERS, ct_after="true")  # no date: planned after USERS
    saved = await stored(harness, project_id)
    (key,) = custom_keys(saved)
    before = compute_schedule(saved, harness.runtime.library, harness.clock()).dates[key].planned_due
    since = len(harness.standin.delivered)
    await invoke(harness, PM, "plan_due", await task_data(harness, project_id, USERS), due="2026-12-10",
                 plan_reason="Licences delayed")
    after = compute_schedule(await stored(harness, project_id), harness.runtime.library, harness.clock()).dates[key]
    assert after.planned_due > before and after.planned_due > date(2026, 12, 10)
    events = [e for e in await harness.runtime.store.project_events(project_id) if e.kind == "due_moved"]
    assert key in events[-1].data["replanned"]
    assert any("moved the due date" in str(c) for c in private_cards(harness, TECH, since))


async def test_a_channel_message_with_a_bot_mention_and_no_text_is_answered_without_an_error(harness: Harness) -> None:
    """Found by tests/security/test_hostile_input.py: botbuilder's remove_recipient_mention fails on no text."""
    await project(harness)
    activity = message(PM, TEAM, "help", harness.service_url)
    activity.pop("text")
    status, _ = await harness.post(activity)
    assert status in (200, 201, 202)
