"""The Bot Connector calls go out on aiohttp (bot/teams/connector.py, connector_http.py), not on
`requests` in worker threads, with botbuilder's error model and credentials kept."""

from __future__ import annotations

import socket

import pytest
import requests

from bot.config import Settings
from bot.delivery.limits import DeliveryError
from bot.domain.project import ConversationTarget
from bot.teams.messenger import BotbuilderMessenger
from bot.teams.tokens import TeamsBotAuthentication
from tests.support.teams_activities import message, personal
from tests.teams.conftest import CUSTOMER, TENANT, harness_env, running_harness


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_replies_and_proactive_sends_never_use_requests(harness, monkeypatch) -> None:
    def no_requests(*args, **kwargs):
        raise AssertionError("a Bot Connector call went through requests")

    monkeypatch.setattr(requests.Session, "send", no_requests)
    chat = personal(CUSTOMER)
    status, _ = await harness.post(message(CUSTOMER, chat, "help", harness.service_url))  # a reply in the turn
    assert status in (200, 201)
    messenger = harness.runtime.delivery.sender.messenger.inner
    assert isinstance(messenger, BotbuilderMessenger)
    target = ConversationTarget(chat.id, harness.service_url, TENANT)
    activity_id = await messenger.send(target, {"type": "AdaptiveCard", "version": "1.5", "body": []})  # proactive
    await messenger.update(target, activity_id, {"type": "AdaptiveCard", "version": "1.5", "body": []})
    assert len(harness.standin.cards_in(chat.id)) == 3


async def test_an_unreachable_connector_is_a_retryable_network_error(harness) -> None:
    messenger = harness.runtime.delivery.sender.messenger.inner
    target = ConversationTarget("a:1", f"http://127.0.0.1:{_closed_port()}/", TENANT)
    with pytest.raises(DeliveryError) as raised:
        await messenger.send(target, {"type": "AdaptiveCard", "version": "1.5", "body": []})
    assert raised.value.status == 0 and raised.value.code == "network" and raised.value.retryable


async def test_connector_errors_keep_status_code_and_retry_after(harness) -> None:
    chat = personal(CUSTOMER)
    harness.standin.fail_next(1, 429, retry_after=3, conversation_id=chat.id)
    messenger = harness.runtime.delivery.sender.messenger.inner
    with pytest.raises(DeliveryError) as raised:
        await messenger.send(ConversationTarget(chat.id, harness.service_url, TENANT), {"type": "AdaptiveCard", "version": "1.5", "body": []})
    assert (raised.value.status, raised.value.retry_after) == (429, 3.0)


async def test_the_http_session_closes_with_the_runtime(tmp_path) -> None:
    async with running_harness(Settings.from_env(harness_env(tmp_path))) as h:
        await h.post(message(CUSTOMER, personal(CUSTOMER), "help", h.service_url))
        authentication = h.runtime.adapter.bot_framework_authentication
        assert isinstance(authentication, TeamsBotAuthentication)
        session = authentication.connector._session
        assert session is not None and not session.closed
    assert session.closed


async def test_conversation_ids_are_sent_percent_encoded_as_botbuilder_sends_them(harness) -> None:
    # A reply in a channel thread: the id carries ':', '@', ';' and '='. botbuilder's client sends
    # them percent-encoded; aiohttp would unquote them unless told the URL is encoded already.
    thread = "19:abc@thread.tacv2;messageid=123"
    messenger = harness.runtime.delivery.sender.messenger.inner
    target = ConversationTarget(thread, harness.service_url, TENANT)
    activity_id = await messenger.send(target, {"type": "AdaptiveCard", "version": "1.5", "body": []})
    await messenger.update(target, activity_id, {"type": "AdaptiveCard", "version": "1.5", "body": []})
    sent, updated = [a for a in harness.standin.attempts if a.conversation_id == thread]
    encoded = "/v3/conversations/19%3Aabc%40thread.tacv2%3Bmessageid%3D123/activities"
    assert sent.raw_path == encoded and sent.kind == "send"
    assert updated.raw_path.startswith(encoded + "/") and updated.kind == "update"
    assert sent.headers.get("Accept") == "application/json"
