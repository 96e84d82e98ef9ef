"""Tenant isolation through the real app: a project belongs to the tenant of the channel it was
created in. People of another tenant, carrying the real project id, task key and revision (or
even a member's Entra id), get refused, change nothing, and read nothing of it. A configured
PM from another tenant acts only as a PM. ALLOWED_TENANT_IDS shuts other tenants out."""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain.authorization import Action, decide
from bot.domain.transitions import spec_of
from bot.storage.contract import user_key
from tests.security.conftest import HarnessFactory, SecureHarness, delivered_since, project_snapshot, texts_of
from tests.security.scenario import (
    BLOCKED,
    COMMANDS,
    DONE,
    INTRUDER,
    MIMIC,
    OTHER_PM,
    PLACES,
    PM_ELSEWHERE,
    READY,
    TARGET_OF,
    TEAM_AS_OTHER_TENANT,
    VERBS,
    Project,
    command,
    invoke,
    started_project,
    submit,
)
from tests.support.teams_activities import TeamsUser, card_action, message, personal
from tests.teams.conftest import ADMIN, CUSTOMER, OTHER_TENANT, PM, TEAM, TENANT


@pytest.fixture
async def two_pms(make_harness: HarnessFactory) -> SecureHarness:
    return await make_harness(env={"PM_AAD_IDS": f"{PM.aad_object_id},{OTHER_PM.aad_object_id}"})


async def attempt(harness: SecureHarness, project: Project, activity: dict[str, Any]) -> tuple[int, Any, list[dict[str, Any]]]:
    """Post; assert the project and its events did not change; return the answer and what was sent."""
    before = await project_snapshot(harness, project.id)
    start = len(harness.standin.delivered)
    status, body = await harness.post(activity)
    assert status < 500, (status, body)
    assert await project_snapshot(harness, project.id) == before, f"{activity.get('text') or activity.get('value')} changed the project"
    return status, body, delivered_since(harness, start)


def assert_nothing_leaked(project: Project, *answers: Any) -> None:
    seen = texts_of(answers)
    for secret in project.secrets:
        assert secret not in seen, f"{secret!r} reached another tenant"


@pytest.mark.parametrize("who", [INTRUDER, MIMIC], ids=["intruder", "member id from another tenant"])
async def test_every_command_from_another_tenant_is_refused_and_leaks_nothing(two_pms: SecureHarness, who: TeamsUser) -> None:
    harness = two_pms
    project = await started_project(harness, through_the_form=True)
    for place, where in PLACES.items():
        for text in COMMANDS:
            _, body, sent = await attempt(harness, project, command(who, where(who), text, harness.service_url))
            assert_nothing_leaked(project, body, sent)
            if place == "the project's channel" and text == "status":
                # (in either language: the commands include "language es", an explicit choice that sticks)
                assert any(refusal in texts_of(a) for a in sent
                           for refusal in ("does not belong to your organization", "no pertenece a su organización")), sent
    # The project's channel still belongs to the project, and its own people still see it.
    assert await harness.runtime.service.project_for_conversation(TEAM.id) == project.id
    await harness.post(message(CUSTOMER, TEAM, "status", harness.service_url))
    assert "Zephyr Confidential Holdings" in texts_of(harness.standin.cards_in(TEAM.id)[-1])


@pytest.mark.parametrize("who", [INTRUDER, MIMIC], ids=["intruder", "member id from another tenant"])
async def test_every_card_verb_from_another_tenant_is_refused_and_leaks_nothing(two_pms: SecureHarness, who: TeamsUser) -> None:
    harness = two_pms
    project = await started_project(harness)
    for verb in VERBS:
        data = await project.data(harness, TARGET_OF[verb])
        for where in (personal(who), TEAM_AS_OTHER_TENANT):
            status, body, sent = await attempt(harness, project, invoke(who, where, verb, data, harness.service_url))
            assert status == 200 and body["type"] == "application/vnd.microsoft.error", (verb, body)
            assert_nothing_leaked(project, body, sent)
            status, body, sent = await attempt(harness, project, submit(who, where, verb, data, harness.service_url))
            assert status in (200, 201) and sent == [], (verb, sent)  # the fallback updates nothing
    assert harness.standin.latest("card-activity-1") is None


async def test_the_same_clicks_work_for_the_tenants_own_people(two_pms: SecureHarness) -> None:
    """The refusals above are about the tenant, not broken data: the real owner can use it."""
    harness = two_pms
    project = await started_project(harness)
    data = await project.data(harness, READY)
    status, body = await harness.post(invoke(ADMIN, personal(ADMIN), "confirm", data, harness.service_url))
    assert status == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
    loaded = await harness.runtime.service.load(project.id)
    assert loaded is not None and loaded.tasks[READY].state.value == "done"


