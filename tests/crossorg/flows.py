"""Setting projects up across organisations the way a PM does: the form in the channel, with
the channel's members (each of their own tenant) as the people to choose from."""

from __future__ import annotations

from typing import Any

from bot.domain.project import Project
from tests.crossorg.conftest import ADA, CAM, say, submit
from tests.support.teams_activities import Conversation, TeamsUser
from tests.teams.conftest import PM, SALES, SUPPORT, TECH, Harness
from tests.teams.flows import setup_values


def values(customer: str = "Contoso", *, provider_roles: bool = True, **roles: TeamsUser) -> dict[str, Any]:
    """The set-up form's values: the customer's roles held by Cam and Ada, the provider's by its
    people (left empty where they are not in the channel: `provider_roles=False`)."""
    provider = {"sales_rep": SALES, "support_lead": SUPPORT, "technician": TECH} if provider_roles else {}
    chosen = {"customer_global_admin": CAM, "customer_admin": CAM, "customer_primary_contact": ADA,
              "authorized_signer": ADA, **provider, **roles}
    form = setup_values("cloud_voice_teams", porting=False, customer=customer)
    for key in [k for k in form if k.startswith("role_")]:
        form[key] = chosen[key[5:]].aad_object_id if key[5:] in chosen else ""
    return form


async def create_in(harness: Harness, where: Conversation, pm: TeamsUser = PM, form: dict[str, Any] | None = None) -> Project:
    await harness.post(say(pm, where, "new project", harness))
    sent = harness.standin.cards_in(where.id)
    assert sent and any(e.get("id") == "customer" for e in sent[-1]["body"]), "the set-up form was not sent"
    await harness.post(submit(pm, where, form or values(), harness))
    project_id = await harness.runtime.service.project_for_conversation(where.id)
    assert project_id, f"no project was created: {[r.text for r in harness.standin.delivered if r.text][-3:]}"
    project = await harness.runtime.service.load(project_id)
    assert project is not None
    return project


def ready_for(harness: Harness, project: Project, user: TeamsUser) -> list[str]:
    """The keys of the open tasks this user (by their own tenant) may confirm."""
    roles = project.roles_of_in(user.tenant_id, user.aad_object_id)
    keys = []
    for key, record in project.tasks.items():
        spec = harness.runtime.service.task_spec(key)
        if record.state.value == "ready" and roles & set(spec.confirmers):
            keys.append(key)
    return keys


async def data_for(harness: Harness, project_id: str, key: str) -> dict[str, Any]:
    project = await harness.runtime.service.load(project_id)
    assert project is not None
    return {"p": project_id, "k": key, "r": project.tasks[key].rev}


async def state_of(harness: Harness, project_id: str, key: str) -> str:
    project = await harness.runtime.service.load(project_id)
    assert project is not None
    return project.tasks[key].state.value
