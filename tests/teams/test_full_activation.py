"""Whole activations driven to completion the way people do it: every task confirmed by a
person holding one of its confirming roles, after a refused attempt by someone who may not."""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain.roles import Role
from tests.support.card_validation import cards_problems
from tests.support.teams_activities import TeamsUser, card_action
from tests.teams.conftest import PM, STRANGER, TEAM, Harness
from tests.teams.documents_flow import accept_all
from tests.teams.flows import ROLE_HOLDERS, actions_of, click, create_project, setup_values


def holder(role: Role) -> TeamsUser:
    return PM if role is Role.PROVIDER_PM else ROLE_HOLDERS[role.value]


def wrong_person(roles: set[Role]) -> TeamsUser:
    """Someone on the project who holds none of the task's roles (or a stranger)."""
    holders = {holder(r).aad_object_id for r in roles} | {PM.aad_object_id}
    for candidate in ROLE_HOLDERS.values():
        if candidate.aad_object_id not in holders:
            return candidate
    return STRANGER


async def view_for(harness: Harness, user: TeamsUser, project_id: str, key: str, rev: int) -> dict[str, Any]:
    """What the user sees on the channel card: Teams refreshes it for owners (refresh.userIds)."""
    _, body = await harness.post(card_action(user, TEAM, "refresh", {"p": project_id, "k": key, "r": rev}, harness.service_url,
                                             trigger="automatic"))
    assert body["type"] == "application/vnd.microsoft.card.adaptive", body
    return body["value"]


async def drive_to_completion(harness: Harness, project_id: str) -> dict[str, int]:
    library = harness.runtime.library
    refused = 0
    confirmed = 0
    for _ in range(500):
        project = await harness.runtime.service.load(project_id)
        assert project is not None
        open_keys = [k for k, r in project.tasks.items() if r.state.value in ("ready", "reopened")]
        if not open_keys:
            break
        key = open_keys[0]
        spec = library[key.split(":")[0]].task(key.split(":")[1])
        record = project.tasks[key]
        # A wrong role tries first: refused, nothing changes.
        intruder = wrong_person(set(spec.owners) | set(spec.confirmers))
        _, body = await click(harness, intruder, "confirm", {"p": project_id, "k": key, "r": record.rev})
        assert "only the assigned people or the PM" in str(body["value"]["body"]), (key, intruder.name)
        assert (await harness.runtime.service.load(project_id)).tasks[key].state is record.state
        refused += 1
        # Then the confirming role does it from their own view of the card.
        confirmer = holder(spec.confirmers[0])
        if spec.documents:  # its documents first: uploaded by the confirmer, accepted by the PM
            await accept_all(harness, project_id, key, confirmer)
        card = await view_for(harness, confirmer, project_id, key, record.rev)
        verbs = actions_of(card)
        verb = "confirm" if "confirm" in verbs else "confirm_on_behalf"
        assert verb in verbs, (key, confirmer.name, verbs)
        await click(harness, confirmer, verb, verbs[verb])
        assert (await harness.runtime.service.load(project_id)).tasks[key].state.value == "done", key
        confirmed += 1
    project = await harness.runtime.service.load(project_id)
    assert project is not None and project.is_complete(), [k for k, r in project.tasks.items() if r.state.value != "done"]
    return {"refused": refused, "confirmed": confirmed, "tasks": len(project.tasks)}


@pytest.mark.parametrize(("products", "options"), [
    ("cloud_voice_teams", {"porting": True, "hardware": "bought"}),
    ("officeconnect_ucaas", {"porting": True, "circuit": True, "hardware": "rented"}),
], ids=["cloud_voice_teams", "officeconnect_ucaas"])
async def test_whole_activation_to_completion(harness, products: str, options: dict[str, Any]) -> None:
    project_id = await create_project(harness, setup_values(products, **options))
    counts = await drive_to_completion(harness, project_id)
    library = harness.runtime.library
    assert counts["confirmed"] == counts["tasks"] == len(library[products].tasks)  # every phase included by the options
    assert counts["refused"] == counts["tasks"]
    events = await harness.runtime.store.project_events(project_id)
    assert [e.kind for e in events if e.kind.startswith("project_")][-1] == "project_completed"
    assert any(e.kind == "message_sent" for e in events)  # every delivery result is recorded
    # The PM gets the completion notice; every card sent along the way is valid.
    all_cards = [c for r in harness.standin.delivered for c in r.cards]
    problems = [p for p in cards_problems(all_cards) if p]
    assert problems == []
