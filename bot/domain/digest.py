"""The weekly digest: what happened, what is next, and what moved, for one project.

Digests go out on the project's weekday and time in its time zone (default Monday 09:00).
`week_of` names the local ISO week; a digest is recorded once per project and week (the
outbox item id carries the week), so several bot instances never post it twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.playbook import PlaybookLibrary
from bot.domain.project import CHANNEL_TARGET, OutboxItem, OutboxKind, Project, TaskState
from bot.domain.roles import Party
from bot.domain.schedule import (
    AT_RISK_MARGIN_DAYS,
    LATE_OVERDUE_DAYS,
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
        if spec_of(library, key, project).milestone is not None and not record.state.is_closed:
            dates[key] = schedule.dates[key].forecast_finish.isoformat()
        elif project.pm_plan.plan(key).due is not None and not record.state.is_closed:
            dates[key] = schedule.dates[key].planned_due.isoformat()
    return dates


def compute_digest(project: Project, library: PlaybookLibrary, now: datetime, *, horizon_days: int = 7,
                   previous: dict[str, str] | None = None) -> Digest:
    """`previous`: the dates the last digest showed, to say which moved (default: the project's
    record, which `record_weekly_digest` has already replaced by the time its digest renders)."""
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
    shown = project.last_forecast if previous is None else previous
    moved = [
        MovedDate(key, before, current[key])
        for key, before in sorted(shown.items())
        if key in current and current[key] != before
    ]
    listed = {m.label_key for m in moved}
    for key, plan in project.pm_plan.tasks.items():  # due dates the PM moved since the last digest (bot/domain/plan.py)
        before = shown.get(key) or (plan.due_from.isoformat() if plan.due_from else None)
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
                      params={"week": week, "before": dict(project.last_forecast)})
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


# -- the answer first: health with its reason, go-live, and what each side owes ------------------

class Reason(StrEnum):
    """Why the health is what it is: the first rule of `schedule.health` that holds."""

    COMPLETE = "complete"
    PAST_TARGET = "past_target"  # n: days the forecast go-live is past the target
    LONG_OVERDUE = "long_overdue"  # n: tasks more than LATE_OVERDUE_DAYS late
    BLOCKED = "blocked"  # n: blocked tasks
    OVERDUE = "overdue"  # n: overdue tasks
    NEAR_TARGET = "near_target"  # n: days of margin left before the target
    MARGIN = "margin"  # on track; n: days of margin


@dataclass(frozen=True, slots=True)
class HealthReason:
    health: Health
    reason: Reason
    n: int


def health_reason(project: Project, schedule: Schedule, now: datetime) -> HealthReason:
    """The health and the one fact behind it, in the order `schedule.health` decides."""
    margin = (schedule.target_go_live - schedule.forecast_go_live).days
    if project.is_complete():
        return HealthReason(Health.ON_TRACK, Reason.COMPLETE, 0)
    if margin < 0:
        return HealthReason(Health.LATE, Reason.PAST_TARGET, -margin)
    overdue = overdue_tasks(project, schedule, now)
    long_overdue = sum(1 for o in overdue if o.days_late > LATE_OVERDUE_DAYS)
    if long_overdue:
        return HealthReason(Health.LATE, Reason.LONG_OVERDUE, long_overdue)
    blocked = sum(1 for r in project.tasks.values() if r.state is TaskState.BLOCKED)
    if blocked:
        return HealthReason(Health.AT_RISK, Reason.BLOCKED, blocked)
    if overdue:
        return HealthReason(Health.AT_RISK, Reason.OVERDUE, len(overdue))
    if margin < AT_RISK_MARGIN_DAYS:
        return HealthReason(Health.AT_RISK, Reason.NEAR_TARGET, margin)
    return HealthReason(Health.ON_TRACK, Reason.MARGIN, margin)


def owner_party(library: PlaybookLibrary, key: str, project: Project | None = None) -> Party:
    """The side a task is listed under: its first owner's (a task is listed once); a custom task,
    which has people rather than roles (bot/domain/custom_tasks.py), its own side."""
    spec = spec_of(library, key, project)
    return spec.owners[0].party if spec.owners else Party(spec.party)


@dataclass(frozen=True, slots=True)
class PartyLoad:
    party: Party
    due: list[tuple[str, date]]  # due within the horizon, neither blocked nor overdue, most urgent first
    later: list[tuple[str, date]]  # the party's other open tasks, soonest first


@dataclass(frozen=True, slots=True)
class Answer:
    """What a stakeholder asks first, each task in one place only: blocked, else overdue, else
    under the side that owes it (due this week, or later)."""

    reason: HealthReason
    today: date  # in the project's time zone
    forecast_go_live: date
    target_go_live: date
    go_live_change_days: int | None  # forecast now minus the forecast in the last digest
    done: int
    total: int
    blocked: list[tuple[str, str, datetime | None, int]]  # key, reason, since, days late (0: not late)
    overdue: list[Overdue]  # not blocked
    parties: list[PartyLoad]  # customer, provider, partner: the sides with tasks in the project


def answer_first(project: Project, library: PlaybookLibrary, schedule: Schedule, now: datetime, *,
                 previous: dict[str, str] | None = None, horizon_days: int = 7) -> Answer:
    today = local_date(now, ZoneInfo(project.timezone))
    late = {o.key: o for o in overdue_tasks(project, schedule, now)}
    blocked = [(k, r.blocked_reason or "", r.blocked_since, late[k].days_late if k in late else 0)
               for k, r in project.tasks.items() if r.state is TaskState.BLOCKED]
    blocked.sort(key=lambda b: (b[2] is None, b[2] or now, b[0]))
    blocked_keys = {b[0] for b in blocked}
    sides = [p for p in (Party.CUSTOMER, Party.PROVIDER, Party.PARTNER)
             if any(owner_party(library, k, project) is p for k in project.tasks)]
    loads = []
    for party in sides:
        due, later = [], []
        for key, record in project.tasks.items():
            if record.state.is_closed or key in blocked_keys or key in late or owner_party(library, key, project) is not party:
                continue
            day = schedule.dates[key].planned_due
            if day <= today + timedelta(days=horizon_days):
                due.append((key, day))
            elif record.state.is_open:
                later.append((key, day))
        loads.append(PartyLoad(party, sorted(due, key=lambda d: (d[1], d[0])), sorted(later, key=lambda d: (d[1], d[0]))))
    before = (previous if previous is not None else project.last_forecast).get("go_live")
    change = (schedule.forecast_go_live - date.fromisoformat(before)).days if before else None
    return Answer(
        reason=health_reason(project, schedule, now),
        today=today,
        forecast_go_live=schedule.forecast_go_live,
        target_go_live=schedule.target_go_live,
        go_live_change_days=change,
        done=sum(1 for r in project.tasks.values() if r.state.is_closed),
        total=len(project.tasks),
        blocked=blocked,
        overdue=[o for o in late.values() if o.key not in blocked_keys],
        parties=loads,
    )
