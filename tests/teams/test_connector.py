"""One path to the Bot Connector (bot/teams/connector.py): botbuilder's clients in a turn, the
messenger's REST calls and opening a 1:1 chat share one session and one client cache."""

from __future__ import annotations

from typing import Any

import aiohttp

from bot.domain.project import ConversationTarget
from bot.teams.connector import ClientCache
from bot.teams.tokens import TeamsBotAuthentication
from tests.support.teams_activities import message, personal
from tests.teams.conftest import CUSTOMER, PM, TEAM, TENANT


async def test_connector_clients_are_built_once_per_service_url(harness, monkeypatch) -> None:
    # botbuilder builds a ConnectorClient (about 3 ms of CPU) for every turn unless the
    # authentication hands it a caching factory: incoming turns and proactive sends share one.
    from botframework.connector.auth import _connector_factory_impl

    built: list[str] = []
    original = _connector_factory_impl._ConnectorFactoryImpl.create

    async def counting_create(self, service_url, audience=None):
        built.append(service_url)
        return await original(self, service_url, audience)

    monkeypatch.setattr(_connector_factory_impl._ConnectorFactoryImpl, "create", counting_create)
    chat = personal(CUSTOMER)
    for word in ("help", "help", "my tasks"):
        status, _ = await harness.post(message(CUSTOMER, chat, word, harness.service_url))
        assert status in (200, 201)
    await harness.post(message(PM, TEAM, "help", harness.service_url))
    assert len(harness.standin.cards_in(chat.id)) == 3
    assert built == [harness.service_url]


def test_client_cache_drops_the_least_recently_used() -> None:
    cache = ClientCache(capacity=2)
    cache.put(("a",), "A")
    cache.put(("b",), "B")
    assert cache.get(("a",)) == "A"  # "b" is now the least recently used
    cache.put(("c",), "C")
    assert len(cache) == 2 and cache.get(("b",)) is None and cache.get(("a",)) == "A"


async def test_every_connector_call_goes_out_on_the_connectors_one_session(harness, monkeypatch) -> None:
    sessions: list[aiohttp.ClientSession] = []
    original = aiohttp.ClientSession._request

    def recording(self: aiohttp.ClientSession, method: str, str_or_url: Any, **kwargs: Any) -> Any:
        if str(str_or_url).startswith(harness.service_url.rstrip("/")):
            sessions.append(self)
        return original(self, method, str_or_url, **kwargs)

    monkeypatch.setattr(aiohttp.ClientSession, "_request", recording)
    chat = personal(CUSTOMER)
    status, _ = await harness.post(message(CUSTOMER, chat, "help", harness.service_url))  # a reply in the turn
    assert status in (200, 201)
    messenger = harness.runtime.delivery.sender.messenger.inner  # type: ignore[attr-defined]
    via = ConversationTarget(TEAM.id, harness.service_url, TENANT)
    opened = await messenger.open_personal(via, PM.teams_id)  # botbuilder's create_conversation
    activity_id = await messenger.send(opened, {"type": "AdaptiveCard", "version": "1.5", "body": []})  # REST
    await messenger.update(opened, activity_id, {"type": "AdaptiveCard", "version": "1.5", "body": []})
    authentication = harness.runtime.adapter.bot_framework_authentication
    assert isinstance(authentication, TeamsBotAuthentication)
    assert len(sessions) >= 4 and set(map(id, sessions)) == {id(authentication.connector.http_session())}
