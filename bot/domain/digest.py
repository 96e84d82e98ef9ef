"""The weekly digest: what happened, what is next, and what moved, for one project.

Digests go out on the project's weekday and time in its time zone (default Monday 09:00).
`week_of` names the local ISO week; a digest is recorded once per project and week (the
outbox item id carries the week), so several bot instances never post it twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.playbook import PlaybookLibrary
from bot.domain.project import CHANNEL_TARGET, OutboxItem, OutboxKind, Project, TaskState
from bot.domain.schedule import (
    Health,
    Overdue,
    PhaseProgress,
    Schedule,
    compute_schedule,
    health,
    local_date,
    overdue_tasks,
    progress_by_phase,
    waiting_on,
)
from bot.domain.transitions import spec_of
from bot.domain.working_days import next_working_day


def week_of(project: Project, moment: datetime) -> str:
    year, week, _ = local_date(moment, ZoneInfo(project.timezone)).isocalendar()
    return f"{year}-W{week:02d}"


def next_digest_at(project: Project, after: datetime) -> datetime:
    """The first digest moment strictly after `after`, on the project's weekday and local time."""
    tz = ZoneInfo(project.timezone)
    local = after.astimezone(tz)
    day = local.date() + timedelta(days=(project.digest.weekday - local.weekday()) % 7)
    candidate = datetime.combine(day, project.digest.at, tzinfo=tz)
    if candidate <= local:
        candidate = datetime.combine(day + timedelta(days=7), project.digest.at, tzinfo=tz)
    working = next_working_day(project, candidate.date())  # a holiday moves it to the next working day
    if working != candidate.date():
        candidate = datetime.combine(working, project.digest.at, tzinfo=tz)
    return candidate.astimezone(after.tzinfo)


@dataclass(frozen=True, slots=True)
class MovedDate:
    label_key: str  # a task key, or "go_live"
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class Digest:
    week: str
    completed: list[tuple[str, datetime]]  # key, when
    due_soon: list[tuple[str, date]]
    overdue: list[Overdue]
    blocked: list[tuple[str, str, datetime | None]]  # key, reason, since
    waiting: dict[str, list[str]]
    progress: list[PhaseProgress]
    health: Health
    schedule: Schedule
    moved: list[MovedDate]
    done: int
    total: int


def snapshot(project: Project, library: PlaybookLibrary, schedule: Schedule) -> dict[str, str]:
    """The dates a digest reports, to tell next week which of them moved."""
    dates = {"go_live": schedule.forecast_go_live.isoformat()}
    for key, record in project.tasks.items():
        if spec_of(library, key).milestone is not None and not record.state.is_closed:
            dates[key] = schedule.dates[key].forecast_finish.isoformat()
        elif project.pm_plan.plan(key).due is not None and not record.state.is_closed:
            dates[key] = schedule.dates[key].planned_due.isoformat()
    return dates


def compute_digest(project: Project, library: PlaybookLibrary, now: datetime, *, horizon_days: int = 7) -> Digest:
    schedule = compute_schedule(project, library, now)
    tz = ZoneInfo(project.timezone)
    today = local_date(now, tz)
    week_ago = now - timedelta(days=7)
    completed = sorted(
        ((k, r.done_at) for k, r in project.tasks.items() if r.state is TaskState.DONE and r.done_at and r.done_at > week_ago),
        key=lambda pair: pair[1],
    )
    due_soon = sorted(
        ((k, schedule.dates[k].planned_due) for k, r in project.tasks.items()
         if not r.state.is_closed and today <= schedule.dates[k].planned_due <= today + timedelta(days=horizon_days)),
        key=lambda pair: pair[1],
    )
    blocked = [(k, r.blocked_reason or "", r.blocked_since) for k, r in project.tasks.items() if r.state is TaskState.BLOCKED]
    current = snapshot(project, library, schedule)
    moved = [
        MovedDate(key, before, current[key])
        for key, before in sorted(project.last_forecast.items())
        if key in current and current[key] != before
    ]
    listed = {m.label_key for m in moved}
    for key, plan in project.pm_plan.tasks.items():  # due dates the PM moved since the last digest (bot/domain/plan.py)
        before = project.last_forecast.get(key) or (plan.due_from.isoformat() if plan.due_from else None)
        if plan.due is not None and key not in listed and before and before != plan.due.isoformat():
            moved.append(MovedDate(key, before, plan.due.isoformat()))
    return Digest(
        week=week_of(project, now),
        completed=[(k, when) for k, when in completed if when is not None],
        due_soon=due_soon,
        overdue=overdue_tasks(project, schedule, now),
        blocked=blocked,
        waiting=waiting_on(project, library),
        progress=progress_by_phase(project, library),
        health=health(project, schedule, now),
        schedule=schedule,
        moved=moved,
        done=sum(1 for r in project.tasks.values() if r.state.is_closed),
        total=len(project.tasks),
    )


def record_weekly_digest(project: Project, library: PlaybookLibrary, now: datetime) -> OutboxItem | None:
    """Owe this week's digest to the channel, once: returns the outbox item, or None when this
    week's is already recorded or the project has no channel. Call inside a conditional write."""
    week = week_of(project, now)
    project.next_digest_at = next_digest_at(project, now)
    if project.last_digest_week == week or project.channel is None:
        return None
    item = OutboxItem(id=f"{project.id}:digest:{week}", kind=OutboxKind.DIGEST, target=CHANNEL_TARGET, created_at=now,
                      params={"week": week})
    if not project.owe(item):
        return None
    project.last_digest_week = week
    project.last_forecast = snapshot(project, library, compute_schedule(project, library, now))
    return item


def post_digest_now(project: Project, now: datetime, request_id: str) -> OutboxItem | None:
    """A PM's "digest post": an extra digest now, once per request (the request id dedupes retries)."""
    if project.channel is None:
        return None
    item = OutboxItem(id=f"{project.id}:digest:now:{request_id}", kind=OutboxKind.DIGEST, target=CHANNEL_TARGET,
                      created_at=now, params={"manual": True})
    return item if project.owe(item) else None
