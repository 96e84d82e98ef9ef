"""Status, my tasks and the PM's date commands, in channels and 1:1, in both languages."""

from __future__ import annotations

from bot.domain.schedule import compute_schedule
from tests.support.card_validation import assert_valid_cards
from tests.support.teams_activities import message, personal
from tests.teams.conftest import ADMIN, CUSTOMER, PM, SIGNER, STRANGER, TEAM
from tests.teams.flows import actions_of, click, create_project, latest_task_cards, setup_values

LICENSE = "cloud_voice_teams:licensing.phone_standard"


def texts(card) -> str:
    return str(card["body"])


async def test_pm_status_in_the_channel(harness) -> None:
    await create_project(harness, setup_values("cloud_voice_teams", porting=True))
    data = actions_of(latest_task_cards(harness, ADMIN)[LICENSE])["block"]
    await click(harness, ADMIN, "block", data, reason="Licences on order")
    harness.clock.advance(days=5)
    await harness.post(message(PM, TEAM, "status", harness.service_url))
    card = harness.standin.cards_in(TEAM.id)[-1]
    body = texts(card)
    assert "Activation status: Contoso" in body and "Progress by phase" in body
    assert "Licences on order" in body  # blocked, with the reason
    assert "days late" in body  # overdue, with owners
    assert "Waiting on the customer" in body and "Waiting on the provider" in body
    assert "Forecast go-live" in body and "Target" in body
    assert_valid_cards([card])


async def test_customer_status_in_their_chat_and_in_spanish(harness) -> None:
    await create_project(harness, setup_values("cloud_voice_teams", porting=True))
    chat = personal(CUSTOMER)
    await harness.post(message(CUSTOMER, chat, "estado", harness.service_url, locale="es-ES"))
    card = harness.standin.cards_in(chat.id)[-1]
    assert "Estado de la activación: Contoso" in texts(card) and "Avance por fase" in texts(card)
    assert_valid_cards([card])


async def test_stranger_gets_no_project(harness) -> None:
    await create_project(harness, setup_values("cloud_voice_teams", porting=True))
    chat = personal(STRANGER)
    await harness.post(message(STRANGER, chat, "status", harness.service_url))
    assert "no project" in harness.standin.activities_in(chat.id)[-1]["text"]


async def test_my_tasks_lists_what_the_user_owns(harness) -> None:
    await create_project(harness, setup_values("cloud_voice_teams", porting=True))
    chat = personal(ADMIN)
    await harness.post(message(ADMIN, chat, "my tasks", harness.service_url))
    card = harness.standin.cards_in(chat.id)[-1]
    assert "Your tasks" in texts(card) and "Teams Phone Standard" in texts(card)
    chat = personal(SIGNER)
    await harness.post(message(SIGNER, chat, "mis tareas", harness.service_url, locale="es-ES"))
    assert "No tiene tareas pendientes" in texts(harness.standin.cards_in(chat.id)[-1])


async def test_pm_sets_the_foc_date_and_owners_are_told(harness) -> None:
    project_id = await create_project(harness, setup_values("cloud_voice_teams", porting=True))
    before = len(harness.standin.delivered)
    await harness.post(message(PM, TEAM, "foc 2027-01-22", harness.service_url))
    assert any("FOC date recorded" in (a.get("text") or "") for a in harness.standin.activities_in(TEAM.id))
    project = await harness.runtime.service.load(project_id)
    assert project is not None and str(project.foc_date) == "2027-01-22"
    new = harness.standin.delivered[before:]
    admin_chat = next(c.conversation_id for c in harness.standin.created_conversations if any(m["id"] == ADMIN.teams_id for m in c.members))
    told = [r for r in new if r.conversation_id == admin_chat and any("Dates updated" in str(c) for c in r.cards)]
    assert told, "the task owners were not told their due dates"
    assert any("Dates updated" in str(c) and "Port date" in str(c) for r in new if r.conversation_id == TEAM.id for c in r.cards)


async def test_port_date_move_recomputes_the_csr_due_date(harness) -> None:
    project_id = await create_project(harness, setup_values("cloud_voice_teams", porting=True))
    await harness.post(message(PM, TEAM, "port date 2027-02-01", harness.service_url))
    project = await harness.runtime.service.load(project_id)
    assert project is not None and str(project.requested_port_date) == "2027-02-01"
    schedule = compute_schedule(project, harness.runtime.library, harness.clock())
    assert str(schedule.dates["cloud_voice_teams:porting.csr_bill"].planned_due) == "2027-01-11"


async def test_customer_cannot_move_dates(harness) -> None:
    project_id = await create_project(harness, setup_values("cloud_voice_teams", porting=True))
    await harness.post(message(CUSTOMER, TEAM, "foc 2027-01-22", harness.service_url))
    # The refusal goes to the customer's 1:1 (issue 18); the channel gets only a pointer.
    assert "answered you in our 1:1 chat" in harness.standin.activities_in(TEAM.id)[-1]["text"]
    private = [r.text or "" for r in harness.standin.delivered if r.conversation_id != TEAM.id]
    assert any("Only a provider project manager" in body for body in private)
    project = await harness.runtime.service.load(project_id)
    assert project is not None and project.foc_date is None


async def test_language_preference_is_remembered_for_proactive_cards(harness) -> None:
    chat = personal(ADMIN)
    await harness.post(message(ADMIN, chat, "idioma es", harness.service_url, locale="en-US"))
    assert harness.standin.activities_in(chat.id)[-1]["text"] == "Le escribiré en español."
    await create_project(harness, setup_values("cloud_voice_teams", porting=True))
    cards = latest_task_cards(harness, ADMIN)
    assert "Licencia adicional" in str(cards[LICENSE])


async def test_an_explicit_language_choice_wins_over_the_locale(harness) -> None:
    chat = personal(CUSTOMER)
    await harness.post(message(CUSTOMER, chat, "language es", harness.service_url, locale="en-US"))
    await harness.post(message(CUSTOMER, chat, "help", harness.service_url, locale="en-US"))
    assert harness.standin.cards_in(chat.id)[-1]["body"][0]["text"] == "Lo que puedo hacer"
    await harness.post(message(CUSTOMER, chat, "idioma en", harness.service_url, locale="es-ES"))
    await harness.post(message(CUSTOMER, chat, "ayuda", harness.service_url, locale="es-ES"))
    assert harness.standin.cards_in(chat.id)[-1]["body"][0]["text"] == "What I can do"


async def test_the_pm_card_refresh_uses_teams_ids(harness) -> None:
    await create_project(harness, setup_values("cloud_voice_teams", porting=True))
    card = next(c for c in harness.standin.cards_in(TEAM.id) if (c.get("refresh") or {}).get("userIds"))
    assert PM.teams_id in card["refresh"]["userIds"] and PM.aad_object_id not in card["refresh"]["userIds"]
