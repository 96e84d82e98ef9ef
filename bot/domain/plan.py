"""The PM changes a project's plan: reassign a task's owners from the roster, move its due date
with a reason, mark it not applicable with a reason, and undo the last change.

Every change is an Event, leaves an UndoEntry, re-plans the tasks that depend on it (the
schedule reads `Project.pm_plan`) and owes the people it affects a PLAN_CHANGED card.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from bot.domain.authorization import Action, Actor, decide
from bot.domain.plan_model import MAX_UNDO, TaskPlan, UndoEntry
from bot.domain.playbook import PlaybookLibrary
from bot.domain.project import OutboxItem, OutboxKind, Person, Project, Target, TaskState
from bot.domain.schedule import compute_schedule, local_date, zone
from bot.domain.transitions import MAX_REASON_LENGTH, Change, Refused, _record, apply_task_action, spec_of

MAX_OWNERS = 10


def task_owners(project: Project, library: PlaybookLibrary, key: str) -> list[Person]:
    """Who owns the task now: the people the PM reassigned it to, else the holders of its roles."""
    chosen = project.pm_plan.plan(key).owner_ids
    if chosen:
        return [p for p in (project.person(i) for i in chosen) if p is not None]
    return project.people_in(spec_of(library, key).owners)


def _guard(project: Project, actor: Actor, key: str) -> None:
    if not decide(actor, Action.ASSIGN_ROLES, project):
        raise Refused("not_allowed")
    if key not in project.tasks:
        raise Refused("unknown_task", key)


def _clean(reason: str | None) -> str:
    cleaned = (reason or "").strip()[:MAX_REASON_LENGTH]
    if not cleaned:
        raise Refused("reason_required")
    return cleaned


def reassign(project: Project, library: PlaybookLibrary, *, actor: Actor, key: str, person_ids: list[str],
             now: datetime) -> Change:
    """The task's owners become these roster people (refused: nobody, or someone not on the roster)."""
    _guard(project, actor, key)
    ids = list(dict.fromkeys(i.strip().lower() for i in person_ids if i.strip()))[:MAX_OWNERS]
    if not ids:
        raise Refused("owner_required")
    outside = [i for i in ids if project.person(i) is None]
    if outside:
        raise Refused("not_on_roster", outside[0])
    before = project.pm_plan.plan(key)
    previous = task_owners(project, library, key)
    project.pm_plan.tasks[key] = replace(before, owner_ids=tuple(ids))
    change = _plan_change(project, actor, now, "task_reassigned", key, before,
                          data={"from": [p.id for p in previous], "to": ids})
    _tell(project, change, now, key, {p.id for p in previous} | set(ids), actor, "plan.told.reassigned")
    return change


def move_due(project: Project, library: PlaybookLibrary, *, actor: Actor, key: str, due: date, reason: str | None,
             now: datetime, confirmed: bool = False) -> Change:
    """Move the task's due date. Refused: no reason, before a dependency's due date (that would
    break the plan), or in the past unless `confirmed`. Tasks after it re-plan from it."""
    _guard(project, actor, key)
    clean = _clean(reason)
    before_schedule = compute_schedule(project, library, now)
    playbook_id = key.split(":", 1)[0]
    for dep in spec_of(library, key).depends_on:
        dep_key = f"{playbook_id}:{dep}"
        if dep_key in before_schedule.dates and due < before_schedule.dates[dep_key].planned_due:
            raise Refused("due_before_dependency", before_schedule.dates[dep_key].planned_due.isoformat())
    if due < local_date(now, zone(project)) and not confirmed:
        raise Refused("date_past", due.isoformat())
    before = project.pm_plan.plan(key)
    project.pm_plan.tasks[key] = replace(before, due=due, due_reason=clean,
                                         due_from=before.due_from or before_schedule.dates[key].planned_due)
    after_schedule = compute_schedule(project, library, now)
    moved = [k for k, d in after_schedule.dates.items() if d.planned_due != before_schedule.dates[k].planned_due]
    change = _plan_change(project, actor, now, "due_moved", key, before, reason=clean,
                          data={"from": before_schedule.dates[key].planned_due.isoformat(), "to": due.isoformat(),
                                "replanned": [k for k in moved if k != key]})
    affected = {p.id for k in moved or [key] for p in task_owners(project, library, k)}
    _tell(project, change, now, key, affected, actor, "plan.told.due", reason=clean, date=due.isoformat())
    return change


