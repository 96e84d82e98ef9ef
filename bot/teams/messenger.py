"""The Messenger port for Teams: proactive sends, card updates and 1:1 conversations, with
Bot Connector errors classified for the delivery retry policy."""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import quote

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import (
    ChannelAccount,
    ConversationParameters,
)
from botframework.connector.models import ErrorResponseException
from msrest.exceptions import ClientRequestError

from bot import json_codec
from bot.delivery.limits import DeliveryError
from bot.domain.project import ConversationTarget

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"


class ConnectorRequests(Protocol):
    """What the messenger needs from the Bot Connector (bot/teams/connector.py)."""

    async def request(self, method: str, service_url: str, path: str, body: bytes) -> tuple[int, str | None, bytes]: ...


def _card_activity(target: ConversationTarget, card: dict[str, Any]) -> dict[str, Any]:
    """A message carrying one Adaptive Card, addressed as botbuilder addresses a proactive one
    (the conversation with its tenant: what the connector meters a tenant's rate by)."""
    return {
        "type": "message",
        "channelId": target.channel_id,
        "serviceUrl": target.service_url,
        "conversation": {"id": target.conversation_id, "tenantId": target.tenant_id},
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "content": card}],
    }


def _seconds(header: str | None) -> float | None:
    if not header:
        return None
    try:
        return float(header)
    except ValueError:
        return None


def _classify(error: Exception) -> DeliveryError:
    if isinstance(error, ErrorResponseException):
        response = error.response
        status = getattr(response, "status_code", 0) or 0
        retry_after = _seconds(response.headers.get("Retry-After") if response is not None else None)
        code = ""
        inner = getattr(error, "error", None)
        if inner is not None and getattr(inner, "error", None) is not None:
            code = inner.error.code or ""
        return DeliveryError(status, code, retry_after)
    if isinstance(error, ClientRequestError | TimeoutError | ConnectionError):
        return DeliveryError(0, "network")
    raise error


class BotbuilderMessenger:
    """Proactive sends and card updates are single Bot Connector REST calls (the documented v3
    `POST /v3/conversations/{id}/activities` and `PUT .../activities/{activityId}`) through the
    `BotConnector`: its session, signed by the credentials of its cached connector client.

    botbuilder's own proactive path (`continue_conversation`, then `send_activity`) builds a
    turn context, runs the middleware pipeline and walks the whole card through msrest's
    model serializer for one HTTP call: about a fifth of the bot's CPU under load
    (docs/performance.md). Opening a 1:1 chat stays botbuilder's (`create_conversation`).
    """

    def __init__(self, adapter: CloudAdapter, app_id: str, connector: ConnectorRequests) -> None:
        self.adapter = adapter
        self.app_id = app_id
        self.connector = connector

    async def _call(self, method: str, target: ConversationTarget, path: str, activity: dict[str, Any]) -> dict[str, Any]:
        resource = f"/v3/conversations/{quote(target.conversation_id, safe='')}/activities{path}"
        try:
            status, retry_after, raw = await self.connector.request(method, target.service_url, resource,
                                                                    json_codec.dumps(activity))
        except ClientRequestError as error:
            raise DeliveryError(0, "network") from error
        try:
            body = json_codec.loads(raw) if raw else {}
        except ValueError:
            body = {}
        if status >= 400:
            inner = body.get("error") if isinstance(body, dict) else None
            code = inner.get("code") if isinstance(inner, dict) else None
            raise DeliveryError(status, code if isinstance(code, str) else "", _seconds(retry_after))
        return body if isinstance(body, dict) else {}

    async def send(self, target: ConversationTarget, card: dict[str, Any], mentions_text: str | None = None) -> str:
        activity = _card_activity(target, card)
        if mentions_text:
            activity["text"] = mentions_text
        answer = await self._call("POST", target, "", activity)
        activity_id = answer.get("id")
        if not isinstance(activity_id, str) or not activity_id:
            raise DeliveryError(0, "no activity id")
        return activity_id

    async def send_text(self, target: ConversationTarget, message: str) -> str:
        """A plain text message: a person's private answer to a command typed in a channel (issue 18)."""
        activity = {key: value for key, value in _card_activity(target, {}).items() if key != "attachments"}
        answer = await self._call("POST", target, "", {**activity, "text": message})
        activity_id = answer.get("id")
        if not isinstance(activity_id, str) or not activity_id:
            raise DeliveryError(0, "no activity id")
        return activity_id

    async def update(self, target: ConversationTarget, activity_id: str, card: dict[str, Any]) -> None:
        activity = {**_card_activity(target, card), "id": activity_id}
        await self._call("PUT", target, f"/{quote(activity_id, safe='')}", activity)

    async def open_personal(self, via: ConversationTarget, user_teams_id: str) -> ConversationTarget:
        created: list[ConversationTarget] = []

        async def callback(context: TurnContext) -> None:
            created.append(
                ConversationTarget(
                    conversation_id=context.activity.conversation.id,
                    service_url=via.service_url,
                    tenant_id=via.tenant_id,
                )
            )

        parameters = ConversationParameters(
            is_group=False,
            bot=ChannelAccount(id=f"28:{self.app_id}" if self.app_id else "bot"),
            members=[ChannelAccount(id=user_teams_id)],
            tenant_id=via.tenant_id,
            channel_data={"tenant": {"id": via.tenant_id}},
        )
        try:
            await self.adapter.create_conversation(self.app_id, callback, parameters, via.channel_id, via.service_url, None)
        except Exception as error:
            raise _classify(error) from error
        if not created:
            raise DeliveryError(0, "no conversation")
        return created[0]
