"""Where a task's state changes. Every change is guarded by `authorization.decide` and
recorded as an Event; the caller persists project and events in one conditional write.

State machine (R = ready or reopened):
    waiting --(dependencies met)--> ready
    R --confirm / confirm_on_behalf--> done          R --block (reason)--> blocked
    blocked --unblock--> ready                        blocked --confirm--> done
    any open or waiting --not_applicable (PM)--> not_applicable
    done | not_applicable --reopen (PM)--> reopened (or waiting if its dependencies reopened)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.domain.authorization import Action, Actor, decide
from bot.domain.events import Event
from bot.domain.playbook import Gate, Milestone, PlaybookLibrary, TaskSpec
from bot.domain.project import (
    ConversationTarget,
    DigestSchedule,
    Person,
    Project,
    ProjectOptions,
    TaskRecord,
    TaskState,
    task_key,
)
from bot.domain.roles import Role
from bot.domain.schedule import local_date, zone
from bot.domain.text import Language

MAX_REASON_LENGTH = 500
MAX_DATE_AHEAD_DAYS = 2 * 365  # a porting date further ahead than this is a typo, not a plan


class Refused(Exception):
    """The action was not taken; `code` says why (the edge translates it)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


class StaleCard(Refused):
    """The card was drawn for an older revision of the task: nothing changes, show the current one."""

    def __init__(self, key: str) -> None:
        super().__init__("stale", key)


@dataclass(slots=True)
class Change:
    """What one command did to a project."""

    events: list[Event] = field(default_factory=list)
    became_ready: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    completed: bool = False


_ALLOWED_FROM: dict[Action, frozenset[TaskState]] = {
    Action.CONFIRM: frozenset({TaskState.READY, TaskState.REOPENED, TaskState.BLOCKED}),
    Action.CONFIRM_ON_BEHALF: frozenset({TaskState.READY, TaskState.REOPENED, TaskState.BLOCKED}),
    Action.BLOCK: frozenset({TaskState.READY, TaskState.REOPENED}),
    Action.UNBLOCK: frozenset({TaskState.BLOCKED}),
    Action.NOT_APPLICABLE: frozenset({TaskState.WAITING, TaskState.READY, TaskState.REOPENED, TaskState.BLOCKED}),
    Action.REOPEN: frozenset({TaskState.DONE, TaskState.NOT_APPLICABLE}),
}
TASK_STATE_ACTIONS = tuple(_ALLOWED_FROM)


def new_project(
    library: PlaybookLibrary,
    *,
    actor: Actor,
    customer_name: str,
    tenant_id: str,
    products: tuple[str, ...],
    options: ProjectOptions,
    kickoff: date,
    timezone: str,
    language: Language,
    now: datetime,
    requested_port_date: date | None = None,
    target_go_live: date | None = None,
    people: dict[Role, list[Person]] | None = None,
    channel: ConversationTarget | None = None,
    project_id: str | None = None,
    digest: DigestSchedule | None = None,
) -> tuple[Project, Change]:
    if not decide(actor, Action.CREATE_PROJECT):
        raise Refused("not_allowed", "only configured PMs create projects")
    if not products or any(p not in library for p in products) or len(set(products)) != len(products):
        raise Refused("invalid", f"unknown or repeated products {products!r}")
    if not customer_name.strip():
        raise Refused("invalid", "customer name is empty")
    if options.porting and requested_port_date is None:
        raise Refused("invalid", "porting needs a requested port date")
    roster = {role: list(ps) for role, ps in (people or {}).items()}
    pms = roster.setdefault(Role.PROVIDER_PM, [])
    if not any(p.id == actor.id for p in pms):
        pms.insert(0, Person(id=actor.id, name=actor.name))
    project = Project(
        id=project_id or uuid.uuid4().hex[:12],
        tenant_id=tenant_id,
        customer_name=customer_name.strip(),
        products=products,
        options=options,
        kickoff=kickoff,
        timezone=timezone,
        language=language,
        created_at=now,
        created_by=actor.id,
        requested_port_date=requested_port_date,
        target_go_live=target_go_live,
        people=roster,
        channel=channel,
        digest=digest or DigestSchedule(),
    )
    for playbook, spec in project.included_specs(library):
        key = task_key(playbook.id, spec.id)
        project.tasks[key] = TaskRecord(key=key)
    change = Change()
    _record(project, change, actor, now, "project_created", data={"products": list(products)})
    _refresh_readiness(project, library, change, actor, now)
    return project, change


