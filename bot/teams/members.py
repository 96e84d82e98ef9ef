"""Who is speaking, across organisations: the turn's sender resolved to an `Actor`.

The conversation's tenant is the host's in a shared channel, so outside a 1:1 chat the sender's
home tenant comes from the Bot Connector's member API (each member's own `tenantId`), cached
per conversation tenant and Teams id. Activities Teams never sends (tenant ids that disagree, a
sender the member API does not know in a shared channel or names with another object id) are
refused with a logged reference. A guest acts as provider staff only through a link made with a
one-time code (bot/storage/staff.py). See docs/cross-organisation.md.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import Activity

from bot.domain.authorization import Actor
from bot.domain.identity import Member, MemberKind, PersonKey, member_kind
from bot.storage.staff import StaffDirectory, StaffRole

log = logging.getLogger(__name__)
CACHE_SIZE = 5000
CACHE_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class IdentityRefusal:
    code: str  # tenant_mismatch | lookup_failed | lookup_mismatch | external_outside_shared
    reference: str


def conversation_tenants(activity: Activity) -> tuple[str, str]:
    """(conversation.tenantId, channelData.tenant.id), lower case, "" where absent."""
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = channel_data.get("tenant") if isinstance(channel_data.get("tenant"), dict) else {}
    account = activity.conversation
    extra = getattr(account, "additional_properties", None) or {}  # Teams sends tenantId; msrest maps tenantID
    conversation = str(getattr(account, "tenant_id", None) or extra.get("tenantId") or "").lower()
    return conversation, str((tenant or {}).get("id") or "").lower()


def is_shared_channel(activity: Activity) -> bool:
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    channel = channel_data.get("channel") if isinstance(channel_data.get("channel"), dict) else {}
    return str((channel or {}).get("type") or "").lower() == "shared"


def member_from(raw: dict[str, Any], conversation_tenant: str) -> Member:
    """A member API answer (TeamsChannelAccount JSON) as a Member of the conversation's tenant."""
    home = str(raw.get("tenantId") or conversation_tenant).lower()
    upn = str(raw.get("userPrincipalName") or "")
    return Member(PersonKey.of(home, str(raw.get("aadObjectId") or raw.get("id") or "")), str(raw.get("id") or ""),
                  str(raw.get("name") or ""), member_kind(home, conversation_tenant, raw.get("userRole"), upn), upn)


class MemberLookup:
    """The member API behind a small time-limited cache (one lookup per person per hour)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._cache: OrderedDict[tuple[str, str], tuple[float, Member]] = OrderedDict()

    def remember(self, conversation_tenant: str, member: Member) -> None:
        self._cache[(conversation_tenant, member.teams_id)] = (self.clock() + CACHE_SECONDS, member)
        self._cache.move_to_end((conversation_tenant, member.teams_id))
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)

    def forget(self, conversation_tenant: str, teams_id: str) -> None:
        """A member joined or left: ask the member API again next time."""
        self._cache.pop((conversation_tenant, teams_id), None)

    def cached(self, conversation_tenant: str, teams_id: str) -> Member | None:
        hit = self._cache.get((conversation_tenant, teams_id))
        return hit[1] if hit and hit[0] > self.clock() else None

    async def member(self, turn_context: TurnContext, member_id: str, conversation_tenant: str) -> Member | None:
        """The member (by Teams id, object id or UPN) of the turn's conversation, None if unknown."""
        cached = self.cached(conversation_tenant, member_id)
        if cached is not None:
            return cached
        connector = turn_context.turn_state.get(BotAdapter.BOT_CONNECTOR_CLIENT_KEY)
        if connector is None:
            return None
        conversation_id = turn_context.activity.conversation.id.split(";messageid=")[0]
        try:
            account = await connector.conversations.get_conversation_member(conversation_id, member_id)
        except Exception as error:  # noqa: BLE001 - 404 not a member, 403, transport: all "unknown"
            log.info("member lookup failed: %s", type(error).__name__)
            return None
        raw = dict(account.serialize(), **(account.additional_properties or {}))
        found = member_from(raw, conversation_tenant)
        self.remember(conversation_tenant, found)
        return found


