"""A PM sets up a project in a team channel: the form (roster from the paged members API),
validation, cancel, and the first task cards going out to owners and the channel."""

from __future__ import annotations

from tests.support.card_validation import assert_valid_cards
from tests.support.teams_activities import card_submit, message
from tests.teams.conftest import ADMIN, CUSTOMER, PM, ROSTER, TEAM
from tests.teams.flows import create_project, latest_task_cards, setup_values


async def test_form_lists_the_team_roster_and_is_a_valid_card(harness) -> None:
    await harness.post(message(PM, TEAM, "new project", harness.service_url))
    form = harness.standin.cards_in(TEAM.id)[-1]
    assert_valid_cards([form])
    roles = [e for e in form["body"] if e.get("id", "").startswith("role_")]
    assert roles and {c["value"] for c in roles[0]["choices"]} == {u.aad_object_id for u in ROSTER}
    assert any(a.kind == "get_paged_members" for a in harness.standin.attempts)


async def test_only_a_pm_may_start_set_up(harness) -> None:
    await harness.post(message(CUSTOMER, TEAM, "new project", harness.service_url))
    # Refused in the customer's 1:1 (issue 18); the channel gets a pointer.
    assert "answered you in our 1:1 chat" in harness.standin.activities_in(TEAM.id)[-1]["text"]
    assert any("Only a provider project manager" in (r.text or "") for r in harness.standin.delivered
               if r.conversation_id != TEAM.id)
    assert await harness.runtime.service.project_for_conversation(TEAM.id) is None


async def test_invalid_form_is_asked_again_with_the_problems_named(harness) -> None:
    await harness.post(message(PM, TEAM, "new project", harness.service_url))
    bad = setup_values("cloud_voice_teams", porting=True) | {"customer": "  ", "port_date": "", "kickoff": "2026-02-31"}
    await harness.post(card_submit(PM, TEAM, bad, harness.service_url))
    form = harness.standin.cards_in(TEAM.id)[-1]
    problems = [e["text"] for e in form["body"] if e.get("color") == "Attention"]
    assert any("customer name" in p for p in problems) and any("port date" in p for p in problems)
    assert any("kickoff" in p for p in problems)
    assert await harness.runtime.service.project_for_conversation(TEAM.id) is None
    # The dialog is still waiting: a corrected form creates the project.
    await harness.post(card_submit(PM, TEAM, setup_values("cloud_voice_teams", porting=True), harness.service_url))
    assert await harness.runtime.service.project_for_conversation(TEAM.id)


async def test_cancel_leaves_the_dialog_at_any_point(harness) -> None:
    await harness.post(message(PM, TEAM, "nuevo proyecto", harness.service_url, locale="es-ES"))
    await harness.post(message(PM, TEAM, "cancelar", harness.service_url, locale="es-ES"))
    assert harness.standin.activities_in(TEAM.id)[-1]["text"] == "Cancelado."
    await harness.post(card_submit(PM, TEAM, setup_values("cloud_voice_teams", porting=False), harness.service_url))
    assert await harness.runtime.service.project_for_conversation(TEAM.id) is None


async def test_new_project_sends_ready_tasks_to_owners_and_the_channel(harness) -> None:
    project_id = await create_project(harness, setup_values("cloud_voice_teams", porting=True))
    project = await harness.runtime.service.load(project_id)
    assert project is not None and project.channel is not None and project.channel.conversation_id == TEAM.id
    ready = {k for k, r in project.tasks.items() if r.state.value == "ready"}
    # The licensing tasks belong to the customer's global admin: they arrive in a 1:1 the bot opened.
    admin_cards = latest_task_cards(harness, ADMIN)
    assert {k for k in ready if ":licensing." in k} <= set(admin_cards)
    assert any(any(m["id"] == ADMIN.teams_id for m in r.members) for r in harness.standin.created_conversations)
    # Each ready task also went to the channel, mentioning its owners.
    channel_cards = [c for c in harness.standin.cards_in(TEAM.id) if (c.get("refresh") or {}).get("action")]
    keys_in_channel = {c["refresh"]["action"]["data"]["k"] for c in channel_cards}
    assert ready <= keys_in_channel
    licensing = next(c for c in channel_cards if ":licensing." in c["refresh"]["action"]["data"]["k"])
    assert licensing["msteams"]["entities"][0]["mentioned"]["id"] == ADMIN.teams_id
    assert f"<at>{ADMIN.name}</at>" in str(licensing["body"])
    # Cards carry opaque ids only, and the owners' ids for the refresh.
    data = licensing["refresh"]["action"]["data"]
    assert set(data) == {"p", "k", "r"} and ADMIN.teams_id in licensing["refresh"]["userIds"]
    # The outbox is empty once delivered, and every card sent is valid.
    assert (await harness.runtime.service.load(project_id)).outbox == []
    assert_valid_cards(harness.standin.cards_in(TEAM.id) + list(admin_cards.values()))
