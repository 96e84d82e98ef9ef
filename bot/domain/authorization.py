"""Who may do what: the one place that decides, as a matrix of standing × action.

A person's standing on a project is derived from the project's roles, the task's owners
and the provider's configured staff; every command and card action asks `decide`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.playbook import TaskSpec
from bot.domain.project import Project


class Action(StrEnum):
    CREATE_PROJECT = "create_project"
    ASSIGN_ROLES = "assign_roles"
    CONFIRM = "confirm"
    BLOCK = "block"
    UNBLOCK = "unblock"
    NOT_APPLICABLE = "not_applicable"
    REOPEN = "reopen"
    CONFIRM_ON_BEHALF = "confirm_on_behalf"
    SNOOZE = "snooze"
    STATUS = "status"
    DIGEST = "digest"
    EXPORT = "export"
    SET_FOC = "set_foc"
    MOVE_PORT_DATE = "move_port_date"


class Standing(StrEnum):
    """How a person stands towards a project (and, for task actions, one task)."""

    PROJECT_PM = "project_pm"  # holds provider_pm on this project
    STAFF_PM = "staff_pm"  # a configured provider PM not assigned to this project
    TASK_CONFIRMER = "task_confirmer"  # holds a role that may confirm this task
    TASK_OWNER = "task_owner"  # owns the task but may not confirm it
    PROJECT_MEMBER = "project_member"  # some other role on this project
    OUTSIDER = "outsider"  # same tenant, no role
    OTHER_TENANT = "other_tenant"  # a different tenant and not provider staff


@dataclass(frozen=True, slots=True)
class Actor:
    id: str  # Entra object id
    name: str
    tenant_id: str
    is_staff_pm: bool = False  # listed in PM_AAD_IDS (and from STAFF_TENANT_ID when set)


TASK_ACTIONS = frozenset(
    {Action.CONFIRM, Action.BLOCK, Action.UNBLOCK, Action.NOT_APPLICABLE, Action.REOPEN, Action.CONFIRM_ON_BEHALF, Action.SNOOZE}
)

_ALL_PM = frozenset(Action) - {Action.CREATE_PROJECT, Action.CONFIRM}
# The matrix. CONFIRM for a PM is allowed through TASK_CONFIRMER when the PM owns the task;
# otherwise a PM confirms "on behalf", which is recorded as such.
MATRIX: dict[Standing, frozenset[Action]] = {
    Standing.PROJECT_PM: _ALL_PM,
    Standing.STAFF_PM: frozenset({Action.STATUS, Action.DIGEST}),
    Standing.TASK_CONFIRMER: frozenset({Action.CONFIRM, Action.BLOCK, Action.UNBLOCK, Action.SNOOZE, Action.STATUS}),
    Standing.TASK_OWNER: frozenset({Action.BLOCK, Action.UNBLOCK, Action.SNOOZE, Action.STATUS}),
    Standing.PROJECT_MEMBER: frozenset({Action.STATUS}),
    Standing.OUTSIDER: frozenset(),
    Standing.OTHER_TENANT: frozenset(),
}


def standings(actor: Actor, project: Project, task: TaskSpec | None = None) -> frozenset[Standing]:
    """Every standing the actor has; an action is allowed if any of them allows it."""
    if actor.tenant_id != project.tenant_id:
        if not actor.is_staff_pm:
            return frozenset({Standing.OTHER_TENANT})
        # Provider staff act across tenants only as PMs, never through a customer-side role.
        return frozenset({Standing.PROJECT_PM if project.is_pm(actor.id) else Standing.STAFF_PM})
    roles = project.roles_of(actor.id)
    found: set[Standing] = set()
    if project.is_pm(actor.id):
        found.add(Standing.PROJECT_PM)
    elif actor.is_staff_pm:
        found.add(Standing.STAFF_PM)
    chosen = _reassigned(project, task)
    if chosen is not None:  # the PM reassigned it: its owners are those people (bot/domain/plan.py)
        if actor.id in chosen:
            found.add(Standing.TASK_CONFIRMER)
    elif task is not None and roles & set(task.confirmers):
        found.add(Standing.TASK_CONFIRMER)
    elif task is not None and roles & set(task.owners):
        found.add(Standing.TASK_OWNER)
    if roles:
        found.add(Standing.PROJECT_MEMBER)
    if not found:
        found.add(Standing.OUTSIDER)
    return frozenset(found)


def decide(actor: Actor, action: Action, project: Project | None = None, task: TaskSpec | None = None) -> bool:
    """True when the actor may take the action (on the project, and on the task if given)."""
    if action is Action.CREATE_PROJECT:
        return actor.is_staff_pm
    if project is None:
        return False
    if action in TASK_ACTIONS and task is None:
        return False
    return any(action in MATRIX[s] for s in standings(actor, project, task))


def _reassigned(project: Project, task: TaskSpec | None) -> tuple[str, ...] | None:
    """The people a PM reassigned this task to, or None when it keeps its playbook roles."""
    if task is None or not project.pm_plan.tasks:
        return None
    for key, plan in project.pm_plan.tasks.items():
        if plan.owner_ids and key.split(":", 1)[1] == task.id:
            return plan.owner_ids
    return None