async def test_a_member_id_from_another_tenant_does_not_take_over_the_members_chat(two_pms: SecureHarness) -> None:
    """Proactive task cards go to a person's remembered 1:1 chat; a same-id actor from another
    tenant must not redirect them there."""
    harness = two_pms
    await started_project(harness)
    await harness.post(message(ADMIN, personal(ADMIN), "help", harness.service_url))
    before = await harness.runtime.store.read_document(user_key("user", ADMIN.aad_object_id))
    assert before is not None and before.value["conversation"]["tenantId"] == TENANT
    await harness.post(message(MIMIC, personal(MIMIC), "help", harness.service_url))
    after = await harness.runtime.store.read_document(user_key("user", ADMIN.aad_object_id))
    assert after is not None, "the member's preferences vanished"
    assert after.value["conversation"] == before.value["conversation"], after.value


# --------------------------------------------------------------------------- PMs from another tenant


async def test_a_configured_pm_of_another_tenant_only_reads(two_pms: SecureHarness) -> None:
    """OTHER_PM is in PM_AAD_IDS but not this project's PM: status yes, task changes no."""
    harness = two_pms
    project = await started_project(harness)
    for verb in VERBS[1:]:
        data = await project.data(harness, TARGET_OF[verb])
        _, body, _ = await attempt(harness, project, invoke(OTHER_PM, personal(OTHER_PM), verb, data, harness.service_url))
        assert body["type"] == "application/vnd.microsoft.card.adaptive", (verb, body)
        card = body["value"]
        assert not [a for a in card.get("actions", []) if a.get("type") == "Action.Execute"], (verb, card)  # read-only
        assert "only the assigned people or the PM" in texts_of(card), verb
    for text in ("foc 2027-01-22", "port date 2027-02-01", "export"):  # (the matrix lets staff PMs see and post digests)
        _, _, sent = await attempt(harness, project, command(OTHER_PM, TEAM_AS_OTHER_TENANT, text, harness.service_url))
        assert "Only a provider project manager" in texts_of(sent), (text, sent)


async def test_the_projects_pm_from_their_own_tenant_acts_as_pm_only(two_pms: SecureHarness) -> None:
    harness = two_pms
    project = await started_project(harness)
    service = harness.runtime.service
    # PM actions work from the PM's own tenant...
    data = await project.data(harness, READY)
    _, body = await harness.post(invoke(PM_ELSEWHERE, personal(PM_ELSEWHERE), "confirm_on_behalf", data, harness.service_url))
    assert "on behalf of the customer" in texts_of(body)
    changes = [e for e in await harness.runtime.store.project_events(project.id) if e.kind == "task_changed"]
    assert changes[-1].on_behalf and changes[-1].actor_id == PM.aad_object_id and changes[-1].task_key == READY
    # ...but a customer's own confirmation is not theirs to give.
    for key in (BLOCKED,):
        data = await project.data(harness, key)
        await attempt(harness, project, invoke(PM_ELSEWHERE, personal(PM_ELSEWHERE), "confirm", data, harness.service_url))
    loaded = await service.load(project.id)
    assert loaded is not None and loaded.tasks[BLOCKED].state.value == "blocked"


async def test_a_cross_tenant_pm_holding_a_customer_role_cannot_confirm_as_the_customer(make_harness: HarnessFactory) -> None:
    from tests.teams.flows import setup_values

    harness = await make_harness()
    values = setup_values("cloud_voice_teams", porting=True)
    values["role_customer_global_admin"] = PM.aad_object_id  # the PM put themself in a customer role
    project_id = (await started_project(harness, values=values)).id
    loaded = await harness.runtime.service.load(project_id)
    assert loaded is not None
    data = {"p": project_id, "k": READY, "r": loaded.tasks[READY].rev}
    await harness.post(invoke(PM_ELSEWHERE, personal(PM_ELSEWHERE), "confirm", data, harness.service_url))
    loaded = await harness.runtime.service.load(project_id)
    assert loaded is not None and loaded.tasks[READY].state.value == "ready"


# --------------------------------------------------------------------------- ALLOWED_TENANT_IDS


