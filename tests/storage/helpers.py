"""Real domain objects for the storage tests: a small playbook, a PM, projects and changes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from bot.domain.authorization import Action, Actor
from bot.domain.events import Event
from bot.domain.playbook import PlaybookLibrary, load_playbooks, parse_playbook
from bot.domain.project import CHANNEL_TARGET, OutboxItem, OutboxKind, Person, Project, ProjectOptions, TaskState
from bot.domain.roles import Role
from bot.domain.transitions import Change, apply_task_action, new_project


def _text(en: str) -> dict[str, str]:
    return {"es": en, "en": en}


def _task(task_id: str, *depends_on: str) -> dict[str, Any]:
    return {
        "id": task_id, "phase": "setup", "party": "provider", "title": _text(f"Task {task_id}"),
        "description": _text(f"Do {task_id}"), "owners": ["provider_pm"], "depends_on": list(depends_on),
    }


PLAYBOOK = {
    "schema": 1,
    "id": "voice",
    "name": _text("Voice"),
    "phase": [{"id": "setup", "title": _text("Setup")}],
    # a is ready at once; confirming it makes b and c ready; d needs both.
    "task": [_task("a"), _task("b", "a"), _task("c", "a"), _task("d", "b", "c")],
}
LIBRARY = PlaybookLibrary({"voice": parse_playbook(PLAYBOOK, "storage-test.toml")})
TENANT = "tenant-a"
PM = Actor(id="pm-1", name="Pat PM", tenant_id=TENANT, is_staff_pm=True)
OTHER_PM = Actor(id="pm-2", name="Quinn PM", tenant_id=TENANT, is_staff_pm=True)
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def make_project(
    project_id: str,
    *,
    tenant: str = TENANT,
    pm: Actor = PM,
    extra_pms: tuple[Actor, ...] = (),
    customer: str = "Contoso",
) -> tuple[Project, list[Event]]:
    people = {Role.PROVIDER_PM: [Person(id=pm.id, name=pm.name)] + [Person(id=a.id, name=a.name) for a in extra_pms]}
    project, change = new_project(
        LIBRARY, actor=pm, customer_name=customer, tenant_id=tenant, products=("voice",),
        options=ProjectOptions(), kickoff=date(2026, 11, 2), timezone="Europe/Madrid", language="en",
        now=NOW, project_id=project_id, people=people,
    )
    return project, change.events


def confirm(project: Project, task_id: str, actor: Actor = PM) -> Change:
    return apply_task_action(project, LIBRARY, actor=actor, action=Action.CONFIRM, key=f"voice:{task_id}", now=NOW)


def complete(project: Project, actor: Actor = PM) -> list[Event]:
    """Confirm every task (in dependency order); returns the events."""
    events: list[Event] = []
    for task_id in ("a", "b", "c", "d"):
        events += confirm(project, task_id, actor).events
    assert project.completed_at is not None
    return events


def add_outbox(project: Project, item_id: str = "o1") -> None:
    project.outbox.append(OutboxItem(id=item_id, kind=OutboxKind.DIGEST, target=CHANNEL_TARGET, created_at=NOW))


def state(project: Project) -> dict[str, Any]:
    return project.to_dict()


# -- the real playbooks (bot/playbooks), every product and option: the shape of production data
@cache
def real_library() -> PlaybookLibrary:
    return load_playbooks()


def make_real_project(project_id: str) -> tuple[Project, list[Event]]:
    library = real_library()
    project, change = new_project(
        library, actor=PM, customer_name="Contoso", tenant_id=TENANT, products=library.ids(),
        options=ProjectOptions(porting=True, provider_circuit=True, hardware="rented"), kickoff=date(2026, 11, 2),
        timezone="America/Mexico_City", language="es", now=NOW, requested_port_date=date(2026, 12, 14),
        project_id=project_id,
    )
    return project, change.events


def confirm_real(project: Project, key: str, actor: Actor = PM) -> Change:
    return apply_task_action(project, real_library(), actor=actor, action=Action.CONFIRM_ON_BEHALF, key=key, now=NOW)


def busiest_ready_task(project: Project) -> tuple[str, int]:
    """The ready task whose confirmation makes the most tasks ready, and how many."""
    best = ("", -1)
    for key, task in project.tasks.items():
        if task.state is TaskState.READY:
            change = confirm_real(Project.from_dict(project.to_dict()), key)
            readied = sum(1 for e in change.events if e.to_state == TaskState.READY.value)
            if readied > best[1]:
                best = (key, readied)
    return best