def mark_not_applicable(project: Project, library: PlaybookLibrary, *, actor: Actor, key: str, reason: str | None,
                        now: datetime) -> Change:
    """The PM marks the task not applicable, saying why; the tasks waiting on it may start."""
    _guard(project, actor, key)
    clean = _clean(reason)
    state_before = project.tasks[key].state
    change = apply_task_action(project, library, actor=actor, action=Action.NOT_APPLICABLE, key=key, now=now, reason=clean)
    entry = UndoEntry(change.events[0].seq, "marked_not_applicable", key, project.pm_plan.plan(key), state_before.value)
    _push(project, entry)
    _tell(project, change, now, key, {p.id for p in task_owners(project, library, key)}, actor, "plan.told.na", reason=clean)
    return change


def undo(project: Project, library: PlaybookLibrary, *, actor: Actor, now: datetime) -> tuple[Change, UndoEntry]:
    """Take back the last plan change; refused when there is none."""
    if not decide(actor, Action.ASSIGN_ROLES, project):
        raise Refused("not_allowed")
    if not project.pm_plan.undo:
        raise Refused("nothing_to_undo")
    entry = project.pm_plan.undo.pop()
    key = entry.key
    before_owners = {p.id for p in task_owners(project, library, key)}
    if entry.kind == "marked_not_applicable":
        record = project.tasks[key]
        if record.state is not TaskState.NOT_APPLICABLE:
            raise Refused("undo_moved_on", key)
        change = apply_task_action(project, library, actor=actor, action=Action.REOPEN, key=key, now=now)
        if entry.state_before == TaskState.READY.value and record.state is TaskState.REOPENED:
            record.state = TaskState.READY  # it was never done: back to ready, not "reopened"
    else:
        change = Change(changed=[key])
    project.pm_plan.tasks[key] = entry.before
    if project.pm_plan.tasks[key] == TaskPlan():
        del project.pm_plan.tasks[key]
    _record(project, change, actor, now, "plan_change_undone", key=key, data={"undid": entry.kind, "seq": entry.seq})
    told = before_owners | {p.id for p in task_owners(project, library, key)}
    _tell(project, change, now, key, told, actor, "plan.told.undone")
    return change, entry


def _plan_change(project: Project, actor: Actor, now: datetime, kind: str, key: str, before: TaskPlan, *,
                 reason: str | None = None, data: dict[str, object]) -> Change:
    change = Change(changed=[key])
    project.tasks[key].rev += 1  # cards drawn before the change are stale
    _record(project, change, actor, now, kind, key=key, reason=reason, data=data)
    _push(project, UndoEntry(change.events[-1].seq, kind, key, before))
    return change


def _push(project: Project, entry: UndoEntry) -> None:
    project.pm_plan.undo.append(entry)
    del project.pm_plan.undo[:-MAX_UNDO]


def _tell(project: Project, change: Change, now: datetime, key: str, people: set[str], actor: Actor, what: str,
          **values: str) -> None:
    """Owe each affected person (not the PM who made the change) the task's card with what changed."""
    anchor = change.events[-1].id
    for person_id in sorted(people - {actor.id}):
        project.owe(OutboxItem(id=f"{anchor}:plan:{person_id}", kind=OutboxKind.PLAN_CHANGED,
                               target=Target.person(person_id), created_at=now,
                               params={"key": key, "what": what, "by": actor.name, **values}))
