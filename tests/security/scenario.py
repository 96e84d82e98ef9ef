"""A project in TENANT with tasks in every state a card verb applies to, and the people
who try things on it from inside and outside the tenant."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from bot.domain.authorization import Action
from bot.domain.project import ConversationTarget
from bot.domain.transitions import spec_of
from cards.setup import RosterMember
from dialogs.project_setup import parse_setup
from tests.support.teams_activities import Conversation, TeamsUser, card_action, card_submit, message, personal
from tests.teams.conftest import ADMIN, OTHER_TENANT, PM, ROSTER, TEAM, TENANT, Harness
from tests.teams.flows import create_project, setup_values

CUSTOMER_NAME = "Zephyr Confidential Holdings"
SECRET_REASON = "waiting on the Q7 merger paperwork"
READY = "cloud_voice_teams:licensing.phone_standard"  # ADMIN owns and confirms it
BLOCKED = "cloud_voice_teams:licensing.users_a5_e5"  # ADMIN blocked it with SECRET_REASON
DONE = "cloud_voice_teams:licensing.shared_device"  # ADMIN confirmed it
VERBS = ("refresh", "confirm", "block", "unblock", "not_applicable", "reopen", "confirm_on_behalf")
TARGET_OF = {"refresh": READY, "confirm": READY, "block": READY, "unblock": BLOCKED, "not_applicable": READY,
             "reopen": DONE, "confirm_on_behalf": READY}
COMMANDS = ("help", "status", "status all", "my tasks", "foc 2027-01-22", "port date 2027-02-01", "new project",
            "digest", "digest post", "export", "language es")

# Another tenant's people. INTRUDER is nobody; MIMIC carries a member's real Entra id.
INTRUDER = TeamsUser("29:intruder", "bbbbbbbb-0000-0000-0000-000000000001", "Ian Intruder", OTHER_TENANT)
MIMIC = TeamsUser("29:mimic", ADMIN.aad_object_id, "Mallory Mimic", OTHER_TENANT)
PM_ELSEWHERE = TeamsUser("29:pm-home", PM.aad_object_id, PM.name, OTHER_TENANT)  # the project's PM, in their own tenant
OTHER_PM = TeamsUser("29:pm2", "cccccccc-0000-0000-0000-000000000001", "Otto OtherPM", OTHER_TENANT)  # a configured PM, not this project's
TEAM_AS_OTHER_TENANT = replace(TEAM, tenant_id=OTHER_TENANT)  # TEAM's conversation id, another tenant's channelData


@dataclass
class Project:
    id: str
    secrets: tuple[str, ...]  # strings no outsider may ever read in a reply

    async def data(self, harness: Harness, key: str) -> dict[str, Any]:
        project = await harness.runtime.service.load(self.id)
        assert project is not None
        return {"p": self.id, "k": key, "r": project.tasks[key].rev}


async def started_project(harness: Harness, *, customer: str = CUSTOMER_NAME, through_the_form: bool = False,
                          values: dict[str, Any] | None = None, where: Conversation = TEAM) -> Project:
    """The project in TEAM (TENANT), or in the team channel `where`, with READY ready, BLOCKED
    blocked and DONE done. A channel holds one project.

    By default it is made through the service (fast: the form itself is tested in
    tests/teams); `through_the_form=True` drives the set-up dialog like a PM would."""
    values = values or setup_values("cloud_voice_teams", porting=True, customer=customer)
    service = harness.runtime.service
    if through_the_form:
        project_id = await create_project(harness, values)
    else:
        roster = {u.aad_object_id: RosterMember(u.aad_object_id, u.name, u.teams_id) for u in ROSTER}
        request, problems = parse_setup(values, roster, tuple(harness.runtime.library.ids()), "en")
        assert request is not None, problems
        channel = ConversationTarget(where.id, harness.service_url, TENANT, "msteams", where.team_id)
        pm = service.actor(PM.aad_object_id, PM.name, TENANT)
        project_id = (await service.create_project(pm, replace(request, channel=channel), TENANT)).id
    admin = service.actor(ADMIN.aad_object_id, ADMIN.name, ADMIN.tenant_id)
    await service.act_on_task(admin, project_id, BLOCKED, Action.BLOCK, rev=None, reason=SECRET_REASON)
    await service.act_on_task(admin, project_id, DONE, Action.CONFIRM, rev=None)
    await harness.runtime.settle()
    library = harness.runtime.library
    titles = tuple(spec_of(library, k).title.get(lang) for k in (READY, BLOCKED, DONE) for lang in ("en", "es"))
    return Project(project_id, (customer, SECRET_REASON, "Ada Admin", "Cam Customer", *titles))


def command(user: TeamsUser, where: Conversation, text: str, service_url: str) -> dict[str, Any]:
    return message(user, where, text, service_url)


def invoke(user: TeamsUser, where: Conversation, verb: str, data: dict[str, Any], service_url: str,
           reason: str | None = None) -> dict[str, Any]:
    payload = dict(data)
    if verb == "block":
        payload["reason"] = reason or "intruder says it is blocked"
    return card_action(user, where, verb, payload, service_url)


def submit(user: TeamsUser, where: Conversation, verb: str, data: dict[str, Any], service_url: str) -> dict[str, Any]:
    payload = {**data, "verb": verb}
    if verb == "block":
        payload["reason"] = "intruder says it is blocked"
    return card_submit(user, where, payload, service_url, reply_to_id="card-activity-1")


PLACES = {"their own chat": lambda user: personal(user), "the project's channel": lambda user: TEAM_AS_OTHER_TENANT}
