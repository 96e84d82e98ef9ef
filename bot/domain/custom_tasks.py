"""The PM adds a custom task to a phase of one of the project's playbooks (titles in Spanish and
English, owners from the roster, a due date or dependencies) and removes one again.

A custom task is stored with the project (`PlanState.custom`); `spec_of(library, key, project)`
resolves its key, so cards, status, digest, my tasks, reminders and export treat it like a
playbook task. Its owners and due date are its TaskPlan, as for a reassigned playbook task.
Like every plan change (bot/domain/plan.py) it is an Event, can be undone and tells its owners.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, datetime

from bot.domain.authorization import Action, Actor, decide
from bot.domain.plan import MAX_OWNERS, _guard, _plan_change, _push, _tell, task_owners
from bot.domain.plan_model import CUSTOM_PREFIX, MAX_TITLE_LENGTH, CustomTask, TaskPlan, UndoEntry
from bot.domain.playbook import PlaybookLibrary
from bot.domain.project import Project, TaskRecord, TaskState, task_key
from bot.domain.roles import Party
from bot.domain.schedule import compute_schedule, local_date, zone
from bot.domain.text import Language, LocalizedText
from bot.domain.transitions import Change, Refused, _dependencies_met, _record, _refresh_readiness, spec_of

MAX_CUSTOM_TASKS = 50
MAX_DEPENDENCIES = 10


def is_custom(project: Project, key: str) -> bool:
    return key in project.pm_plan.custom


def add_custom_task(project: Project, library: PlaybookLibrary, *, actor: Actor, playbook_id: str, phase: str,
                    title_es: str, title_en: str, owner_ids: list[str], due: date | None, depends_on: list[str],
                    now: datetime, confirmed: bool = False) -> tuple[Change, str]:
    """Add the task; its key. Refused, changing nothing: a non-PM, an empty title (either language),
    no owner or one off the roster, a phase the project does not have, a dependency that is not one
    of its tasks, a due date before a dependency's, or in the past unless `confirmed`."""
    if not decide(actor, Action.ASSIGN_ROLES, project):
        raise Refused("not_allowed")
    es, en = title_es.strip()[:MAX_TITLE_LENGTH], title_en.strip()[:MAX_TITLE_LENGTH]
    if not es or not en:
        raise Refused("custom_title_required")
    if playbook_id not in project.products or phase not in {p.id for p in library[playbook_id].phases}:
        raise Refused("custom_unknown_phase", phase)
    if len(project.pm_plan.custom) >= MAX_CUSTOM_TASKS:
        raise Refused("custom_too_many", str(MAX_CUSTOM_TASKS))
    ids = list(dict.fromkeys(i.strip().lower() for i in owner_ids if i.strip()))[:MAX_OWNERS]
    if not ids:
        raise Refused("owner_required")
    outside = [i for i in ids if project.person(i) is None]
    if outside:
        raise Refused("not_on_roster", outside[0])
    deps = list(dict.fromkeys(depends_on))[:MAX_DEPENDENCIES]
    for dep in deps:
        if not dep.startswith(f"{playbook_id}:") or dep not in project.tasks:
            raise Refused("custom_unknown_dependency", dep)
    schedule = compute_schedule(project, library, now)
    if due is not None:
        for dep in deps:
            if dep in schedule.dates and due < schedule.dates[dep].planned_due:
                raise Refused("due_before_dependency", schedule.dates[dep].planned_due.isoformat())
        if due < local_date(now, zone(project)) and not confirmed:
            raise Refused("date_past", due.isoformat())
    key = task_key(playbook_id, f"{CUSTOM_PREFIX}{uuid.uuid4().hex[:10]}")
    provider = any(role.party is Party.PROVIDER for i in ids for role in project.roles_of(i))
    custom = CustomTask(key, phase, LocalizedText(es, en), "provider" if provider else "customer",
                        tuple(d.split(":", 1)[1] for d in deps))
    project.pm_plan.custom[key] = custom
    project.tasks[key] = TaskRecord(key=key)
    project.pm_plan.tasks[key] = TaskPlan(owner_ids=tuple(ids), due=due)
    if _dependencies_met(project, library, key):
        project.tasks[key].state = TaskState.READY
        project.tasks[key].ready_at = now
    project.completed_at = None  # an open task again (its owners get its card with the change, below)
    change = _plan_change(project, actor, now, "custom_task_added", key, TaskPlan(),
                          data={"phase": phase, "title": {"es": es, "en": en}, "owners": ids,
                                "due": due.isoformat() if due else None, "dependsOn": deps})
    project.pm_plan.undo[-1] = replace(project.pm_plan.undo[-1], custom=custom)  # its titles, once undone
    _tell(project, change, now, key, set(ids), actor, "plan.told.custom_added")
    return change, key


def remove_custom_task(project: Project, library: PlaybookLibrary, *, actor: Actor, key: str,
                       now: datetime) -> Change:
    """Remove a custom task (a playbook task is marked not applicable instead). Refused while
    another custom task depends on it. The tasks that waited on it may start."""
    _guard(project, actor, key)
    custom = project.pm_plan.custom.get(key)
    if custom is None:
        raise Refused("custom_only")
    task_id = key.split(":", 1)[1]
    for other_key, other in project.pm_plan.custom.items():
        if other_key != key and task_id in other.depends_on:
            raise Refused("custom_has_dependents", other.title.es + " / " + other.title.en)
    owners = {p.id for p in task_owners(project, library, key)}
    before = project.pm_plan.plan(key)
    record = project.tasks.pop(key)
    del project.pm_plan.custom[key]
    project.pm_plan.tasks.pop(key, None)
    change = Change()  # not `changed`: the task is gone, there is no card of it to refresh
    _record(project, change, actor, now, "custom_task_removed", key=key,
            data={"title": {"es": custom.title.es, "en": custom.title.en}})
    _push(project, UndoEntry(change.events[-1].seq, "custom_task_removed", key, before, record.state.value, custom,
                             record.to_dict()))
    _refresh_readiness(project, library, change, actor, now)
    _tell(project, change, now, key, owners, actor, "plan.told.custom_removed", title_es=custom.title.es,
          title_en=custom.title.en)
    return change


def title_of(project: Project, library: PlaybookLibrary, key: str, language: Language) -> str:
    """The task's title in the language, a removed custom task's from the undo list."""
    if key in project.tasks:
        return spec_of(library, key, project).title.get(language)
    for entry in reversed(project.pm_plan.undo):
        if entry.key == key and entry.custom is not None:
            return entry.custom.title.get(language)
    return ""
