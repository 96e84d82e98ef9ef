"""Graph inside the bot: owners the bot cannot open a 1:1 with are reached by installing the
app for them; without consent the PM is told once and the card stays in the channel; the
licensing task cards show what the tenant has and lacks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from tests.graph.conftest import APP_ID, CLIENT_ID, SECRET
from tests.graph.standin import GraphStandIn, User
from tests.support.teams_activities import message, personal
from tests.teams.conftest import ADMIN, CUSTOMER, PM, TEAM, TENANT, Harness, harness_env, running_harness
from tests.teams.flows import create_project, setup_values

pytestmark = pytest.mark.graph


@pytest.fixture
async def graph_harness(tmp_path: Path, standin: GraphStandIn, tls: tuple[Path, Path]) -> AsyncIterator[Harness]:
    settings = Settings.from_env(harness_env(
        tmp_path, GRAPH_CLIENT_ID=CLIENT_ID, GRAPH_CLIENT_SECRET=SECRET, GRAPH_ENDPOINT=standin.base,
        GRAPH_AUTHORITY_HOST=f"127.0.0.1:{standin.port}", TEAMS_APP_ID=APP_ID, GRAPH_CA_BUNDLE=str(tls[0])))
    assert settings.graph is not None
    async with running_harness(settings) as running:
        yield running


def tenant_with(standin: GraphStandIn, *, denied: set[str] | None = None, licensed: bool = True) -> None:
    customer_licences = [("SPE_E5", ())] if licensed else [("ENTERPRISEPACK", ())]
    standin.tenant(TENANT, catalog={APP_ID}, denied=denied or set(),
                   purchased={"SPE_E5": (10, 2), "MCOEV": (5, 0), "ENTERPRISEPACK": (10, 1)} if licensed else {"ENTERPRISEPACK": (10, 2)},
                   users={CUSTOMER.aad_object_id: User(CUSTOMER.name, customer_licences),
                          ADMIN.aad_object_id: User(ADMIN.name, customer_licences),
                          PM.aad_object_id: User(PM.name, [])})


def sends_to(harness: Harness, conversation_id: str) -> list[dict]:
    return harness.standin.cards_in(conversation_id, kinds=("send", "reply"))


async def test_owner_without_a_1to1_is_reached_by_installing_the_app(graph_harness: Harness, standin: GraphStandIn) -> None:
    tenant_with(standin)
    graph_harness.standin.fail_always(403, code="BotNotInConversationRoster", kind="create_conversation")
    await create_project(graph_harness, setup_values("cloud_voice_teams", porting=True))
    installs = standin.requests_to(r"/users/.*/teamwork/installedApps$", "POST")
    assert any(ADMIN.aad_object_id in s.path for s in installs)
    chat = standin.tenants[TENANT].installations[ADMIN.aad_object_id]["chatId"]
    cards = sends_to(graph_harness, chat)
    assert cards and any("Teams Phone Standard" in str(c) for c in cards)


async def test_without_consent_the_pm_is_told_once_and_the_card_stays_in_the_channel(graph_harness: Harness,
                                                                                       standin: GraphStandIn) -> None:
    tenant_with(standin, denied={"install"})
    await graph_harness.post(message(PM, personal(PM), "help", graph_harness.service_url))  # the PM uses the bot
    graph_harness.standin.fail_always(403, code="BotNotInConversationRoster", kind="create_conversation")
    project_id = await create_project(graph_harness, setup_values("cloud_voice_teams", porting=True))
    project = await graph_harness.runtime.service.load(project_id)
    assert project is not None and project.outbox == []
    channel_keys = {c["refresh"]["action"]["data"]["k"] for c in sends_to(graph_harness, TEAM.id) if c.get("refresh")}
    assert "cloud_voice_teams:licensing.phone_standard" in channel_keys
    notices = [r for r in graph_harness.standin.delivered if "can't message" in str(r.activity)]
    named = [n for n in notices if ADMIN.name in str(n.activity)]
    assert len(named) == 1 and named[0].conversation_id == personal(PM).id  # once, however many of the admin's cards could not go out
    # A later change does not nag the PM again.
    await graph_harness.runtime.delivery.sweep()
    assert len([r for r in graph_harness.standin.delivered if ADMIN.name in str(r.activity) and "can't message" in str(r.activity)]) == 1


async def test_licensing_cards_show_what_the_tenant_lacks(graph_harness: Harness, standin: GraphStandIn) -> None:
    tenant_with(standin, licensed=False)
    await create_project(graph_harness, setup_values("cloud_voice_teams", porting=True))
    assert standin.requests_to(r"/subscribedSkus")
    updates = [r for r in graph_harness.standin.delivered if r.kind == "update" and r.conversation_id == TEAM.id]
    texts = " ".join(str(c) for r in updates for c in r.cards)
    assert "Licences in your organization" in texts
    assert f"{ADMIN.name}: missing" in texts or "missing" in texts.lower()


async def test_licensing_cards_confirm_a_tenant_with_the_licences(graph_harness: Harness, standin: GraphStandIn) -> None:
    tenant_with(standin, licensed=True)
    await create_project(graph_harness, setup_values("cloud_voice_teams", porting=True))
    updates = [r for r in graph_harness.standin.delivered if r.kind == "update" and r.conversation_id == TEAM.id]
    texts = " ".join(str(c) for r in updates for c in r.cards)
    assert "✓" in texts and "missing" not in texts.lower()
