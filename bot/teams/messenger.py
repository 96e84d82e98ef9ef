"""The Messenger port implemented with botbuilder: proactive sends, card updates and 1:1
conversations, with Bot Connector errors classified for the delivery retry policy."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
    ConversationReference,
)
from botframework.connector.models import ErrorResponseException
from msrest.exceptions import ClientRequestError

from bot.delivery.limits import DeliveryError
from bot.domain.project import ConversationTarget


def _reference(target: ConversationTarget) -> ConversationReference:
    return ConversationReference(
        channel_id=target.channel_id,
        service_url=target.service_url,
        conversation=ConversationAccount(id=target.conversation_id, tenant_id=target.tenant_id),
    )


def _classify(error: Exception) -> DeliveryError:
    if isinstance(error, ErrorResponseException):
        response = error.response
        status = getattr(response, "status_code", 0) or 0
        retry_after: float | None = None
        header = response.headers.get("Retry-After") if response is not None else None
        if header:
            try:
                retry_after = float(header)
            except ValueError:
                retry_after = None
        code = ""
        inner = getattr(error, "error", None)
        if inner is not None and getattr(inner, "error", None) is not None:
            code = inner.error.code or ""
        return DeliveryError(status, code, retry_after)
    if isinstance(error, ClientRequestError | TimeoutError | ConnectionError):
        return DeliveryError(0, "network")
    raise error


class BotbuilderMessenger:
    """Each call runs in a proactive turn. The adapter hands exceptions raised in a turn to
    its on_turn_error handler instead of raising them, so callbacks keep their own error and
    it is raised (classified) after the turn."""

    def __init__(self, adapter: CloudAdapter, app_id: str) -> None:
        self.adapter = adapter
        self.app_id = app_id

    async def _turn(self, reference: ConversationReference, work: Callable[[TurnContext], Awaitable[None]]) -> None:
        failures: list[Exception] = []

        async def callback(context: TurnContext) -> None:
            try:
                await work(context)
            except Exception as error:  # noqa: BLE001 - kept and raised after the turn
                failures.append(error)

        try:
            await self.adapter.continue_conversation(reference, callback, self.app_id)
        except Exception as error:  # classified below; unknown errors re-raised
            raise _classify(error) from error
        if failures:
            raise _classify(failures[0]) from failures[0]

    async def send(self, target: ConversationTarget, card: dict[str, Any], mentions_text: str | None = None) -> str:
        sent: list[str] = []

        async def callback(context: TurnContext) -> None:
            activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
            if mentions_text:
                activity.text = mentions_text
            response = await context.send_activity(activity)
            sent.append(response.id if response else "")

        await self._turn(_reference(target), callback)
        if not sent or not sent[0]:
            raise DeliveryError(0, "no activity id")
        return sent[0]

    async def update(self, target: ConversationTarget, activity_id: str, card: dict[str, Any]) -> None:
        async def callback(context: TurnContext) -> None:
            activity = Activity(
                type=ActivityTypes.message,
                id=activity_id,
                conversation=ConversationAccount(id=target.conversation_id),
                attachments=[CardFactory.adaptive_card(card)],
            )
            await context.update_activity(activity)

        await self._turn(_reference(target), callback)

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
