"""The connector stand-in, driven through botbuilder's real client code."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest
import pytest_asyncio
from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    Attachment,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
    ConversationReference,
)
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import MicrosoftAppCredentials
from botframework.connector.models import ErrorResponseException
from msrest.exceptions import ClientRequestError, HttpOperationError

from tests.support.connector_standin import ConnectorStandIn

TENANT = "tenant-1111"
CONV = "a:personal-conv-1"
CARD = {
    "type": "AdaptiveCard",
    "version": "1.5",
    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
    "body": [{"type": "TextBlock", "text": "hello"}],
}


def _roster(n: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"29:user-{i}",
            "name": f"User {i}",
            "aadObjectId": f"00000000-0000-0000-0000-{i:012d}",
            "email": f"user{i}@contoso.example",
            "userPrincipalName": f"user{i}@contoso.example",
            "tenantId": TENANT,
            "userRole": "user",
        }
        for i in range(n)
    ]


def _message(text: str = "hi", *, card: dict[str, Any] | None = None) -> Activity:
    activity = Activity(
        type=ActivityTypes.message,
        text=text,
        from_property=ChannelAccount(id="28:bot", name="Bot"),
        conversation=ConversationAccount(id=CONV, tenant_id=TENANT),
        channel_data={"tenant": {"id": TENANT}},
    )
    if card is not None:
        activity.attachments = [
            Attachment(
                content_type="application/vnd.microsoft.card.adaptive", content=card
            )
        ]
    return activity


@pytest_asyncio.fixture
async def standin() -> AsyncIterator[ConnectorStandIn]:
    async with ConnectorStandIn(roster=_roster(5)) as server:
        yield server


@pytest_asyncio.fixture
async def client(standin: ConnectorStandIn) -> AsyncIterator[ConnectorClient]:
    async with ConnectorClient(
        MicrosoftAppCredentials.empty(), base_url=standin.service_url
    ) as connector:
        yield connector


def _status(exc: HttpOperationError) -> int:
    return int(exc.response.status_code)


# --------------------------------------------------------------------- basics


@pytest.mark.asyncio
async def test_start_returns_loopback_base_url() -> None:
    server = ConnectorStandIn()
    url = await server.start()
    try:
        assert url.startswith("http://127.0.0.1:") and url.endswith("/")
        assert url == server.service_url
        assert server.port > 0
    finally:
        await server.stop()


@pytest.mark.asyncio
async def test_send_update_reply_delete_are_recorded(
    standin: ConnectorStandIn, client: ConnectorClient
) -> None:
    sent = await client.conversations.send_to_conversation(
        CONV, _message("first", card=CARD)
    )
    assert sent.id

    changed = {**CARD, "body": [{"type": "TextBlock", "text": "changed"}]}
    update = _message("first (edited)", card=changed)
    update.id = sent.id
    await client.conversations.update_activity(CONV, sent.id, update)

    reply = await client.conversations.reply_to_activity(
        CONV, sent.id, _message("a reply")
    )
    assert reply.id and reply.id != sent.id

    await client.conversations.delete_activity(CONV, reply.id)

    assert [r.kind for r in standin.delivered] == ["send", "update", "reply", "delete"]
    assert standin.sent is standin.delivered
    first = standin.delivered[0]
    assert first.conversation_id == CONV
    assert first.activity_id == sent.id
    assert first.tenant_id == TENANT
    assert first.text == "first"
    assert first.attempt.authorization is None  # anonymous: botbuilder sends no token

    assert [a["text"] for a in standin.activities_in(CONV)] == ["first", "a reply"]
    assert standin.activities_in(CONV)[0]["id"] == sent.id
    assert standin.records_in(CONV, ["reply"])[0].reply_to_id == sent.id
    texts = [c["body"][0]["text"] for c in standin.cards_in(CONV)]
    assert texts == ["hello", "changed"]

    latest = standin.latest(sent.id)
    assert (
        latest is not None
        and latest["text"] == "first (edited)"
        and latest["id"] == sent.id
    )
    assert standin.latest(reply.id) is None and standin.is_deleted(reply.id)
    assert standin.conversation_of(sent.id) == CONV
    assert all(a.ok for a in standin.attempts) and standin.failed_attempts == []
    assert standin.limit_violations() == []


@pytest.mark.asyncio
async def test_channel_conversation_ids_survive_url_encoding(
    standin: ConnectorStandIn, client: ConnectorClient
) -> None:
    cid = "19:abc123@thread.tacv2;messageid=1700000000000"
    await client.conversations.send_to_conversation(cid, _message("in a thread"))
    assert standin.delivered[0].conversation_id == cid
    assert standin.activities_in(cid)[0]["text"] == "in a thread"


@pytest.mark.asyncio
async def test_create_conversation_one_on_one_is_stable(
    standin: ConnectorStandIn, client: ConnectorClient
) -> None:
    params = ConversationParameters(
        is_group=False,
        bot=ChannelAccount(id="28:bot"),
        members=[ChannelAccount(id="29:user-1")],
        tenant_id=TENANT,
        channel_data={"tenant": {"id": TENANT}},
    )
    first = await client.conversations.create_conversation(params)
    second = await client.conversations.create_conversation(params)
    assert first.id == second.id and first.id.startswith("a:")
    assert first.service_url == standin.service_url

    created = standin.created_conversations
    assert len(created) == 2
    assert created[0].members[0]["id"] == "29:user-1"
    assert created[0].is_group is False
    assert created[0].channel_data == {"tenant": {"id": TENANT}}
    assert created[0].tenant_id == TENANT

    # The tenant is remembered for later requests without a body (rate accounting).
    await client.conversations.delete_activity(first.id, "123")
    assert standin.attempts[-1].tenant_id == TENANT


@pytest.mark.asyncio
async def test_create_conversation_in_channel_starts_a_thread(
    standin: ConnectorStandIn, client: ConnectorClient
) -> None:
    params = ConversationParameters(
        is_group=True,
        channel_data={
            "channel": {"id": "19:general@thread.tacv2"},
            "tenant": {"id": TENANT},
        },
        activity=_message("new thread", card=CARD),
    )
    result = await client.conversations.create_conversation(params)
    assert result.activity_id
    assert result.id == f"19:general@thread.tacv2;messageid={result.activity_id}"
    rec = standin.created_conversations[0]
    assert rec.activity is not None and rec.cards == [CARD]
    latest = standin.latest(result.activity_id)
    assert latest is not None and latest["text"] == "new thread"


@pytest.mark.asyncio
async def test_paged_members_and_single_member(
    standin: ConnectorStandIn, client: ConnectorClient
) -> None:
    standin.set_roster(_roster(7), conversation_id=CONV)
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page = await client.conversations.get_conversation_paged_members(
            CONV, page_size=3, continuation_token=token
        )
        pages += 1
        seen.extend(m.id for m in page.members)
        token = page.continuation_token
        if not token:
            break
    assert pages == 3
    assert seen == [f"29:user-{i}" for i in range(7)]
    assert standin.attempts[0].query == {"pageSize": "3"}
    assert [a.kind for a in standin.attempts] == ["get_paged_members"] * 3

    # The default roster applies to other conversations.
    other = await client.conversations.get_conversation_paged_members("a:other")
    assert len(other.members) == 5 and not other.continuation_token

    member = await client.conversations.get_conversation_member(CONV, "29:user-4")
    assert member.name == "User 4"
    by_aad = await client.conversations.get_conversation_member(
        CONV, "00000000-0000-0000-0000-000000000002"
    )
    assert by_aad.id == "29:user-2"
    with pytest.raises(ErrorResponseException) as missing:
        await client.conversations.get_conversation_member(CONV, "29:nobody")
    assert _status(missing.value) == 404
    assert standin.attempts[-1].error_code == "MemberNotFoundInConversation"
    # Reads are not deliveries.
    assert standin.delivered == []


@pytest.mark.asyncio
async def test_teams_channels_through_sync_teams_client(
    standin: ConnectorStandIn,
) -> None:
    from botframework.connector.teams import TeamsConnectorClient

    standin.set_channels(
        "19:team@thread.tacv2",
        [
            {"id": "19:team@thread.tacv2", "name": None},
            {"id": "19:x@thread.tacv2", "name": "Ops"},
        ],
        name="Team",
    )
    teams_client = TeamsConnectorClient(
        MicrosoftAppCredentials.empty(), standin.service_url
    )
    # The Teams operations are synchronous (blocking requests): off the loop, or they deadlock.
    result = await asyncio.to_thread(
        teams_client.teams.get_teams_channels, "19:team@thread.tacv2"
    )
    assert [c.name for c in result.conversations] == [None, "Ops"]
    details = await asyncio.to_thread(
        teams_client.teams.get_team_details, "19:team@thread.tacv2"
    )
    assert details.name == "Team"
    assert [a.kind for a in standin.attempts] == ["get_channels", "get_team"]


@pytest.mark.asyncio
async def test_unknown_routes_are_404_and_listed(
    standin: ConnectorStandIn, client: ConnectorClient
) -> None:
    loop_client = client._client  # msrest service client
    request = loop_client.get("/v9/nowhere")
    response = await loop_client.async_send(request)
    assert response.status_code == 404
    assert [a.path for a in standin.unhandled] == ["/v9/nowhere"]


# --------------------------------------------------------------------- via CloudAdapter


@pytest.mark.asyncio
async def test_cloud_adapter_proactive_send_and_teams_info(
    standin: ConnectorStandIn,
) -> None:
    config = SimpleNamespace(
        APP_ID="", APP_PASSWORD="", APP_TYPE="MultiTenant", APP_TENANTID=""
    )
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(config))
    reference = ConversationReference(
        channel_id="msteams",
        service_url=standin.service_url,
        conversation=ConversationAccount(
            id=CONV, tenant_id=TENANT, conversation_type="personal"
        ),
        bot=ChannelAccount(id="28:bot", name="Bot"),
        user=ChannelAccount(id="29:user-1"),
    )
    members: list[str] = []

    async def logic(turn_context: TurnContext) -> None:
        await turn_context.send_activity("proactive hello")
        # The continuation event carries no channelData; TeamsInfo needs it (TypeError otherwise).
        turn_context.activity.channel_data = {"tenant": {"id": TENANT}}
        page = await TeamsInfo.get_paged_members(turn_context, page_size=2)
        members.extend(m.id for m in page.members)

    await adapter.continue_conversation(reference, logic, "")
    [rec] = standin.records_in(CONV)
    # botbuilder turns proactive sends into replies to the continuation event's random id.
    assert rec.kind in ("send", "reply")
    assert rec.text == "proactive hello"
    assert rec.tenant_id == TENANT
    assert rec.attempt.authorization is None
    assert members == ["29:user-0", "29:user-1"]


# --------------------------------------------------------------------- faults


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("status", "code"),
    [
        (429, "TooManyRequests"),
        (503, "ServiceUnavailable"),
        (502, "BadGateway"),
        (504, "GatewayTimeout"),
        (412, "PreconditionFailed"),
        (403, "ConversationBlockedByUser"),
        (404, "ConversationNotFound"),
    ],
)
async def test_fail_next_scripts_statuses(
    standin: ConnectorStandIn, client: ConnectorClient, status: int, code: str
) -> None:
    standin.fail_next(1, status, retry_after=2 if status == 429 else None)
    with pytest.raises(ErrorResponseException) as raised:
        await client.conversations.send_to_conversation(CONV, _message("x"))
    assert _status(raised.value) == status
    assert raised.value.error.error.code == code  # the ErrorResponse body deserialises
    if status == 429:
        assert raised.value.response.headers["Retry-After"] == "2"

    # POSTs are not retried by the client: exactly one attempt, nothing delivered.
    assert len(standin.attempts) == 1 and standin.attempts[0].outcome == "fault"
    assert standin.delivered == [] and standin.pending_faults == 0

    # The next request goes through.
    await client.conversations.send_to_conversation(CONV, _message("y"))
    assert [r.text for r in standin.delivered] == ["y"]
    assert len(standin.failed_attempts) == 1


@pytest.mark.asyncio
async def test_fail_next_filters_and_queue(
    standin: ConnectorStandIn, client: ConnectorClient
) -> None:
    standin.fail_next(2, 503, conversation_id="a:other")
    standin.fail_next(
        1, 403, kind="create_conversation", code="BotNotInConversationRoster"
    )

    await client.conversations.send_to_conversation(CONV, _message("unaffected"))
    for _ in range(2):
        with pytest.raises(ErrorResponseException):
            await client.conversations.send_to_conversation("a:other", _message("x"))
    await client.conversations.send_to_conversation("a:other", _message("now ok"))

    with pytest.raises(ErrorResponseException) as raised:
        await client.conversations.create_conversation(
            ConversationParameters(
                members=[ChannelAccount(id="29:user-1")], tenant_id=TENANT
            )
        )
    assert _status(raised.value) == 403
    assert raised.value.error.error.code == "BotNotInConversationRoster"
    assert [r.text for r in standin.delivered] == ["unaffected", "now ok"]
    assert len(standin.attempts_in("a:other")) == 3


@pytest.mark.asyncio
async def test_put_is_retried_by_the_client_and_every_try_is_an_attempt(
    standin: ConnectorStandIn, client: ConnectorClient
) -> None:
    sent = await client.conversations.send_to_conversation(CONV, _message("v1"))
    standin.fail_next(1, 503, method="PUT")
    update = _message("v2")
    await client.conversations.update_activity(CONV, sent.id, update)
    updates = standin.attempts_in(CONV, ["update"])
    assert [a.status for a in updates] == [503, 200]
    latest = standin.latest(sent.id)
    assert latest is not None and latest["text"] == "v2"


@pytest.mark.asyncio
async def test_block_conversation_is_persistent(
    standin: ConnectorStandIn, client: ConnectorClient
) -> None:
    standin.block_conversation(CONV)
    for _ in range(3):
        with pytest.raises(ErrorResponseException) as raised:
            await client.conversations.send_to_conversation(CONV, _message("x"))
        assert _status(raised.value) == 403
    assert {a.outcome for a in standin.attempts} == {"blocked"}
    standin.clear_faults()
    await client.conversations.send_to_conversation(CONV, _message("ok"))
    assert len(standin.delivered) == 1


@pytest.mark.asyncio
async def test_hang_next_times_out_the_client_then_delivers(
    standin: ConnectorStandIn, client: ConnectorClient
) -> None:
    client.config.connection.timeout = 0.3
    standin.hang_next(1.0)
    started = time.monotonic()
    with pytest.raises(ClientRequestError):
        await client.conversations.send_to_conversation(CONV, _message("slow"))
    assert time.monotonic() - started < 0.9
    # The server still processes it: a "ghost" delivery the client never saw.
    [ghost] = await standin.wait_for_deliveries(1, CONV, timeout=3)
    assert ghost.text == "slow"


@pytest.mark.asyncio
async def test_hang_without_delivery_and_stop_releases_hangs() -> None:
    server = ConnectorStandIn()
    await server.start()
    client = ConnectorClient(
        MicrosoftAppCredentials.empty(), base_url=server.service_url
    )
    server.hang_next(30, deliver=False)
    task = asyncio.create_task(
        client.conversations.send_to_conversation(CONV, _message("x"))
    )
    await server.wait_for(lambda s: len(s.attempts) == 1)
    started = time.monotonic()
    await server.stop()
    assert time.monotonic() - started < 5
    with pytest.raises((ErrorResponseException, ClientRequestError)):
        await task
    assert server.delivered == [] and server.attempts[0].outcome == "hung"
    await client.__aexit__(None, None, None)


@pytest.mark.asyncio
async def test_max_activity_bytes(
    client: ConnectorClient, standin: ConnectorStandIn
) -> None:
    standin.max_activity_bytes = 2000
    with pytest.raises(ErrorResponseException) as raised:
        await client.conversations.send_to_conversation(CONV, _message("x" * 3000))
    assert _status(raised.value) == 413
    assert raised.value.error.error.code == "MessageSizeTooBig"


@pytest.mark.asyncio
async def test_strict_activity_ids(
    standin: ConnectorStandIn, client: ConnectorClient
) -> None:
    standin.strict_activity_ids = True
    standin.fail_next(0, 503)  # n=0 is a no-op
    with pytest.raises(ErrorResponseException) as raised:
        await client.conversations.delete_activity(CONV, "never-sent")
    assert _status(raised.value) == 404
    standin.seed_activity(CONV, "seeded", {"type": "message", "text": "old"})
    await client.conversations.update_activity(CONV, "seeded", _message("new"))
    latest = standin.latest("seeded")
    assert latest is not None and latest["text"] == "new"


# --------------------------------------------------------------------- throttling & limits


@pytest.mark.asyncio
async def test_throttle_per_conversation(
    standin: ConnectorStandIn, client: ConnectorClient
) -> None:
    standin.throttle(per_conversation_per_second=2)
    statuses: list[int] = []
    for i in range(4):
        try:
            await client.conversations.send_to_conversation(CONV, _message(str(i)))
            statuses.append(201)
        except ErrorResponseException as exc:
            statuses.append(_status(exc))
            assert exc.response.headers["Retry-After"] == "1"
    assert statuses == [201, 201, 429, 429]
    assert standin.throttle_count == 2
    # Another conversation has its own window.
    await client.conversations.send_to_conversation("a:other", _message("elsewhere"))
    standin.throttle()  # off
    await client.conversations.send_to_conversation(CONV, _message("after"))
    assert len(standin.delivered) == 4


@pytest.mark.asyncio
async def test_throttle_per_tenant_spans_conversations(
    standin: ConnectorStandIn, client: ConnectorClient
) -> None:
    standin.register_conversation("a:c1", TENANT)
    standin.register_conversation("a:c2", TENANT)
    standin.throttle(per_tenant_per_second=3, retry_after=0)
    results = []
    for cid in ["a:c1", "a:c2", "a:c1", "a:c2"]:
        try:
            await client.conversations.send_to_conversation(cid, _message("x"))
            results.append("ok")
        except ErrorResponseException as exc:
            results.append(str(_status(exc)))
    assert results == ["ok", "ok", "ok", "429"]
    assert standin.throttled[0].retry_after == "0"


@pytest.mark.asyncio
async def test_teams_limit_violations_are_counted(
    standin: ConnectorStandIn, client: ConnectorClient
) -> None:
    await asyncio.gather(
        *(
            client.conversations.send_to_conversation(CONV, _message(str(i)))
            for i in range(10)
        )
    )
    counts = standin.violation_counts()
    span = standin.attempts[-1].timestamp - standin.attempts[0].timestamp
    if span < 1.0:  # always, unless the machine is badly overloaded
        # 10 sends inside 1 s: sends 8, 9 and 10 break 7/1s; 9 and 10 break 8/2s.
        assert counts["conversation:7/1s"] == 3
    assert counts["conversation:8/2s"] == 2
    assert "tenant:50/1s" not in counts
    assert all(v.key == CONV for v in standin.limit_violations())
    assert len(standin.delivered) == 10  # counting does not refuse anything


@pytest.mark.asyncio
async def test_teams_limits_can_be_enforced(
    standin: ConnectorStandIn, client: ConnectorClient
) -> None:
    standin.throttle(teams_limits=True)
    outcomes = await asyncio.gather(
        *(
            client.conversations.send_to_conversation(CONV, _message(str(i)))
            for i in range(9)
        ),
        return_exceptions=True,
    )
    refused = [o for o in outcomes if isinstance(o, ErrorResponseException)]
    assert len(refused) == 2 and {_status(r) for r in refused} == {429}
    assert len(standin.delivered) == 7


@pytest.mark.asyncio
async def test_tenant_limit_violation(
    standin: ConnectorStandIn, client: ConnectorClient
) -> None:
    await asyncio.gather(
        *(
            client.conversations.send_to_conversation(f"a:conv-{i}", _message(str(i)))
            for i in range(52)
        )
    )
    counts = standin.violation_counts()
    if time.monotonic() - standin.attempts[0].timestamp < 1.0:
        assert counts["tenant:50/1s"] == 2
    assert standin.limit_violations()[0].key == TENANT


# --------------------------------------------------------------------- waiting


@pytest.mark.asyncio
async def test_wait_for_wakes_on_delivery_and_times_out(
    standin: ConnectorStandIn, client: ConnectorClient
) -> None:
    async def later() -> None:
        await asyncio.sleep(0.05)
        await client.conversations.send_to_conversation(CONV, _message("late"))

    task = asyncio.create_task(later())
    value = await standin.wait_for(lambda s: s.activities_in(CONV), timeout=5)
    assert value[0]["text"] == "late"
    await task
    with pytest.raises(TimeoutError):
        await standin.wait_for(lambda s: len(s.delivered) > 1, timeout=0.1)
    standin.reset()
    assert standin.delivered == [] and standin.attempts == []