async def channel_members(turn_context: TurnContext) -> list[dict[str, Any]]:
    """The conversation's own members (a shared channel's include other tenants' people, each with
    their tenantId), as member API JSON, through the paged members API of its conversation id."""
    connector = turn_context.turn_state.get(BotAdapter.BOT_CONNECTOR_CLIENT_KEY)
    if connector is None:
        return []
    conversation_id = turn_context.activity.conversation.id.split(";messageid=")[0]
    found: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = await connector.conversations.get_teams_conversation_paged_members(conversation_id, 200, token)
        found += [dict(m.serialize(), **(m.additional_properties or {})) for m in page.members or []]
        token = page.continuation_token
        if not token:
            return found


class ActorResolver:
    def __init__(self, staff: StaffDirectory, lookup: MemberLookup) -> None:
        self.staff = staff
        self.lookup = lookup

    async def resolve(self, turn_context: TurnContext) -> Actor | IdentityRefusal:
        activity = turn_context.activity
        conversation_tenant, data_tenant = conversation_tenants(activity)
        if conversation_tenant and data_tenant and conversation_tenant != data_tenant:
            return self._refuse("tenant_mismatch", "conversation %s, channelData %s", conversation_tenant, data_tenant)
        tenant = data_tenant or conversation_tenant
        sender = activity.from_property
        object_id = str(getattr(sender, "aad_object_id", None) or getattr(sender, "id", None) or "").lower()
        name = str(getattr(sender, "name", None) or "")
        teams_id = str(getattr(sender, "id", None) or "")
        kind = MemberKind.MEMBER
        personal = (activity.conversation.conversation_type or "personal") == "personal"
        if not personal and teams_id:
            member = await self.lookup.member(turn_context, teams_id, tenant)
            if member is None and is_shared_channel(activity):
                return self._refuse("lookup_failed", "sender %s not found in shared channel", teams_id)
            if member is not None:
                if getattr(sender, "aad_object_id", None) and member.key.object_id != object_id:
                    return self._refuse("lookup_mismatch", "sender %s names another object id", teams_id)
                if member.kind is MemberKind.EXTERNAL and not is_shared_channel(activity):
                    return self._refuse("external_outside_shared", "member of tenant %s outside a shared channel",
                                        member.key.tenant_id)
                tenant, kind = member.key.tenant_id, member.kind
        return await self.actor(PersonKey.of(tenant, object_id), name, kind)

    async def actor(self, key: PersonKey, name: str, kind: MemberKind = MemberKind.MEMBER) -> Actor:
        """The actor of this identity: its own staff roles, or a linked staff identity's."""
        roles = await self.staff.roles_of(key) if key.object_id else frozenset()
        if not roles and key.object_id:
            linked = await self.staff.linked_staff(key)
            if linked is not None:
                staff_roles = await self.staff.roles_of(linked)
                return Actor(linked.object_id, name, linked.tenant_id, is_staff_pm=StaffRole.PM in staff_roles,
                             is_admin=StaffRole.ADMIN in staff_roles, kind=kind, via_guest=key)
        return Actor(key.object_id, name, key.tenant_id, is_staff_pm=StaffRole.PM in roles,
                     is_admin=StaffRole.ADMIN in roles, kind=kind)

    @staticmethod
    def _refuse(code: str, message: str, *args: object) -> IdentityRefusal:
        reference = uuid.uuid4().hex[:8]
        log.warning("identity refused (ref %s, %s): " + message, reference, code, *args)
        return IdentityRefusal(code, reference)


Resolve = Callable[[TurnContext], Awaitable[Actor | IdentityRefusal]]