def spec_of(library: PlaybookLibrary, key: str) -> TaskSpec:
    playbook_id, task_id = key.split(":", 1)
    return library[playbook_id].task(task_id)


def apply_task_action(
    project: Project,
    library: PlaybookLibrary,
    *,
    actor: Actor,
    action: Action,
    key: str,
    now: datetime,
    reason: str | None = None,
    expected_rev: int | None = None,
) -> Change:
    """Apply one card action to one task, or raise Refused/StaleCard and change nothing."""
    record = project.tasks.get(key)
    if record is None:
        raise Refused("unknown_task", key)
    spec = spec_of(library, key)
    if action not in _ALLOWED_FROM:
        raise Refused("invalid", f"{action} is not a task state change")
    if not decide(actor, action, project, spec):
        raise Refused("not_allowed", f"{actor.id} may not {action} {key}")
    if expected_rev is not None and expected_rev != record.rev:
        raise StaleCard(key)
    if record.state not in _ALLOWED_FROM[action]:
        raise Refused("invalid_transition", f"{action} from {record.state}")
    clean_reason = (reason or "").strip()[:MAX_REASON_LENGTH] or None
    if action is Action.BLOCK and not clean_reason:
        raise Refused("reason_required")

    change = Change()
    before = record.state
    if action in (Action.CONFIRM, Action.CONFIRM_ON_BEHALF):
        record.state = TaskState.DONE
        record.done_at = now
        record.blocked_reason = None
        record.blocked_since = None
    elif action is Action.BLOCK:
        record.state = TaskState.BLOCKED
        record.blocked_reason = clean_reason
        record.blocked_since = now
    elif action is Action.UNBLOCK:
        record.state = TaskState.READY
        record.blocked_reason = None
        record.blocked_since = None
    elif action is Action.NOT_APPLICABLE:
        record.state = TaskState.NOT_APPLICABLE
        record.blocked_reason = None
        record.blocked_since = None
    elif action is Action.REOPEN:
        record.state = TaskState.REOPENED if _dependencies_met(project, library, key) else TaskState.WAITING
        record.done_at = None
    record.on_behalf = action is Action.CONFIRM_ON_BEHALF
    _touch(record, actor, now)
    change.changed.append(key)
    _record(
        project, change, actor, now, "task_changed",
        key=key, before=before, after=record.state, reason=clean_reason, on_behalf=record.on_behalf,
        data={"action": action.value},
    )
    if action is Action.CONFIRM or action is Action.CONFIRM_ON_BEHALF:
        _apply_milestone(project, spec, now)
    _refresh_readiness(project, library, change, actor, now)
    return change


def set_foc_date(project: Project, library: PlaybookLibrary, *, actor: Actor, foc_date: date, now: datetime,
                 confirmed: bool = False) -> Change:
    """The PM records the carrier's Firm Order Commitment date; port-date rules follow it.
    A date in the past needs `confirmed`; one more than two years ahead is refused."""
    change = _porting_date(project, actor, Action.SET_FOC, now, "foc_set", project.foc_date, foc_date, confirmed)
    project.foc_date = foc_date
    project.foc_received_at = now
    return change


def move_port_date(project: Project, library: PlaybookLibrary, *, actor: Actor, port_date: date, now: datetime,
                   confirmed: bool = False) -> Change:
    """The PM moves the requested port date. Once the carrier gave an FOC date the port happens
    on that one (SCHEMA.md, `by_port_date`): refused as "foc_wins", nothing changes."""
    change = _porting_date(project, actor, Action.MOVE_PORT_DATE, now, "port_date_moved", project.requested_port_date, port_date,
                           confirmed)
    project.requested_port_date = port_date
    return change


def _porting_date(project: Project, actor: Actor, action: Action, now: datetime, kind: str, previous: date | None,
                  new: date, confirmed: bool) -> Change:
    """Guard and record a change of one of the porting dates (the caller then sets it)."""
    if not decide(actor, action, project):
        raise Refused("not_allowed")
    if not project.options.porting:
        raise Refused("invalid", "this project has no number porting")
    if action is Action.MOVE_PORT_DATE and project.foc_date is not None:
        raise Refused("foc_wins", project.foc_date.isoformat())
    today = local_date(now, zone(project))
    if (new - today).days > MAX_DATE_AHEAD_DAYS:
        raise Refused("date_implausible", new.isoformat())
    if new < today and not confirmed:
        raise Refused("date_past", new.isoformat())
    change = Change()
    _record(project, change, actor, now, kind, data={"from": _iso(previous), "to": new.isoformat()})
    return change


