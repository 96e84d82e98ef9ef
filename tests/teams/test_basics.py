"""The bot answers already: a welcome card on install, help in the user's language, /healthz."""

from __future__ import annotations

import pytest

from tests.support.card_validation import assert_valid_card
from tests.support.teams_activities import bot_added, installation_added, message, personal
from tests.teams.conftest import CUSTOMER, PM, TEAM


async def test_healthz_names_the_store(harness) -> None:
    async with harness.session.get(f"{harness.url}/healthz") as response:
        assert response.status == 200
        body = await response.json()
    assert body["store"] == "sqlite" and set(body["playbooks"]) == {"cloud_voice_teams", "officeconnect_ucaas"}


@pytest.mark.parametrize(("locale", "expected"), [("en-US", "What I can do"), ("es-MX", "Lo que puedo hacer")])
async def test_help_in_the_users_language(harness, locale: str, expected: str) -> None:
    conversation = personal(CUSTOMER)
    word = "help" if locale.startswith("en") else "ayuda"
    status, _ = await harness.post(message(CUSTOMER, conversation, word, harness.service_url, locale=locale))
    assert status in (200, 201)
    cards = harness.standin.cards_in(conversation.id)
    assert cards and cards[-1]["body"][0]["text"] == expected
    assert_valid_card(cards[-1])


async def test_pm_help_lists_pm_commands(harness) -> None:
    await harness.post(message(PM, TEAM, "help", harness.service_url))
    card = harness.standin.cards_in(TEAM.id)[-1]
    assert "new project" in str(card) and "digest" in str(card)
    await harness.post(message(CUSTOMER, TEAM, "help", harness.service_url))
    assert "new project" not in str(harness.standin.cards_in(TEAM.id)[-1])


async def test_welcome_once_on_install_in_a_team_and_in_a_chat(harness) -> None:
    # Teams sends both the installation event and the bot's arrival as a member: one welcome.
    await harness.post(bot_added(PM, TEAM, harness.service_url))
    await harness.post(installation_added(PM, TEAM, harness.service_url))
    welcomes = [c for c in harness.standin.cards_in(TEAM.id) if c["body"][0]["text"].startswith("Hi")]
    assert len(welcomes) == 1
    chat = personal(CUSTOMER)
    await harness.post(installation_added(CUSTOMER, chat, harness.service_url, locale="es-ES"))
    assert harness.standin.cards_in(chat.id)[-1]["body"][0]["text"].startswith("Hola")


async def test_unknown_command_gets_a_pointer_to_help(harness) -> None:
    chat = personal(CUSTOMER)
    await harness.post(message(CUSTOMER, chat, "what's up", harness.service_url))
    assert "help" in harness.standin.activities_in(chat.id)[-1]["text"]