async def test_tenants_not_on_the_allow_list_get_nothing(make_harness: HarnessFactory) -> None:
    harness = await make_harness(env={"ALLOWED_TENANT_IDS": TENANT})
    project = await started_project(harness)
    outsider = TeamsUser("29:out", "dddddddd-0000-0000-0000-000000000001", "Olga Outside", OTHER_TENANT)
    for text in COMMANDS:
        status, _, sent = await attempt(harness, project, command(outsider, personal(outsider), text, harness.service_url))
        assert status in (200, 201) and sent == [], (text, sent)
    for verb in VERBS:
        data = await project.data(harness, TARGET_OF[verb])
        status, body, sent = await attempt(harness, project, invoke(outsider, personal(outsider), verb, data, harness.service_url))
        assert status == 200 and body["type"] == "application/vnd.microsoft.error" and body["statusCode"] == 403, body
        assert sent == []
        # Even the project's PM, when an activity comes from a tenant off the list.
        status, body, sent = await attempt(harness, project, invoke(PM_ELSEWHERE, personal(PM_ELSEWHERE), verb, data,
                                                                    harness.service_url))
        assert body["statusCode"] == 403 and sent == []
    assert await harness.runtime.store.read_document(user_key("user", outsider.aad_object_id)) is None
    # No tenant at all is not on the list either.
    bare = message(outsider, personal(outsider), "help", harness.service_url)
    bare["channelData"] = {}
    bare["conversation"].pop("tenantId")
    status, _, sent = await attempt(harness, project, bare)
    assert sent == []


# --------------------------------------------------------------------------- the matrix, through the protocol


MATRIX_CASES: list[tuple[str, str, TeamsUser]] = [
    (verb, key, user)
    for verb, key in (("confirm", READY), ("block", READY), ("unblock", BLOCKED), ("not_applicable", READY),
                      ("reopen", DONE), ("confirm_on_behalf", READY), ("confirm", "cloud_voice_teams:onboarding.login"))
    for user in (ADMIN, CUSTOMER, PM, INTRUDER.__class__("29:stranger", "aaaaaaaa-0000-0000-0000-000000000009",
                                                         "Sam Stranger", TENANT))
]


@pytest.mark.parametrize(("verb", "key", "user"), MATRIX_CASES, ids=[f"{v}-{k.split('.')[-1]}-{u.name.split()[0]}"
                                                                      for v, k, u in MATRIX_CASES])
async def test_card_verbs_follow_the_authorization_matrix(make_harness: HarnessFactory, verb: str, key: str,
                                                          user: TeamsUser, monkeypatch: pytest.MonkeyPatch) -> None:
    harness = await make_harness()
    project = await started_project(harness)
    service = harness.runtime.service
    loaded = await service.load(project.id)
    assert loaded is not None
    actor = service.actor(user.aad_object_id, user.name, user.tenant_id)
    expected = decide(actor, Action(verb), loaded, spec_of(harness.runtime.library, key))
    asked: list[tuple[str, Action]] = []
    import bot.domain.transitions as transitions

    real_decide = transitions.decide

    def spy(who: Any, action: Action, *args: Any) -> bool:
        asked.append((who.id, action))
        return real_decide(who, action, *args)

    monkeypatch.setattr(transitions, "decide", spy)
    before = await project_snapshot(harness, project.id)
    data = await project.data(harness, key)
    status, body = await harness.post(invoke(user, personal(user), verb, data, harness.service_url, reason="a real reason"))
    assert status == 200
    changed = await project_snapshot(harness, project.id) != before
    assert (user.aad_object_id, Action(verb)) in asked, "the handler did not ask the matrix"
    assert changed is expected, f"{user.name} {verb} {key}: matrix says {expected}, protocol changed={changed}"
    card = body["value"]
    if not expected:
        assert "only the assigned people or the PM" in texts_of(card)
    else:
        changes = [e for e in await harness.runtime.store.project_events(project.id) if e.kind == "task_changed"]
        assert changes[-1].actor_id == user.aad_object_id and changes[-1].task_key == key  # recorded as the clicker


@pytest.mark.parametrize("user", [ADMIN, CUSTOMER, PM], ids=lambda u: u.name.split()[0])
async def test_refreshed_cards_offer_exactly_what_the_matrix_allows(make_harness: HarnessFactory, user: TeamsUser) -> None:
    from bot.domain.authorization import Action, decide
    from bot.domain.questions import on_task
    from bot.domain.transitions import allowed_actions
    from tests.teams.flows import actions_of

    harness = await make_harness()
    project = await started_project(harness)
    service = harness.runtime.service
    for key in (READY, BLOCKED, DONE):
        _, body = await harness.post(card_action(user, personal(user), "refresh", await project.data(harness, key),
                                                 harness.service_url))
        loaded = await service.load(project.id)
        assert loaded is not None
        actor = service.actor(user.aad_object_id, user.name, user.tenant_id)
        offered = set(actions_of(body["value"]))
        expected = {a.value for a in allowed_actions(loaded, harness.runtime.library, actor, key)}
        # Issue 18: the PM menu for the project's PM, "Ask a question" for anyone on the task.
        if decide(actor, Action.ASSIGN_ROLES, loaded):
            expected |= {"plan_reassign", "plan_due", "plan_na"}
        if on_task(loaded, harness.runtime.library, actor, key):
            expected.add("ask")
        assert offered == expected, (user.name, key)