def assign_role(
    project: Project, *, actor: Actor, role: Role, person: Person, now: datetime, replace: bool = False
) -> Change:
    if not decide(actor, Action.ASSIGN_ROLES, project):
        raise Refused("not_allowed")
    change = Change()
    people = project.people.setdefault(role, [])
    if replace:
        people.clear()
    if not any(p.id == person.id for p in people):
        people.append(person)
    if role is Role.PROVIDER_PM and not people:
        raise Refused("invalid", "a project needs a PM")
    _record(project, change, actor, now, "role_assigned", data={"role": role.value, "personId": person.id, "name": person.name})
    return change


def _apply_milestone(project: Project, spec: TaskSpec, now: datetime) -> None:
    if spec.milestone is Milestone.FOC_CONFIRMED and project.foc_received_at is None:
        project.foc_received_at = now


def _dependencies_met(project: Project, library: PlaybookLibrary, key: str) -> bool:
    spec = spec_of(library, key)
    playbook_id = key.split(":", 1)[0]
    if spec.released_by is Gate.PORT_VERIFIED and not project.port_book.all_verified():
        return False  # e.g. cancelling the old carrier: only once every port order is verified
    for dep in spec.depends_on:
        dep_record = project.tasks.get(task_key(playbook_id, dep))
        if dep_record is not None and not dep_record.state.is_closed:
            return False  # a dependency left out by the project's options counts as met
    return True


def _refresh_readiness(project: Project, library: PlaybookLibrary, change: Change, actor: Actor, now: datetime) -> None:
    """Propagate: waiting tasks whose dependencies are met become ready; open tasks whose
    dependencies were reopened go back to waiting. Repeats until nothing moves."""
    moved = True
    while moved:
        moved = False
        for key, record in project.tasks.items():
            met = _dependencies_met(project, library, key)
            if record.state is TaskState.WAITING and met:
                _move(project, change, actor, now, record, TaskState.READY)
                record.ready_at = now
                change.became_ready.append(key)
                moved = True
            elif record.state in (TaskState.READY, TaskState.REOPENED) and not met:
                _move(project, change, actor, now, record, TaskState.WAITING)
                moved = True
    if project.is_complete() and project.completed_at is None:
        project.completed_at = now
        change.completed = True
        _record(project, change, actor, now, "project_completed")
    elif not project.is_complete():
        project.completed_at = None


def _move(project: Project, change: Change, actor: Actor, now: datetime, record: TaskRecord, to: TaskState) -> None:
    before = record.state
    record.state = to
    _touch(record, actor, now)
    if record.key not in change.changed:
        change.changed.append(record.key)
    _record(project, change, actor, now, "task_changed", key=record.key, before=before, after=to, data={"action": "flow"})


def _touch(record: TaskRecord, actor: Actor, now: datetime) -> None:
    record.rev += 1
    record.changed_at = now
    record.changed_by = actor.id
    record.changed_by_name = actor.name


def _record(
    project: Project,
    change: Change,
    actor: Actor,
    now: datetime,
    kind: str,
    *,
    key: str | None = None,
    before: TaskState | None = None,
    after: TaskState | None = None,
    reason: str | None = None,
    on_behalf: bool = False,
    data: dict[str, object] | None = None,
) -> None:
    # Every change of tasks, dates or people is recorded here, and any of them may give someone
    # a reminder line today: the reminder pass looks at the project again (plan_notifications
    # then narrows this to the exact moment).
    project.next_reminder_at = now
    event_id, seq = project.next_event_id()
    change.events.append(
        Event(
            id=event_id,
            project_id=project.id,
            seq=seq,
            at=now,
            kind=kind,
            actor_id=actor.id,
            actor_name=actor.name,
            task_key=key,
            from_state=before.value if before else None,
            to_state=after.value if after else None,
            reason=reason,
            on_behalf=on_behalf,
            data=dict(data or {}),
        )
    )


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def allowed_actions(project: Project, library: PlaybookLibrary, actor: Actor, key: str) -> list[Action]:
    """The task actions this actor may take now, in the order cards show them."""
    record = project.tasks.get(key)
    if record is None:
        return []
    spec = spec_of(library, key)
    allowed = [
        action for action in TASK_STATE_ACTIONS
        if record.state in _ALLOWED_FROM[action] and decide(actor, action, project, spec)
    ]
    if Action.CONFIRM in allowed and Action.CONFIRM_ON_BEHALF in allowed:
        allowed.remove(Action.CONFIRM_ON_BEHALF)  # the PM owns it: a plain confirmation
    return allowed
