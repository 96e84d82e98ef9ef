"""How to reach a person: their 1:1 chat with the bot, found once and remembered in their record.

In order: nobody, if they are marked unreachable; the 1:1 chat they have used or the bot opened
before; a new 1:1 chat opened through the Bot Connector with their Teams id, from a
conversation they share with the bot (the project's channel); and, with Microsoft Graph
configured, installing the app for them first (someone who never opened the bot).
Someone from another tenant than the channel's host (a shared channel's external member) is
reached 1:1 only in a chat they opened in their own tenant: Teams refuses to open one from the
host's channel, so the bot never tries and their cards reach them in the channel (issue 15).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Protocol

from bot.delivery.limits import DeliveryError, Messenger
from bot.domain.people import PersonRecord
from bot.domain.project import ConversationTarget
from bot.graph.errors import (
    AppNotInCatalog,
    GraphCredentialsInvalid,
    GraphForbidden,
    GraphNotFound,
    GraphThrottled,
    GraphUnavailable,
)
from bot.graph.licensing import LicensingReport
from bot.storage.people import PersonRecords

log = logging.getLogger(__name__)


class GraphPort(Protocol):
    """What delivery needs from Microsoft Graph (bot.graph.client.GraphClient implements it)."""

    async def install_and_open_chat(self, tenant_id: str, user_aad_id: str) -> str: ...

    async def check_licensing(self, tenant_id: str, user_ids: list[str], shared_device_user_ids: list[str] = ...,
                              resource_account_ids: list[str] = ..., *, names: dict[str, str] | None = None) -> LicensingReport: ...


class Reach:
    def __init__(self, people: PersonRecords, messenger: Messenger, graph: GraphPort | None = None) -> None:
        self.people = people
        self.messenger = messenger
        self.graph = graph

    async def conversation(self, person_id: str, *, teams_id: str | None, via: ConversationTarget | None,
                           tenant_id: str, record: PersonRecord | None = None, install: bool = True,
                           home_tenant: str | None = None) -> ConversationTarget | None:
        """Their 1:1 chat, or None when they cannot be reached now. `record`: theirs, if the
        caller has just read it; `install`: whether Graph may install the app for them;
        `home_tenant`: theirs when known (else their record's)."""
        record = record if record is not None else await self.people.get(person_id)
        if record.unreachable:
            return None
        if record.conversation:
            return record.conversation
        teams_id = teams_id or record.teams_id
        if via is None or self.external(via, home_tenant or record.tenant_id):
            return None
        graph = self.graph if install else None
        conversation: ConversationTarget | None = None
        if teams_id:
            try:
                conversation = await self.messenger.open_personal(via, teams_id)
            except DeliveryError as error:
                if not (error.permanent and graph):
                    raise
        if conversation is None:
            if graph is None:
                return None
            chat_id = await self._install_for(graph, tenant_id, person_id)
            if chat_id is None:
                return None
            conversation = ConversationTarget(chat_id, via.service_url, tenant_id)
        found = conversation
        await self.people.change(person_id, lambda r: replace(r, conversation=found))
        return conversation

    @staticmethod
    def external(via: ConversationTarget, home_tenant: str | None) -> bool:
        """Whether the person's home tenant is not the channel's: no 1:1 chat can be opened from it."""
        return bool(home_tenant) and bool(via.tenant_id) and home_tenant != via.tenant_id

    async def note_channel_only(self, person_id: str) -> bool:
        """Remember they can only be reached in the channel; True the first time (tell the PM then)."""
        newly = False

        def mark(record: PersonRecord) -> PersonRecord | None:
            nonlocal newly
            newly = not record.channel_only
            return replace(record, channel_only=True) if newly else None

        await self.people.change(person_id, mark)
        return newly

    async def mark_unreachable(self, person_id: str, why: str) -> bool:
        """Remember that sends to them fail for good; True the first time (tell the PM then)."""
        newly = False

        def mark(record: PersonRecord) -> PersonRecord | None:
            nonlocal newly
            newly = not record.unreachable
            return replace(record, unreachable=why, conversation=None) if newly else None

        await self.people.change(person_id, mark)
        return newly

    async def _install_for(self, graph: GraphPort, tenant_id: str, person_id: str) -> str | None:
        """Install the app for someone who never opened the bot, through Graph; the 1:1 chat id."""
        try:
            return await graph.install_and_open_chat(tenant_id, person_id)
        except GraphThrottled as error:
            raise DeliveryError(429, "graph_throttled", error.retry_after) from error
        except GraphCredentialsInvalid:
            log.error("Microsoft Graph refused the bot's credentials; owners are not reached through Graph")
            return None
        except GraphUnavailable as error:
            raise DeliveryError(503, "graph_unavailable") from error
        except (GraphForbidden, GraphNotFound) as error:  # no consent, app not in the catalog, user gone
            status = 403 if isinstance(error, GraphForbidden | AppNotInCatalog) else 404
            raise DeliveryError(status, error.code or type(error).__name__) from error
