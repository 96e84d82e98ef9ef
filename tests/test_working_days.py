"""Working days (issue 18): weekends and the project's holidays are skipped by reminders and the
digest; durations stay calendar days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.digest import next_digest_at
from bot.domain.project import ProjectOptions
from bot.domain.schedule import compute_schedule
from bot.domain.transitions import new_project
from bot.domain.working_days import (
    country_of,
    is_working_day,
    next_working_day,
    next_working_reminder_day,
    parse_holidays,
    working_reminder_kind,
)
from tests.conftest import TENANT, pm_actor

pytestmark = pytest.mark.pmtools
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def make(library, timezone: str = "America/New_York"):
    project, _ = new_project(library, actor=pm_actor(), customer_name="Contoso", tenant_id=TENANT, products=("cloud_voice_teams",),
                             options=ProjectOptions(), kickoff=NOW.date(), timezone=timezone, language="en", now=NOW)
    return project


def test_the_countrys_public_holidays_by_default_in_the_projects_time_zone(library) -> None:
    us, spain = make(library), make(library, "Europe/Madrid")
    assert country_of("America/New_York") == "US" and country_of("Europe/Madrid") == "ES"
    assert not is_working_day(us, date(2026, 11, 26))  # Thanksgiving
    assert is_working_day(spain, date(2026, 11, 26))
    assert not is_working_day(spain, date(2026, 12, 8)) and is_working_day(us, date(2026, 12, 8))  # Inmaculada Concepción
    assert not is_working_day(us, date(2026, 11, 28))  # a Saturday
    assert next_working_day(us, date(2026, 11, 26)) == date(2026, 11, 27)


def test_a_projects_own_list_replaces_the_countrys(library) -> None:
    project = make(library)
    project.pm_plan.holidays = (date(2026, 11, 27),)
    assert is_working_day(project, date(2026, 11, 26)) and not is_working_day(project, date(2026, 11, 27))
    assert next_working_day(project, date(2026, 11, 27)) == date(2026, 11, 30)


@pytest.mark.parametrize("typed", ["2026-12-24, tomorrow", "2026-13-01", "24/12/2026", "", "2026-12-24 " * 101])
def test_a_holiday_list_in_a_wrong_format_is_named(typed: str) -> None:
    assert isinstance(parse_holidays(typed), str)


def test_a_holiday_list_is_read_sorted_and_none_clears_it() -> None:
    assert parse_holidays("2026-12-31; 2026-12-24 2026-12-24") == (date(2026, 12, 24), date(2026, 12, 31))
    assert parse_holidays("none") == () and parse_holidays("ninguno") == ()


def test_reminders_skip_the_weekend_and_warn_on_the_last_working_day(library) -> None:
    project = make(library)
    project.pm_plan.holidays = ()
    friday, saturday, monday = date(2026, 11, 27), date(2026, 11, 28), date(2026, 11, 30)
    assert working_reminder_kind(project, friday, monday) == "due_tomorrow"  # Monday's task, the Friday before
    assert working_reminder_kind(project, saturday, friday) is None  # overdue, but nobody works on Saturday
    assert working_reminder_kind(project, monday, friday) == "overdue"
    assert next_working_reminder_day(project, [friday], saturday) == monday
    assert next_working_reminder_day(project, [monday], date(2026, 11, 24)) == friday


def test_durations_stay_calendar_days(library) -> None:
    project = make(library)
    schedule = compute_schedule(project, library, NOW)
    key = "cloud_voice_teams:licensing.phone_standard"  # 3 days, from a Monday kickoff over Thanksgiving
    assert schedule.dates[key].planned_due == NOW.date() + timedelta(days=3)


def test_the_digest_weekday_moves_past_a_holiday(library) -> None:
    project = make(library)
    project.pm_plan.holidays = (date(2026, 11, 30),)  # the next Monday
    moment = next_digest_at(project, NOW).astimezone(UTC)
    assert moment.date() == date(2026, 12, 1)  # Tuesday, same local hour
    project.pm_plan.holidays = ()
    assert next_digest_at(project, NOW).astimezone(UTC).date() == date(2026, 11, 30)
