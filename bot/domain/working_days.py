"""Working days: reminders and escalations skip weekends and the project's holidays.

A project's holidays are its own list when the PM set one ("holidays 2026-12-24, 2026-12-31"),
else the public holidays of its time zone's country from the pinned `holidays` package. Days
are local days in the project's time zone. Task durations stay calendar days (the playbooks'
source counts days); only when people are reminded moves.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources
from typing import Literal

import holidays as public_holidays

from bot.domain.project import Project

MAX_HOLIDAYS = 100
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@lru_cache(maxsize=1)
def _zone_countries() -> dict[str, str]:
    """Time zone -> ISO country code, from tzdata's zone.tab."""
    found: dict[str, str] = {}
    text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line and not line.startswith("#"):
            parts = line.split("\t")
            if len(parts) >= 3:
                found[parts[2]] = parts[0]
    return found


def country_of(timezone: str) -> str | None:
    return _zone_countries().get(timezone)


@lru_cache(maxsize=256)
def _public(country: str, year: int) -> frozenset[date]:
    try:
        return frozenset(public_holidays.country_holidays(country, years=year))
    except NotImplementedError:  # a country the package does not know: weekends only
        return frozenset()


def is_working_day(project: Project, day: date) -> bool:
    if day.weekday() >= 5:
        return False
    custom = project.pm_plan.holidays
    if custom is not None:
        return day not in custom
    country = country_of(project.timezone)
    return country is None or day not in _public(country, day.year)


def next_working_day(project: Project, day: date) -> date:
    """`day` itself when people work then, else the first working day after it."""
    for _ in range(60):
        if is_working_day(project, day):
            return day
        day += timedelta(days=1)
    return day


def parse_holidays(text: str) -> tuple[date, ...] | str:
    """A holiday list typed as YYYY-MM-DD dates separated by commas or spaces; "none" clears it.
    The dates, or the first piece that is not one (to show the PM)."""
    pieces = [p for p in re.split(r"[,\s;]+", text.strip()) if p]
    if [p.lower() for p in pieces] in (["none"], ["ninguno"], ["ninguna"]):
        return ()
    days: list[date] = []
    for piece in pieces[:MAX_HOLIDAYS + 1]:
        if not _DAY.match(piece):
            return piece[:40]
        try:
            days.append(date.fromisoformat(piece))
        except ValueError:
            return piece[:40]
    if len(days) > MAX_HOLIDAYS or not days:
        return text.strip()[:40]
    return tuple(sorted(set(days)))


ReminderKind = Literal["due_tomorrow", "overdue"]


def working_reminder_kind(project: Project, today: date, due: date) -> ReminderKind | None:
    """What an open task due on `due` puts in its owners' reminder on `today`: nothing on a day off;
    "due_tomorrow" on the last working day before it is due (a Monday task on Friday), "overdue" after."""
    if not is_working_day(project, today):
        return None
    if today > due:
        return "overdue"
    if today < due and today == last_working_day_before(project, due):
        return "due_tomorrow"
    return None


def last_working_day_before(project: Project, day: date) -> date:
    day -= timedelta(days=1)
    for _ in range(60):
        if is_working_day(project, day):
            return day
        day -= timedelta(days=1)
    return day


def next_working_reminder_day(project: Project, dues: list[date], from_day: date) -> date | None:
    """The first day from `from_day` on which one of these due dates gives a reminder line."""
    first: date | None = None
    for due in dues:
        before = last_working_day_before(project, due)
        if from_day <= before:
            day = before
        else:  # too late to warn ahead: overdue from the first working day after it is due
            day = next_working_day(project, max(from_day, due + timedelta(days=1)))
        first = day if first is None else min(first, day)
    return first
