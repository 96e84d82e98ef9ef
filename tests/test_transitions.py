"""Every task transition, allowed and refused, by state and by who asks."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from bot.domain.authorization import Action, Actor, Standing, decide, standings
from bot.domain.project import Person, ProjectOptions, TaskState
from bot.domain.roles import Role
from bot.domain.transitions import TASK_STATE_ACTIONS, Refused, StaleCard, apply_task_action, new_project
from tests.conftest import OTHER_TENANT, TENANT, pm_actor

CUSTOMER = Actor("cust-1", "Cam Customer", TENANT)
ADMIN = Actor("adm-1", "Ada Admin", TENANT)
STRANGER = Actor("x-1", "Sam Stranger", TENANT)
FOREIGN = Actor("cust-1", "Cam Customer", OTHER_TENANT)  # same id, other tenant: forged
OTHER_PM = Actor("pm-2", "Other PM", TENANT, is_staff_pm=True)
PEOPLE = {
    Role.CUSTOMER_PRIMARY_CONTACT: [Person("cust-1", "Cam Customer")],
    Role.CUSTOMER_ADMIN: [Person("adm-1", "Ada Admin")],
}


def make_project(toy_library, now, porting: bool = True):
    project, change = new_project(
        toy_library, actor=pm_actor(), customer_name="Acme", tenant_id=TENANT, products=("toy",),
        options=ProjectOptions(porting=porting), kickoff=now.date(), timezone="America/New_York", language="en",
        now=now, requested_port_date=now.date() + timedelta(days=30), people={k: list(v) for k, v in PEOPLE.items()},
    )
    return project, change


def force_state(project, key: str, state: TaskState) -> None:
    project.tasks[key].state = state
    if state is TaskState.BLOCKED:
        project.tasks[key].blocked_reason = "x"


def test_new_project_readies_only_tasks_without_dependencies(toy_library, now) -> None:
    project, change = make_project(toy_library, now)
    assert {k: r.state for k, r in project.tasks.items()} == {
        "toy:a": TaskState.READY, "toy:b": TaskState.WAITING, "toy:c": TaskState.WAITING}
    assert change.became_ready == ["toy:a"]
    assert change.events[0].kind == "project_created"


def test_conditional_phase_left_out_without_the_option(toy_library, now) -> None:
    project, _ = make_project(toy_library, now, porting=False)
    assert set(project.tasks) == {"toy:a", "toy:b"}


def test_confirm_flows_to_dependents_and_completes(toy_library, now) -> None:
    project, _ = make_project(toy_library, now)
    change = apply_task_action(project, toy_library, actor=CUSTOMER, action=Action.CONFIRM, key="toy:a", now=now, expected_rev=1)
    assert project.tasks["toy:a"].state is TaskState.DONE and change.became_ready == ["toy:b"]
    apply_task_action(project, toy_library, actor=pm_actor(), action=Action.CONFIRM, key="toy:b", now=now)
    change = apply_task_action(project, toy_library, actor=ADMIN, action=Action.CONFIRM, key="toy:c", now=now)
    assert change.completed and project.completed_at == now
    assert change.events[-1].kind == "project_completed"


def test_event_records_who_when_what_and_why(toy_library, now) -> None:
    project, _ = make_project(toy_library, now)
    change = apply_task_action(project, toy_library, actor=CUSTOMER, action=Action.BLOCK, key="toy:a", now=now, reason="no admin")
    event = change.events[0]
    assert (event.actor_id, event.at, event.from_state, event.to_state, event.reason) == ("cust-1", now, "ready", "blocked", "no admin")
    assert event.id == f"{project.id}:{event.seq:06d}"


def test_block_needs_a_reason_and_changes_nothing_without_one(toy_library, now) -> None:
    project, _ = make_project(toy_library, now)
    before = project.to_dict()
    with pytest.raises(Refused) as refused:
        apply_task_action(project, toy_library, actor=CUSTOMER, action=Action.BLOCK, key="toy:a", now=now, reason="   ")
    assert refused.value.code == "reason_required" and project.to_dict() == before


def test_reopen_sends_dependents_back_to_waiting(toy_library, now) -> None:
    project, _ = make_project(toy_library, now)
    apply_task_action(project, toy_library, actor=CUSTOMER, action=Action.CONFIRM, key="toy:a", now=now)
    assert project.tasks["toy:b"].state is TaskState.READY
    apply_task_action(project, toy_library, actor=pm_actor(), action=Action.REOPEN, key="toy:a", now=now)
    assert project.tasks["toy:a"].state is TaskState.REOPENED
    assert project.tasks["toy:b"].state is TaskState.WAITING


def test_on_behalf_is_recorded_as_such(toy_library, now) -> None:
    project, _ = make_project(toy_library, now)
    change = apply_task_action(project, toy_library, actor=pm_actor(), action=Action.CONFIRM_ON_BEHALF, key="toy:a", now=now)
    assert project.tasks["toy:a"].on_behalf and change.events[0].on_behalf


def test_stale_card_changes_nothing(toy_library, now) -> None:
    project, _ = make_project(toy_library, now)
    apply_task_action(project, toy_library, actor=CUSTOMER, action=Action.CONFIRM, key="toy:a", now=now, expected_rev=1)
    before = project.to_dict()
    with pytest.raises(StaleCard):
        apply_task_action(project, toy_library, actor=CUSTOMER, action=Action.CONFIRM, key="toy:a", now=now, expected_rev=1)
    assert project.to_dict() == before


# -- the exhaustive matrix: action x state x actor, on the customer task "a" and the shared "c" ---------
ALLOWED_FROM = {
    Action.CONFIRM: {TaskState.READY, TaskState.REOPENED, TaskState.BLOCKED},
    Action.CONFIRM_ON_BEHALF: {TaskState.READY, TaskState.REOPENED, TaskState.BLOCKED},
    Action.BLOCK: {TaskState.READY, TaskState.REOPENED},
    Action.UNBLOCK: {TaskState.BLOCKED},
    Action.NOT_APPLICABLE: {TaskState.WAITING, TaskState.READY, TaskState.REOPENED, TaskState.BLOCKED},
    Action.REOPEN: {TaskState.DONE, TaskState.NOT_APPLICABLE},
}
# Who may do what on task "a" (owned and confirmed by the customer primary contact).
MAY_ON_A = {
    "pm": {Action.CONFIRM_ON_BEHALF, Action.BLOCK, Action.UNBLOCK, Action.NOT_APPLICABLE, Action.REOPEN},
    "customer": {Action.CONFIRM, Action.BLOCK, Action.UNBLOCK},
    "admin": set(),  # a project member, but not this task's
    "stranger": set(),
    "foreign": set(),
    "other_pm": set(),  # provider staff, not this project's PM
}
# On task "c": owners PM + customer admin, only the admin confirms; the PM, as owner, confirms too
# through "on behalf" (it is not a confirmer role), and the admin as owner and confirmer.
MAY_ON_C = {
    "pm": {Action.CONFIRM_ON_BEHALF, Action.BLOCK, Action.UNBLOCK, Action.NOT_APPLICABLE, Action.REOPEN},
    "customer": set(),
    "admin": {Action.CONFIRM, Action.BLOCK, Action.UNBLOCK},
    "stranger": set(), "foreign": set(), "other_pm": set(),
}
ACTORS = {"pm": pm_actor(), "customer": CUSTOMER, "admin": ADMIN, "stranger": STRANGER, "foreign": FOREIGN, "other_pm": OTHER_PM}


@pytest.mark.parametrize(("who", "action", "state", "key"), [
    (who, action, state, key)
    for who, action, state, key in itertools.product(ACTORS, TASK_STATE_ACTIONS, list(TaskState), ["toy:a", "toy:c"])
])
def test_transition_matrix(toy_library, now, who: str, action: Action, state: TaskState, key: str) -> None:
    project, _ = make_project(toy_library, now)
    force_state(project, key, state)
    may = (MAY_ON_A if key == "toy:a" else MAY_ON_C)[who]
    expected = action in may and state in ALLOWED_FROM[action]
    before = project.to_dict()
    try:
        change = apply_task_action(project, toy_library, actor=ACTORS[who], action=action, key=key, now=now, reason="because")
    except Refused as refused:
        assert not expected, f"{who} should be able to {action} from {state}: {refused.code}"
        assert project.to_dict() == before, "a refused action changed the project"
        assert refused.code in ("not_allowed", "invalid_transition")
        if action not in may:
            assert refused.code == "not_allowed"
        return
    assert expected, f"{who} must not {action} a task in state {state}"
    assert change.events and change.events[0].actor_id == ACTORS[who].id


STANDING_CASES = [
    (pm_actor(), "toy:a", {Standing.PROJECT_PM, Standing.PROJECT_MEMBER}),
    (CUSTOMER, "toy:a", {Standing.TASK_CONFIRMER, Standing.PROJECT_MEMBER}),
    (ADMIN, "toy:a", {Standing.PROJECT_MEMBER}),
    (STRANGER, "toy:a", {Standing.OUTSIDER}),
    (FOREIGN, "toy:a", {Standing.OTHER_TENANT}),
    (OTHER_PM, "toy:a", {Standing.STAFF_PM}),
]


@pytest.mark.parametrize(("actor", "key", "expected"), STANDING_CASES)
def test_standings(toy_library, now, actor, key, expected) -> None:
    project, _ = make_project(toy_library, now)
    assert standings(actor, project, toy_library["toy"].task(key.split(":")[1])) == frozenset(expected)


PROJECT_ACTIONS = [Action.STATUS, Action.DIGEST, Action.EXPORT, Action.SET_FOC, Action.MOVE_PORT_DATE, Action.ASSIGN_ROLES]
MAY_ON_PROJECT = {
    "pm": set(PROJECT_ACTIONS),
    "customer": {Action.STATUS},
    "admin": {Action.STATUS},
    "stranger": set(),
    "foreign": set(),
    "other_pm": {Action.STATUS, Action.DIGEST},
}


@pytest.mark.parametrize(("who", "action"), list(itertools.product(ACTORS, PROJECT_ACTIONS)))
def test_project_action_matrix(toy_library, now, who: str, action: Action) -> None:
    project, _ = make_project(toy_library, now)
    assert decide(ACTORS[who], action, project) is (action in MAY_ON_PROJECT[who])


@pytest.mark.parametrize("who", list(ACTORS))
def test_only_staff_pms_create_projects(who: str) -> None:
    assert decide(ACTORS[who], Action.CREATE_PROJECT) is ACTORS[who].is_staff_pm


def test_non_staff_cannot_create(toy_library, now) -> None:
    with pytest.raises(Refused, match="not_allowed"):
        new_project(toy_library, actor=CUSTOMER, customer_name="X", tenant_id=TENANT, products=("toy",),
                    options=ProjectOptions(), kickoff=date(2026, 1, 1), timezone="UTC", language="en", now=now)


def test_porting_needs_a_port_date(toy_library, now) -> None:
    with pytest.raises(Refused, match="porting needs a requested port date"):
        new_project(toy_library, actor=pm_actor(), customer_name="X", tenant_id=TENANT, products=("toy",),
                    options=ProjectOptions(porting=True), kickoff=date(2026, 1, 1), timezone="UTC", language="en", now=now)
