"""Who may do what: the one place that decides, as a matrix of standing × action.

A person's standing on a project is derived from the project's roles, the task's owners
and the provider's staff; every command and card action asks `decide`. People are matched by
(home tenant, object id), whatever conversation the action comes from: an object id from
another tenant holds no role (docs/cross-organisation.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.identity import MemberKind, PersonKey
from bot.domain.playbook import TaskSpec
from bot.domain.project import Project
from bot.domain.roles import Role


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
    OUTSIDER = "outsider"  # one of the project's tenants, no role
    OTHER_TENANT = "other_tenant"  # none of the project's tenants and not provider staff


@dataclass(frozen=True, slots=True)
class Actor:
    id: str  # Entra object id in `tenant_id`
    name: str
    tenant_id: str  # their home tenant (from the member APIs in channels), not the conversation's
    is_staff_pm: bool = False  # a provider PM: PM_AAD_IDS, STAFF_TENANT_ID or the staff store
    is_admin: bool = False  # a bot admin: manages the staff roster
    kind: MemberKind = MemberKind.MEMBER
    via_guest: PersonKey | None = None  # the linked guest identity this staff member acts through

    @property
    def key(self) -> PersonKey:
        return PersonKey.of(self.tenant_id, self.id)


def in_tenants(actor: Actor, project: Project) -> bool:
    """Whether the actor may learn anything about the project at all: provider staff, or someone
    whose home tenant is the host's or an assigned person's. A third tenant gets nothing."""
    return actor.is_staff_pm or actor.tenant_id in project.tenants()


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
    if actor.tenant_id not in project.tenants():
        if not actor.is_staff_pm:
            return frozenset({Standing.OTHER_TENANT})
        # Provider staff act across tenants only as PMs, never through a customer-side role.
        return frozenset({Standing.PROJECT_PM if project.is_pm(actor.id) else Standing.STAFF_PM})
    roles = project.roles_of_in(actor.tenant_id, actor.id)
    found: set[Standing] = set()
    if Role.PROVIDER_PM in roles or (actor.is_staff_pm and project.is_pm(actor.id)):
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
