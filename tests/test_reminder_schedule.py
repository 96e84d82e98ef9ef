"""When a project next matters to the reminder pass: the days a task is in a reminder, the
first such day of a project, and how a change moves it (domain only, no store)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.authorization import Action
from bot.domain.notifications import plan_notifications
from bot.domain.project import Project
from bot.domain.schedule import compute_schedule, first_reminder_at, next_reminder_day, reminder_kind, start_of_local_day
from bot.domain.transitions import apply_task_action
from tests.storage.helpers import LIBRARY, NOW, PM, complete, make_project

MADRID = ZoneInfo("Europe/Madrid")
KICKOFF = date(2026, 11, 2)  # helpers: task a is ready at once and due the 3rd; b and c follow a, d follows both


@pytest.mark.parametrize(("today", "expected"), [
    (date(2026, 11, 1), None),  # two days before: nothing yet
    (date(2026, 11, 2), "due_tomorrow"),
    (date(2026, 11, 3), None),  # due today: not in the reminder
    (date(2026, 11, 4), "overdue"),
    (date(2026, 12, 4), "overdue"),
])
def test_reminder_kind_is_the_day_before_and_every_day_after_the_due_date(today: date, expected: str | None) -> None:
    assert reminder_kind(today, date(2026, 11, 3)) == expected


@pytest.mark.parametrize(("from_day", "expected"), [
    (date(2026, 10, 20), date(2026, 11, 2)),
    (date(2026, 11, 2), date(2026, 11, 2)),
    (date(2026, 11, 3), date(2026, 11, 4)),  # skips the due day itself
    (date(2026, 11, 9), date(2026, 11, 9)),
])
def test_next_reminder_day_of_one_open_task(from_day: date, expected: date) -> None:
    project, _ = make_project("p")
    schedule = compute_schedule(project, LIBRARY, NOW)
    assert schedule.dates["voice:a"].planned_due == date(2026, 11, 3)
    assert next_reminder_day(project, schedule, from_day) == expected
    # The same days as reminder_kind, by brute force.
    brute = next(day for day in (from_day + timedelta(days=n) for n in range(60)) if reminder_kind(day, date(2026, 11, 3)))
    assert brute == expected


def test_next_reminder_day_takes_the_earliest_open_task_and_ignores_waiting_and_closed_ones() -> None:
    project, _ = make_project("p")
    apply_task_action(project, LIBRARY, actor=PM, action=Action.CONFIRM, key="voice:a", now=NOW)
    apply_task_action(project, LIBRARY, actor=PM, action=Action.BLOCK, key="voice:c", now=NOW, reason="waiting on the carrier")
    schedule = compute_schedule(project, LIBRARY, NOW)
    # a is done; b (ready) and c (blocked) are due the 4th; d waits and would be due the 5th.
    assert [schedule.dates[k].planned_due for k in ("voice:b", "voice:c", "voice:d")] == [date(2026, 11, 4)] * 2 + [date(2026, 11, 5)]
    assert next_reminder_day(project, schedule, date(2026, 11, 2)) == date(2026, 11, 3)
    apply_task_action(project, LIBRARY, actor=PM, action=Action.CONFIRM, key="voice:b", now=NOW)
    assert next_reminder_day(project, compute_schedule(project, LIBRARY, NOW), date(2026, 11, 4)) == date(2026, 11, 5)  # c, overdue


def test_a_project_with_no_open_task_needs_no_reminder() -> None:
    project, _ = make_project("p")
    complete(project)
    assert next_reminder_day(project, compute_schedule(project, LIBRARY, NOW), date(2026, 11, 2)) is None
    assert first_reminder_at(project, LIBRARY, NOW) is None


def test_first_reminder_at_is_the_start_of_that_local_day_in_utc() -> None:
    project, _ = make_project("p")
    assert first_reminder_at(project, LIBRARY, NOW) == datetime(2026, 11, 1, 23, 0, tzinfo=UTC)  # 00:00 in Madrid
    early = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
    assert first_reminder_at(project, LIBRARY, early) == datetime(2026, 11, 1, 23, 0, tzinfo=UTC)
    later = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)
    assert first_reminder_at(project, LIBRARY, later) == datetime(2026, 11, 3, 23, 0, tzinfo=UTC)  # overdue from the 4th


def test_start_of_a_local_day_whose_midnight_daylight_saving_skips() -> None:
    santiago = ZoneInfo("America/Santiago")  # 6 Sep 2026: clocks jump from 00:00 to 01:00
    start = start_of_local_day(date(2026, 9, 6), santiago)
    assert start.astimezone(santiago).date() == date(2026, 9, 6)
    assert (start - timedelta(microseconds=1)).astimezone(santiago).date() == date(2026, 9, 5)
    assert start_of_local_day(date(2026, 11, 2), MADRID) == datetime(2026, 11, 1, 23, 0, tzinfo=UTC)


def test_every_recorded_change_makes_the_project_due_and_planning_narrows_it() -> None:
    project, _ = make_project("p")
    project.next_reminder_at = datetime(2027, 1, 1, tzinfo=UTC)  # as if the reminder pass had moved it on
    later = NOW + timedelta(hours=3)
    change = apply_task_action(project, LIBRARY, actor=PM, action=Action.CONFIRM, key="voice:a", now=later)
    assert project.next_reminder_at == later  # due at once, whoever persists it
    plan_notifications(project, LIBRARY, change, later)
    # b and c became ready, due the 4th: their reminder day is the 3rd.
    assert project.next_reminder_at == start_of_local_day(date(2026, 11, 3), MADRID)


def test_next_reminder_at_is_stored_in_utc() -> None:
    project, _ = make_project("p")
    project.next_reminder_at = datetime(2026, 11, 3, 0, 0, tzinfo=MADRID)
    doc = project.to_dict()
    assert doc["nextReminderAt"] == "2026-11-02T23:00:00+00:00"
    assert Project.from_dict(doc).next_reminder_at == project.next_reminder_at
    project.next_reminder_at = None
    assert Project.from_dict(project.to_dict()).next_reminder_at is None  # nothing to remind about
