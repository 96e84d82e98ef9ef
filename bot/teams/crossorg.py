"""The Teams side of working across organisations: staff commands and card, guest link codes,
and a channel being shared (or unshared) with a customer's team.

Kept apart from handler.py so the command table (issue 18) can take these over at merge:
the handler only forwards the commands in `CROSSORG_COMMANDS`, the verbs in `CROSSORG_VERBS`
and the shared-channel events here. Every refusal is answered and logged with a reference.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.schema import Activity

from bot.commands import Command, CommandName, fold
from bot.domain.authorization import Actor
from bot.domain.catalogue import t
from bot.domain.identity import Member, MemberKind, PersonKey
from bot.domain.project import Person
from bot.domain.roles import Role
from bot.domain.text import Language
from bot.domain.transitions import Refused
from bot.graph.errors import GraphError
from bot.service import ActivationService
from bot.storage.staff import LINK_CODE_LIFETIME, LinkRefusal, StaffDirectory, StaffMember, StaffRole
from bot.teams.members import MemberLookup, channel_members, conversation_tenants, member_from
from cards.base import card, plain, text
from cards.staff import (
    CUSTOMER_ROLES,
    SHARED_ASSIGN_VERB,
    STAFF_ADD_VERB,
    STAFF_REMOVE_VERB,
    SharedView,
    StaffLine,
    StaffView,
    link_code_card,
    shared_channel_card,
    staff_card,
)

log = logging.getLogger(__name__)
CROSSORG_VERBS = frozenset({STAFF_ADD_VERB, STAFF_REMOVE_VERB, SHARED_ASSIGN_VERB})
SHARED_EVENTS = frozenset({"channelShared", "channelUnshared", "channelMemberAdded", "channelMemberRemoved"})
Card = dict[str, Any]


def _reference() -> str:
    return uuid.uuid4().hex[:8]


def _personal(turn_context: TurnContext) -> bool:
    return (turn_context.activity.conversation.conversation_type or "personal") == "personal"


def _host_tenant(turn_context: TurnContext) -> str:
    conversation, data = conversation_tenants(turn_context.activity)
    return data or conversation


class GuestOrigins(Protocol):
    """What linking needs from Microsoft Graph (bot.graph.client.GraphClient implements it)."""

    async def origin_of_guest(self, tenant_id: str, user_id: str) -> tuple[str, str] | None: ...


class CrossOrg:
    def __init__(self, service: ActivationService, staff: StaffDirectory, lookup: MemberLookup,
                 clock: Callable[[], datetime], graph: GuestOrigins | None = None) -> None:
        self.graph = graph  # with Microsoft Graph: guests link through originTenantInfo, no code needed
        self.service = service
        self.staff = staff
        self.lookup = lookup
        self.clock = clock

    # -- commands -------------------------------------------------------------------------
    async def command(self, turn_context: TurnContext, actor: Actor, language: Language, command: Command) -> None:
        """`link [CODE]`, and `staff [add pm|admin UPN | remove UPN]` (agregar / quitar in Spanish)."""
        words = command.argument.split()
        if command.name == CommandName.LINK:
            if words:
                await turn_context.send_activity(await self._redeem(turn_context, actor, language, words[0]))
            else:
                await turn_context.send_activity(await self._link_code(turn_context, actor, language))
        elif not actor.is_admin:
            log.warning("staff command by %s refused: not a bot admin", actor.key.encode())
            await turn_context.send_activity(t("staff.admin_only" if actor.is_staff_pm else "refused.not_pm", language))
        elif not words:
            await turn_context.send_activity(_reply(await self.staff_card(turn_context, language)))
        elif fold(words[0]) in ("add", "agregar") and len(words) == 3 and fold(words[1]) in ("pm", "admin"):
            role = StaffRole(fold(words[1]))
            await turn_context.send_activity(await self._add(turn_context, actor, language, role, words[2]))
        elif fold(words[0]) in ("remove", "quitar") and len(words) == 2:
            await turn_context.send_activity(await self._remove(actor, language, words[1]))
        else:
            await turn_context.send_activity(t("staff.usage", language))

    async def staff_card(self, turn_context: TurnContext, language: Language, notice: str = "") -> Card:
        members = [StaffLine(m.key.encode(), m.name, m.upn, m.role.value) for m in await self.staff.roster()]
        members += [StaffLine(f"*/{oid}", oid, "", "admin", True) for oid in sorted(self.staff.settings_admins)]
        members += [StaffLine(f"*/{oid}", oid, "", "pm", True) for oid in sorted(self.staff.settings_pms - self.staff.settings_admins)]
        candidates = [(m.key.encode(), m.name) for m in await self.members(turn_context) if m.kind is not MemberKind.GUEST]
        return staff_card(StaffView(language, members, candidates, notice))

    async def _add(self, turn_context: TurnContext, actor: Actor, language: Language, role: StaffRole, who: str) -> str:
        member = await self._find(turn_context, who)
        if member is None:
            return t("staff.not_found", language, who=plain(who[:80]))
        if member.kind is MemberKind.GUEST:
            reference = _reference()
            log.warning("staff add of guest %s refused (ref %s)", member.key.encode(), reference)
            return t("staff.guest_refused", language, name=plain(member.name), ref=reference)
        added = await self.staff.add(StaffMember(member.key, member.name, role, member.upn))
        log.info("staff %s: %s made %s by %s", "added" if added else "unchanged", member.key.encode(), role, actor.key.encode())
        return t("staff.added" if added else "staff.already", language, name=plain(member.name), role=t(f"staff.role.{role}", language))

    async def _remove(self, actor: Actor, language: Language, who: str) -> str:
        wanted = who.strip().lower()
        listed = next((m for m in await self.staff.roster() if wanted in (m.key.encode(), m.upn.lower(), m.key.object_id)), None)
        if listed is None:
            object_id = wanted.rpartition("/")[2]
            if object_id in self.staff.settings_pms | self.staff.settings_admins:
                return t("staff.settings_only", language, name=plain(object_id))
            return t("staff.not_listed", language, name=plain(who[:80]))
        if listed.key == actor.key and listed.role is StaffRole.ADMIN:
            return t("staff.self", language)
        await self.staff.remove(listed.key)
        log.info("staff removed: %s by %s", listed.key.encode(), actor.key.encode())
        return t("staff.removed", language, name=plain(listed.name or listed.upn))

    async def _find(self, turn_context: TurnContext, who: str) -> Member | None:
        """A member of this conversation by UPN, object id or the card's PersonKey."""
        who = who.strip()
        if "/" in who:
            who = PersonKey.decode(who).object_id
        if not who:
            return None
        return await self.lookup.member(turn_context, who, _host_tenant(turn_context))

    async def members(self, turn_context: TurnContext) -> list[Member]:
        """The conversation's members (each with their own tenant); [] in a 1:1 chat or on failure."""
        if _personal(turn_context):
            return []
        tenant = _host_tenant(turn_context)
        try:
            raws = await channel_members(turn_context)
        except Exception as error:  # noqa: BLE001 - a card without candidates still works by UPN
            log.info("members unavailable: %s", type(error).__name__)
            return []
        found = [member_from(raw, tenant) for raw in raws]
        for member in found:
            self.lookup.remember(tenant, member)
        return found

    # -- link codes -----------------------------------------------------------------------
    async def _link_code(self, turn_context: TurnContext, actor: Actor, language: Language) -> Activity | str:
        if not _personal(turn_context):
            return t("link.personal_only" if actor.is_staff_pm else "refused.not_pm", language)
        if not actor.is_staff_pm and self.graph is not None:
            linked = await self._link_through_graph(turn_context, actor, language)
            if linked is not None:
                return linked
        if not actor.is_staff_pm or actor.via_guest is not None or actor.kind is MemberKind.GUEST:
            reference = _reference()
            log.warning("link code refused for %s (ref %s): not staff in their own tenant", actor.key.encode(), reference)
            return t("link.not_staff", language, ref=reference)
        code = await self.staff.new_link_code(actor.key, self.clock())
        return _reply(link_code_card(code, int(LINK_CODE_LIFETIME.total_seconds() // 60), language))

    async def _link_through_graph(self, turn_context: TurnContext, actor: Actor, language: Language) -> str | None:
        """A guest typing `link` with Graph configured: the directory's `originTenantInfo` names
        their home identity; linked when that is staff. None when Graph cannot tell."""
        assert self.graph is not None
        guest = actor.key
        try:
            origin = await self.graph.origin_of_guest(guest.tenant_id, guest.object_id)
        except GraphError as error:
            log.info("originTenantInfo of %s unavailable: %s", guest.encode(), type(error).__name__)
            return None
        if origin is None or not await self.staff.link_from_directory(guest, PersonKey.of(*origin), self.clock()):
            return None
        return t("link.done", language, name=plain(actor.name))

    async def _redeem(self, turn_context: TurnContext, actor: Actor, language: Language, code: str) -> str:
        if not _personal(turn_context):
            return t("link.personal_only", language)
        sender = turn_context.activity.from_property
        guest = actor.via_guest or PersonKey.of(_host_tenant(turn_context), getattr(sender, "aad_object_id", None))
        member = await self.lookup.member(turn_context, str(getattr(sender, "id", "") or ""), _host_tenant(turn_context))
        is_guest = member is not None and member.kind is MemberKind.GUEST and member.key == guest
        outcome = await self.staff.redeem(code, guest, is_guest=is_guest, now=self.clock())
        if isinstance(outcome, LinkRefusal):
            reference = _reference()
            log.warning("link code refused for %s (ref %s): %s", guest.encode(), reference, outcome.value)
            return t(f"link.{outcome.value}", language, ref=reference)
        return t("link.done", language, name=plain(actor.name))

    # -- card actions -----------------------------------------------------------------------
    async def card_action(self, turn_context: TurnContext, actor: Actor, language: Language, verb: str,
                          data: dict[str, Any]) -> Card:
        if verb == SHARED_ASSIGN_VERB:
            return await self._assign_shared(turn_context, actor, language, data)
        if not actor.is_admin:
            log.warning("staff card action by %s refused: not a bot admin", actor.key.encode())
            return card([text(t("staff.admin_only", language))])
        if verb == STAFF_ADD_VERB:
            role = StaffRole.ADMIN if data.get("role") == "admin" else StaffRole.PM
            who = str(data.get("upn") or data.get("who") or "")[:200]
            notice = await self._add(turn_context, actor, language, role, who) if who else t("staff.usage", language)
        else:
            notice = await self._remove(actor, language, str(data.get("who") or "")[:200])
        return await self.staff_card(turn_context, language, notice)

    async def _assign_shared(self, turn_context: TurnContext, actor: Actor, language: Language, data: dict[str, Any]) -> Card:
        project_id = data.get("p")
        if not isinstance(project_id, str) or len(project_id) > 200:
            return card([text(t("refused.no_project", language))])
        wanted: list[tuple[Role, str]] = []
        for role in CUSTOMER_ROLES:
            value = data.get(f"role_{role.value}")
            if isinstance(value, str):
                wanted += [(role, v.strip()) for v in value.split(",") if v.strip()][:20]
        assigned = 0
        for role, encoded in wanted:
            member = await self._find(turn_context, encoded)
            if member is None or member.key != PersonKey.decode(encoded):
                reference = _reference()
                log.warning("shared-channel assignment refused (ref %s): %s not a member", reference, encoded[:80])
                return card([text(t("shared.not_member", language, ref=reference))])
            person = Person(member.key.object_id, member.name, member.teams_id,
                            member.key.tenant_id if member.key.tenant_id != _host_tenant(turn_context) else "")
            try:
                await self.service.assign(actor, project_id, role, person)
            except Refused as refused:
                log.warning("shared-channel assignment by %s refused: %s", actor.key.encode(), refused.code)
                key = "refused.not_pm" if refused.code == "not_allowed" else f"refused.{refused.code}"
                return card([text(t(key, language, detail=refused.detail))])
            assigned += 1
        return card([text(t("shared.assigned", language, n=assigned))])

    # -- shared-channel events ------------------------------------------------------------------
    async def channel_event(self, turn_context: TurnContext, event: str, language: Language) -> None:
        activity = turn_context.activity
        channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
        for account in [*(activity.members_added or []), *(activity.members_removed or [])]:
            self.lookup.forget(_host_tenant(turn_context), str(getattr(account, "id", "") or ""))
        project_id = await self.service.project_for_conversation(activity.conversation.id)
        log.info("%s in conversation of project %s", event, project_id or "(none)")
        if project_id is None or event not in ("channelShared", "channelUnshared"):
            return
        project = await self.service.load(project_id)
        if project is None:
            return
        listed = channel_data.get("unsharedFromTeams" if event == "channelUnshared" else "sharedWithTeams")
        if not isinstance(listed, list):
            fallback = channel_data.get("sharedWithTeams")
            listed = fallback if isinstance(fallback, list) else []
        teams_info = [team for team in listed if isinstance(team, dict)]
        names = ", ".join(str(team.get("name") or team.get("id") or "") for team in teams_info) or "?"
        if event == "channelUnshared":
            await turn_context.send_activity(t("shared.unshared", language, teams=plain(names)))
            return
        tenants = {str(team.get("tenantId")).lower() for team in teams_info if team.get("tenantId")}
        others = [m for m in await self.members(turn_context)
                  if m.key.tenant_id != project.tenant_id and (not tenants or m.key.tenant_id in tenants)]
        view = SharedView(language, project.id, project.customer_name, names, [(m.key.encode(), m.name) for m in others])
        await turn_context.send_activity(_reply(shared_channel_card(view)))


def _reply(content: Card) -> Activity:
    return MessageFactory.attachment(CardFactory.adaptive_card(content))
