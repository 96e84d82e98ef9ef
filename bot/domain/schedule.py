"""Scheduling: due dates from the playbook's durations and date rules, the forecast from
what remains, what is overdue, who everyone is waiting on, and the billing rule.

Dates are calendar dates in the project's time zone; a date-based due moment is the end of
that local day, converted to UTC through zoneinfo so daylight-saving changes are exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo

from bot.domain.playbook import DateRuleKind, Milestone, PlaybookLibrary, TaskSpec
from bot.domain.project import Project, TaskState, task_key
from bot.domain.working_days import next_working_reminder_day

END_OF_DAY = time(23, 59, 59)


def zone(project: Project) -> ZoneInfo:
    return ZoneInfo(project.timezone)


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


def end_of_local_day(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, END_OF_DAY, tzinfo=tz).astimezone(UTC)


def start_of_local_day(day: date, tz: ZoneInfo) -> datetime:
    """The first instant of that local day, UTC (a midnight skipped by DST maps to the day's first hour)."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def first_of_next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def first_invoice_date(deployed_at: datetime, tz: ZoneInfo) -> date:
    """Billing starts on the 1st of the month after deployment, in the customer's time zone."""
    return first_of_next_month(local_date(deployed_at, tz))


def port_date(project: Project) -> date | None:
    """The FOC date once the carrier committed to one, else the date the customer asked for."""
    return project.foc_date or project.requested_port_date


@dataclass(frozen=True, slots=True)
class TaskDates:
    planned_due: date  # from the kickoff and the rules: the date the owners are held to
    due_at: datetime  # the due moment, UTC
    forecast_finish: date  # from today and what remains


class Health(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    LATE = "late"


@dataclass(frozen=True, slots=True)
class Schedule:
    dates: dict[str, TaskDates]
    forecast_go_live: date
    target_go_live: date
    first_invoice: date | None

    def due(self, key: str) -> TaskDates:
        return self.dates[key]


@dataclass(frozen=True, slots=True)
class _Step:
    key: str
    spec: TaskSpec
    depends_on: tuple[str, ...]  # keys of the project's own tasks this one waits for


MAX_DERIVED_PLANS = 256  # distinct task sets (product and option combinations) remembered per library


def _steps(project: Project, library: PlaybookLibrary) -> tuple[_Step, ...]:
    """The project's tasks in dependency order with their specs and dependencies, worked out once
    per distinct set of tasks (it depends on nothing else) and then reused by every schedule."""
    keys = tuple(project.tasks)
    cache_key = ("schedule.steps", keys)
    steps: tuple[_Step, ...] | None = library.derived.get(cache_key)
    if steps is None:
        present = set(keys)
        built = []
        for key in _dependency_order(project, library):
            playbook_id, task_id = key.split(":", 1)
            spec = library[playbook_id].task(task_id)
            depends_on = tuple(k for k in (task_key(playbook_id, d) for d in spec.depends_on) if k in present)
            built.append(_Step(key, spec, depends_on))
        steps = tuple(built)
        if len(library.derived) >= MAX_DERIVED_PLANS:
            library.derived.clear()
        library.derived[cache_key] = steps
    return steps


def compute_schedule(project: Project, library: PlaybookLibrary, now: datetime) -> Schedule:
    """Plan (from the kickoff) and forecast (from now) every task of the project, in one pass
    over the tasks in dependency order: linear in tasks plus dependencies."""
    tz = zone(project)
    today = local_date(now, tz)
    planned: dict[str, date] = {}
    forecast: dict[str, date] = {}
    dates: dict[str, TaskDates] = {}
    day_ends: dict[date, datetime] = {}  # many tasks share a due day; each end is a time-zone conversion

    def end_of(day: date) -> datetime:
        end = day_ends.get(day)
        if end is None:
            end = day_ends[day] = end_of_local_day(day, tz)
        return end

    overrides = project.pm_plan.tasks
    for step in _steps(project, library):
        key, spec, dep_keys = step.key, step.spec, step.depends_on
        record = project.tasks[key]
        planned_start = max([project.kickoff, *(planned[k] for k in dep_keys)])
        planned_due = planned_start + timedelta(days=spec.duration_days)
        due_at = end_of(planned_due)
        rule = spec.date_rule
        rule_day: date | None = None
        if rule is not None:
            if rule.kind is DateRuleKind.AFTER_FOC_RECEIVED and project.foc_received_at is not None:
                due_at = project.foc_received_at + timedelta(hours=rule.hours)
                planned_due = local_date(due_at, tz)
                rule_day = planned_due
            elif rule.kind is DateRuleKind.BEFORE_PORT_DATE and port_date(project) is not None:
                requested = project.requested_port_date or port_date(project)
                assert requested is not None
                planned_due = requested - timedelta(days=rule.days)
                due_at = end_of(planned_due)
            elif rule.kind is DateRuleKind.BY_PORT_DATE and port_date(project) is not None:
                rule_day = port_date(project)
                assert rule_day is not None
                planned_due = rule_day
                due_at = end_of(planned_due)
        moved = overrides.get(key) if overrides else None
        if moved is not None and moved.due is not None:  # the PM moved it (bot/domain/plan.py)
            planned_due = moved.due
            due_at = end_of(planned_due)
            rule_day = planned_due
        planned[key] = planned_due
        if record.state is TaskState.DONE and record.done_at is not None:
            finish = local_date(record.done_at, tz)
        elif record.state is TaskState.NOT_APPLICABLE:
            finish = max([project.kickoff, *(forecast[k] for k in dep_keys)])
        else:
            start = max([today, project.kickoff, *(forecast[k] for k in dep_keys)])
            finish = start + timedelta(days=spec.duration_days)
            if rule_day is not None and start <= rule_day:
                finish = rule_day  # a dated step (the port date) happens on its date when nothing delays it
        forecast[key] = finish
        dates[key] = TaskDates(planned_due=planned_due, due_at=due_at, forecast_finish=finish)
    go_live_keys = [step.key for step in _steps(project, library) if step.spec.milestone is Milestone.GO_LIVE]
    all_finishes = [d.forecast_finish for d in dates.values()] or [project.kickoff]
    forecast_go_live = max(dates[k].forecast_finish for k in go_live_keys) if go_live_keys else max(all_finishes)
    baseline = max(planned[k] for k in go_live_keys) if go_live_keys else max(planned.values(), default=project.kickoff)
    target = project.target_go_live or baseline
    return Schedule(dates=dates, forecast_go_live=forecast_go_live, target_go_live=target,
                    first_invoice=_first_invoice(project, library, tz))


def _first_invoice(project: Project, library: PlaybookLibrary, tz: ZoneInfo) -> date | None:
    deployed = [
        record.done_at
        for step in _steps(project, library)
        if step.spec.milestone is Milestone.DEPLOYMENT
        and (record := project.tasks[step.key]).state is TaskState.DONE and record.done_at
    ]
    return first_invoice_date(min(deployed), tz) if deployed else None


def _dependency_order(project: Project, library: PlaybookLibrary) -> list[str]:
    """Topological order of the project's tasks (playbooks are validated acyclic)."""
    order: list[str] = []
    placed: set[str] = set()
    for key in project.tasks:
        stack = [(key, False)]
        while stack:
            current, expanded = stack.pop()
            if current in placed:
                continue
            if expanded:
                placed.add(current)
                order.append(current)
                continue
            stack.append((current, True))
            playbook_id, task_id = current.split(":", 1)
            for dep in library[playbook_id].task(task_id).depends_on:
                dep_key = task_key(playbook_id, dep)
                if dep_key in project.tasks and dep_key not in placed:
                    stack.append((dep_key, False))
    return order


@dataclass(frozen=True, slots=True)
class Overdue:
    key: str
    days_late: int
    due: date


def overdue_tasks(project: Project, schedule: Schedule, now: datetime) -> list[Overdue]:
    """Tasks not closed whose due moment has passed; days late counted in local days."""
    tz = zone(project)
    today = local_date(now, tz)
    result = []
    for key, record in project.tasks.items():
        if record.state.is_closed or record.state is TaskState.WAITING:
            continue
        dates = schedule.dates[key]
        if dates.due_at < now:
            result.append(Overdue(key=key, days_late=max(1, (today - dates.planned_due).days), due=dates.planned_due))
    return sorted(result, key=lambda o: (-o.days_late, o.key))


ReminderKind = Literal["due_tomorrow", "overdue"]


def reminder_kind(today: date, due: date) -> ReminderKind | None:
    """What an open task due on `due` puts in its owners' reminder on the local day `today`."""
    if due == today + timedelta(days=1):
        return "due_tomorrow"
    if today > due:
        return "overdue"
    return None


def next_reminder_day(project: Project, schedule: Schedule, from_day: date) -> date | None:
    """The first local day from `from_day` on which an open task is due the next day or overdue.
    None when no task is open: only a change (which the reminder pass hears of) can open one."""
    first: date | None = None
    for key, record in project.tasks.items():
        if not record.state.is_open:
            continue
        due = schedule.dates[key].planned_due
        if reminder_kind(from_day, due) is not None:
            day = from_day
        elif from_day < due:
            day = due - timedelta(days=1)
        else:  # due on from_day itself: nothing that day, overdue from the next
            day = due + timedelta(days=1)
        first = day if first is None else min(first, day)
    return first


def first_reminder_at(project: Project, library: PlaybookLibrary, now: datetime,
                      schedule: Schedule | None = None) -> datetime | None:
    """The start of the first local day, from today, on which the project gives anyone a reminder
    line. `schedule`: the project's schedule at `now`, when the caller has it already."""
    tz = zone(project)
    schedule = schedule or compute_schedule(project, library, now)
    dues = [schedule.dates[k].planned_due for k, r in project.tasks.items() if r.state.is_open]
    day = next_working_reminder_day(project, dues, local_date(now, tz))  # weekends and holidays skipped
    return start_of_local_day(day, tz) if day else None


def waiting_on(project: Project, library: PlaybookLibrary) -> dict[str, list[str]]:
    """Open tasks by the side they wait on: 'customer' and 'provider' (shared tasks on both)."""
    result: dict[str, list[str]] = {"customer": [], "provider": []}
    for key, record in project.tasks.items():
        if not record.state.is_open:
            continue
        spec = _spec(library, key)
        if spec.party in ("customer", "shared"):
            result["customer"].append(key)
        if spec.party in ("provider", "shared"):
            result["provider"].append(key)
    return result


def _spec(library: PlaybookLibrary, key: str) -> TaskSpec:
    playbook_id, task_id = key.split(":", 1)
    return library[playbook_id].task(task_id)


@dataclass(frozen=True, slots=True)
class PhaseProgress:
    playbook_id: str
    phase_id: str
    done: int
    total: int


def progress_by_phase(project: Project, library: PlaybookLibrary) -> list[PhaseProgress]:
    counts: dict[tuple[str, str], list[int]] = {}
    for key, record in project.tasks.items():
        spec = _spec(library, key)
        slot = counts.setdefault((key.split(":", 1)[0], spec.phase), [0, 0])
        slot[1] += 1
        if record.state.is_closed:
            slot[0] += 1
    ordered = []
    for product in project.products:
        for phase in library[product].phases:
            if (product, phase.id) in counts:
                done, total = counts[(product, phase.id)]
                ordered.append(PhaseProgress(product, phase.id, done, total))
    return ordered


AT_RISK_MARGIN_DAYS = 3
LATE_OVERDUE_DAYS = 7


def health(project: Project, schedule: Schedule, now: datetime) -> Health:
    """Late: the forecast go-live is past the target, or a task is more than 7 days overdue.
    At risk: something is blocked or overdue, or the forecast is within 3 days of the target.
    On track: otherwise (and always once complete)."""
    if project.is_complete():
        return Health.ON_TRACK
    overdue = overdue_tasks(project, schedule, now)
    if schedule.forecast_go_live > schedule.target_go_live or any(o.days_late > LATE_OVERDUE_DAYS for o in overdue):
        return Health.LATE
    blocked = any(r.state is TaskState.BLOCKED for r in project.tasks.values())
    near = (schedule.target_go_live - schedule.forecast_go_live).days < AT_RISK_MARGIN_DAYS
    if blocked or overdue or near:
        return Health.AT_RISK
    return Health.ON_TRACK
