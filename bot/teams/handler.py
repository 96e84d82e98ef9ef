"""The Teams activity handler: turns activities into service calls and cards into replies.

Everything here is translation between Teams and the service; decisions live in the domain.
Card actions arrive two ways: as `adaptiveCard/action` invokes (Universal Actions), answered
with the refreshed card, or as messages carrying `value` (the Action.Submit fallback),
answered by updating the card's message.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from botbuilder.core import (
    CardFactory,
    InvokeResponse,
    MessageFactory,
    PrivateConversationState,
    TurnContext,
    UserState,
)
from botbuilder.core.teams import TeamsActivityHandler, TeamsInfo
from botbuilder.dialogs import DialogSet, DialogTurnStatus
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount
from botbuilder.schema.teams import TeamsChannelAccount
from msrest.exceptions import DeserializationError

from bot.commands import BY_NAME, CROSSORG_COMMANDS, ONCE, PORTING_COMMANDS, Command, CommandName, fold, parse_command
from bot.document_service import DocumentService
from bot.domain.authorization import Action, Actor, decide, in_tenants
from bot.domain.catalogue import t
from bot.domain.glossary import lookup
from bot.domain.people import PersonRecord
from bot.domain.project import ConversationTarget, Person, Project
from bot.domain.roles import Role
from bot.domain.text import Language, parse_language
from bot.domain.transitions import Refused
from bot.porting_service import PortingReply, PortingService
from bot.service import ActivationService, NewProjectRequest
from bot.storage.contract import ConcurrencyConflict, StorageError
from bot.storage.staff import StaffDirectory
from bot.teams.crossorg import CROSSORG_VERBS, SHARED_EVENTS, CrossOrg, GuestOrigins
from bot.teams.documents_edge import DOCUMENT_VERBS, DocumentEdge, file_attachments
from bot.teams.members import ActorResolver, IdentityRefusal, MemberLookup, channel_members, is_shared_channel, member_from
from bot.teams.pm_tools import CARD_VERBS, PmTools, PrivateSend
from cards.base import card, plain, text
from cards.dates import format_date
from cards.digest import digest_card
from cards.export import export_card
from cards.glossary import glossary_card, term_card
from cards.help import help_card, welcome_card
from cards.porting import PASTE_VERB, PORTING_VERBS
from cards.setup import SETUP_VERB, RosterMember, created_text
from cards.status import my_tasks_card, portfolio_card, status_card
from cards.task import task_card
from cards.views import digest_view, status_view, task_view
from dialogs.project_setup import ProjectSetupDialog

log = logging.getLogger(__name__)
CARD_ACTION_INVOKE = "adaptiveCard/action"
PERSON_KEY = "activation.person"  # the turn's person record, read once per turn
ACTOR_KEY = "activation.actor"  # the turn's sender, resolved once per turn (bot/teams/members.py)
CARD_RESPONSE_TYPE = "application/vnd.microsoft.card.adaptive"
TASK_VERBS = {a.value: a for a in (Action.CONFIRM, Action.BLOCK, Action.UNBLOCK, Action.NOT_APPLICABLE, Action.REOPEN,
                                   Action.CONFIRM_ON_BEHALF)}
MAX_ID_LENGTH = 200
# Commands a redelivery would carry out twice: post a digest, move a date, open the set-up form.
ONCE_COMMANDS = ONCE  # from the command table (bot/commands.py)


def tenant_of(activity: Activity) -> str:
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = channel_data.get("tenant") if isinstance(channel_data.get("tenant"), dict) else {}
    tenant_id = (tenant or {}).get("id") or getattr(activity.conversation, "tenant_id", None) or ""
    return str(tenant_id).lower()


@dataclass(frozen=True, slots=True)
class Here:
    """Where a command was typed: a 1:1 chat (`personal`), or a conversation others read, and
    the project that conversation holds. Only a 1:1 chat may show more than its own project."""

    personal: bool
    project_id: str | None


def _handled_once(activity: Activity) -> bool:
    """Whether a redelivery of this activity (same id) must not be handled again: messages that
    change something (ONCE_COMMANDS, the set-up form's submit). Card actions are not guarded:
    the task revision they carry makes a repeat change nothing, and guarding them would cost
    every click a store write."""
    if activity.type != ActivityTypes.message or not activity.id:
        return False
    if file_attachments(activity):  # a large file can outlast Teams' patience: its redelivery must not file it twice
        return True
    if isinstance(activity.value, dict):
        return activity.value.get("verb") == SETUP_VERB
    # botbuilder's mention removal fails on a message without text that mentions the bot.
    typed = TurnContext.remove_recipient_mention(activity) if activity.recipient is not None and activity.text else activity.text
    return parse_command((typed or "").strip()).name in ONCE_COMMANDS


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return len(name) < 64


def _card_reply(card: dict[str, Any]) -> Activity:
    return MessageFactory.attachment(CardFactory.adaptive_card(card))


def _invoke_card(card: dict[str, Any]) -> InvokeResponse:
    # CloudAdapter 4.17.1 serialises the body with msrest: a plain dict body is written as is.
    return InvokeResponse(status=200, body={"statusCode": 200, "type": CARD_RESPONSE_TYPE, "value": card})


def _invoke_error(status: int, message: str) -> InvokeResponse:
    return InvokeResponse(status=200, body={
        "statusCode": status, "type": "application/vnd.microsoft.error", "value": {"code": "BadRequest", "message": message},
    })


class ActivationBot(TeamsActivityHandler):
    def __init__(
        self,
        service: ActivationService,
        dialog_state: PrivateConversationState,
        user_state: UserState,
        *,
        tenant_allowed: Callable[[str], bool],
        deliver_soon: Callable[[str], None],
        clock: Callable[[], datetime],
        export_link: Callable[[str, str], Awaitable[str]],
        documents: DocumentService | None = None,
        staff: StaffDirectory | None = None,
        graph: GuestOrigins | None = None,
        private_send: PrivateSend | None = None,
    ) -> None:
        super().__init__()
        self.service = service
        # Who is speaking across organisations (issue 15): home tenants from the member API, staff from the store.
        self.members = MemberLookup()
        self.staff = staff or StaffDirectory(service.store, settings_pms=frozenset(), settings_admins=frozenset())
        self.resolver = ActorResolver(self.staff, self.members)
        self.crossorg = CrossOrg(service, self.staff, self.members, clock, graph)
        self.porting = PortingService(service)  # issue 17
        # A dialog belongs to the person who started it: its state is kept per person in each
        # conversation (thread), so others there keep using the bot and cannot end it.
        self.dialog_state = dialog_state
        self.user_state = user_state
        self.tenant_allowed = tenant_allowed
        # After a change is saved with what it owes: delivery starts without delaying the reply.
        self.deliver_soon = deliver_soon
        self.export_link = export_link
        self.clock = clock
        self.documents = DocumentEdge(documents, deliver_soon=deliver_soon, task_card=self._document_task_card) if documents else None
        self.pm_tools = PmTools(self, private_send)  # plan changes, questions, private answers (issue 18)
        self.dialogs = DialogSet(dialog_state.create_property("DialogState"))
        self.dialogs.add(ProjectSetupDialog(
            products=lambda lang: [(pid, service.library[pid].name.get(lang)) for pid in service.library.ids()],
            roster=self._roster,
            create=self._create_project,
            today=lambda: clock().date(),
        ))

    # -- turn plumbing --------------------------------------------------------------------
    async def on_turn(self, turn_context: TurnContext) -> None:
        tenant = tenant_of(turn_context.activity)
        if not self.tenant_allowed(tenant):
            log.warning("activity from tenant %s refused: not in ALLOWED_TENANT_IDS", tenant or "(none)")
            if turn_context.activity.type == ActivityTypes.invoke:
                await turn_context.send_activity(Activity(type=ActivityTypes.invoke_response,
                                                          value=_invoke_error(403, "tenant not allowed")))
            return
        activity = turn_context.activity
        guarded = _handled_once(activity)
        try:
            if guarded and not await self.service.first_delivery(activity.conversation.id, str(activity.id), self.clock()):
                log.info("activity %s redelivered: answered already", activity.id)
                return
            try:
                if not await self._resolve_actor(turn_context):
                    return
                await super().on_turn(turn_context)
            except BaseException:
                if guarded:  # not done after all: Teams' redelivery may do it
                    with contextlib.suppress(StorageError):
                        await self.service.forget_delivery(activity.conversation.id, str(activity.id))
                raise
        except (StorageError, TimeoutError) as error:
            await self._apologise(turn_context, error)
            return
        await self._save_state(turn_context)

    async def _save_state(self, turn_context: TurnContext) -> None:
        """Save the turn's bot state. Two turns of one person at once (a double-click) both read the
        same state; the one saving second is refused as stale (BotStateConflict). Its replies are
        sent and its store changes made (each decided on its own), so it keeps the state the other
        turn saved instead of failing the turn."""
        for state in (self.dialog_state, self.user_state):
            try:
                await state.save_changes(turn_context)
            except ConcurrencyConflict:
                log.warning("bot state of activity %s not saved: another turn of the same person saved first",
                            turn_context.activity.id)

    async def _apologise(self, turn_context: TurnContext, error: Exception) -> None:
        reference = uuid.uuid4().hex[:8]
        log.error("turn failed (ref %s): %s", reference, type(error).__name__)
        language = self._language(turn_context)
        if turn_context.activity.type == ActivityTypes.invoke:
            response = _invoke_error(503, t("error.try_again", language, ref=reference))
            await turn_context.send_activity(Activity(type=ActivityTypes.invoke_response, value=response))
        else:
            await turn_context.send_activity(t("error.try_again", language, ref=reference))

    def _language(self, turn_context: TurnContext) -> Language:
        """The user's explicit choice ("language es") if they made one, else the activity's locale."""
        record: PersonRecord | None = turn_context.turn_state.get(PERSON_KEY)
        if record is not None and record.chosen_language:
            return record.chosen_language
        return parse_language(turn_context.activity.locale)

    async def _resolve_actor(self, turn_context: TurnContext) -> bool:
        """Resolve the sender of a message or invoke once per turn; False after refusing an
        activity whose identity does not hold together (answered, logged with a reference)."""
        activity = turn_context.activity
        if activity.type not in (ActivityTypes.message, ActivityTypes.invoke):
            return True
        resolved = await self.resolver.resolve(turn_context)
        if isinstance(resolved, IdentityRefusal):
            message = t("identity.refused", parse_language(activity.locale), ref=resolved.reference)
            if activity.type == ActivityTypes.invoke:
                await turn_context.send_activity(Activity(type=ActivityTypes.invoke_response,
                                                          value=_invoke_error(403, message)))
            else:
                await turn_context.send_activity(message)
            return False
        turn_context.turn_state[ACTOR_KEY] = resolved
        return True

    def _actor(self, turn_context: TurnContext) -> Actor:
        resolved: Actor | None = turn_context.turn_state.get(ACTOR_KEY)
        if resolved is not None:
            return resolved
        sender: ChannelAccount = turn_context.activity.from_property or ChannelAccount(id="", name="")
        person_id = str(getattr(sender, "aad_object_id", None) or sender.id or "").lower()
        return self.service.actor(person_id, str(sender.name or ""), tenant_of(turn_context.activity))

    def _target(self, turn_context: TurnContext) -> ConversationTarget:
        activity = turn_context.activity
        channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
        team = channel_data.get("team") if isinstance(channel_data.get("team"), dict) else None
        return ConversationTarget(
            conversation_id=activity.conversation.id.split(";messageid=")[0],
            service_url=activity.service_url,
            tenant_id=tenant_of(activity),
            channel_id=activity.channel_id or "msteams",
            team_id=(team or {}).get("id"),
        )

    async def _remember(self, turn_context: TurnContext) -> None:
        """Remember the user's language (and 1:1 conversation) for proactive messages."""
        actor = self._actor(turn_context)
        if not actor.id:
            return
        activity = turn_context.activity
        personal = (activity.conversation.conversation_type or "personal") == "personal"
        client = next((e for e in activity.entities or [] if getattr(e, "type", None) == "clientInfo"), None)
        timezone = (getattr(client, "additional_properties", None) or {}).get("timezone") if client else None
        # A linked guest acts as its staff identity, whose own 1:1 chat and Teams id stay as they are.
        own = actor.via_guest is None
        turn_context.turn_state[PERSON_KEY] = await self.service.remember_user(
            actor.id,
            tenant_id=actor.tenant_id,
            language=parse_language(activity.locale) if activity.locale else None,
            timezone=timezone if isinstance(timezone, str) and _known_zone(timezone) else None,
            conversation=self._target(turn_context) if personal and own else None,
            teams_id=activity.from_property.id if activity.from_property and own else None,
        )

    # -- messages -------------------------------------------------------------------------
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await self._remember(turn_context)
        activity = turn_context.activity
        if self.documents is not None and (files := file_attachments(activity)):
            await self.documents.on_files(turn_context, self._actor(turn_context), self._language(turn_context), files,
                                          personal=(activity.conversation.conversation_type or "personal") == "personal")
            return
        if isinstance(activity.value, dict) and activity.value.get("verb") in (*TASK_VERBS, "refresh", *CARD_VERBS, *PORTING_VERBS,
                                                                               *CROSSORG_VERBS, *DOCUMENT_VERBS):
            await self._submit_fallback(turn_context, activity.value)
            return
        text = ((TurnContext.remove_recipient_mention(activity) if activity.text else "") or "").strip()
        command = parse_command(text)
        # Dialogs are kept per sender: a message naming nobody has none (and cannot start one).
        sender = activity.from_property.id if activity.from_property else None
        dialog_context = await self.dialogs.create_context(turn_context) if sender else None
        if command.name == "cancel":
            if dialog_context is None or dialog_context.active_dialog is None:
                await turn_context.send_activity(t("setup.nothing_to_cancel", self._language(turn_context)))
                return
            await dialog_context.cancel_all_dialogs()
            await turn_context.send_activity(t("cancelled", self._language(turn_context)))
            return
        if dialog_context is not None and dialog_context.active_dialog is not None:
            result = await dialog_context.continue_dialog()
            if result.status != DialogTurnStatus.Empty:
                return
        if isinstance(activity.value, dict) and activity.value.get("verb") == SETUP_VERB:
            await self._closed_form(turn_context)
            return
        await self._command(turn_context, command, dialog_context)

    async def _command(self, turn_context: TurnContext, command: Command, dialog_context: Any) -> None:
        language = self._language(turn_context)
        actor = self._actor(turn_context)
        conversation_type = turn_context.activity.conversation.conversation_type or "personal"
        if conversation_type != "personal" and actor.id:  # refusals, errors and my tasks go to the person's 1:1 (issue 18)
            self.pm_tools.route_privately(turn_context, cards_too=command.name == "my_tasks")
        if command.name == "help":
            here = await self._here(turn_context)
            project = await self.service.load(here.project_id) if here.project_id else None
            is_pm = actor.is_staff_pm or (project is not None and project.is_pm(actor.id))
            await turn_context.send_activity(_card_reply(help_card(language, is_pm, personal=here.personal,
                                                                   in_channel=conversation_type == "channel")))
        elif command.name == "language" and command.problem:  # "language" alone, or "language fr"
            await turn_context.send_activity(t("help.cmd.language", language))
        elif command.name == "language":
            chosen = parse_language(command.argument)
            await self.service.remember_user(actor.id, tenant_id=actor.tenant_id, language=chosen, chosen=True)
            await turn_context.send_activity(t("language.set", chosen))
        elif command.name == "new_project":
            refusal = await self._setup_refusal(turn_context, actor, language)
            if refusal or dialog_context is None:
                await turn_context.send_activity(refusal or t("refused.not_pm", language))
                return
            await dialog_context.begin_dialog(ProjectSetupDialog.__name__)
        elif command.name in ("status", "status_all"):
            await self._status(turn_context, actor, language, everything=command.name == "status_all",
                               customer=command.argument)
        elif command.name == "my_tasks":
            await self._my_tasks(turn_context, actor, language)
        elif command.name in ("foc", "port_date"):
            await self._dates(turn_context, actor, language, command)
        elif command.name in ("digest", "digest_post", "export"):
            await self._pm_project_command(turn_context, actor, language, command.name)
        # -- issue 15 (cross-organisation): staff and link commands, to port into the command table
        elif command.name in CROSSORG_COMMANDS:
            await self.crossorg.command(turn_context, actor, language, command)
        # -- end of issue 15's block
        elif command.name in (CommandName.UNDO, CommandName.HOLIDAYS, CommandName.REASSIGN, CommandName.MOVE_DUE,
                              CommandName.NOT_APPLICABLE, CommandName.ADD_TASK, CommandName.REMOVE_TASK):
            await self.pm_tools.command(turn_context, actor, language, command)
        elif command.name in PORTING_COMMANDS:  # issue 17
            await self._porting_command(turn_context, actor, language, command)
        elif command.suggestion is not None:
            words = BY_NAME[command.suggestion].words(language)[0]
            await turn_context.send_activity(t("unknown.suggest", language, typed=plain(command.argument[:40]), command=words))
        else:
            await turn_context.send_activity(t("unknown_command", language))

    async def _here(self, turn_context: TurnContext) -> Here:
        activity = turn_context.activity
        return Here(personal=(activity.conversation.conversation_type or "personal") == "personal",
                    project_id=await self.service.project_for_conversation(activity.conversation.id))

    async def _status(self, turn_context: TurnContext, actor: Actor, language: Language, everything: bool,
                      customer: str = "") -> None:
        """A conversation others read shows its own project and nothing else: another customer's
        status or the PM's portfolio there would be read by everyone in it."""
        now = self.clock()
        here = await self._here(turn_context)
        if not here.personal and (everything or here.project_id is None):
            await turn_context.send_activity(t("refused.portfolio_private" if everything else "refused.no_project", language))
            return
        try:
            if here.project_id and not everything:
                project = await self.service.visible_project(actor, here.project_id)
                await turn_context.send_activity(_card_reply(status_card(status_view(project, self.service.library,
                                                                                     language=language, now=now))))
                return
            projects = await self.service.projects_for_status(actor)
        except Refused as refused:
            await turn_context.send_activity(t(f"refused.{refused.code}", language, detail=refused.detail))
            return
        if customer:  # "status contoso": forgiving of accents, case and part of the name
            wanted = fold(customer)
            projects = [p for p in projects if wanted in fold(p.customer_name)]
            if not projects:
                await turn_context.send_activity(t("status.no_match", language, name=plain(customer[:80])))
                return
        if len(projects) == 1 and not everything:
            view = status_view(projects[0], self.service.library, language=language, now=now)
            await turn_context.send_activity(_card_reply(status_card(view)))
        elif projects:
            views = [status_view(p, self.service.library, language=language, now=now) for p in projects]
            await turn_context.send_activity(_card_reply(portfolio_card(views, language)))
        else:
            await turn_context.send_activity(t("refused.no_projects", language))

    async def _my_tasks(self, turn_context: TurnContext, actor: Actor, language: Language) -> None:
        """Every open task of the person in a 1:1 chat; elsewhere only the conversation's project's."""
        here = await self._here(turn_context)
        if here.personal:
            projects = await self.service.projects_for_status(actor)
        elif here.project_id is None:
            await turn_context.send_activity(t("refused.no_project", language))
            return
        else:
            try:
                projects = [await self.service.visible_project(actor, here.project_id)]
            except Refused as refused:
                await turn_context.send_activity(t(f"refused.{refused.code}", language, detail=refused.detail))
                return
        lines: list[tuple[str, str]] = []
        for project in projects:
            roles = project.roles_of_in(actor.tenant_id, actor.id)
            for key, record in project.tasks.items():
                spec = self.service.task_spec(key, project)
                if record.state.is_open and (roles & set(spec.owners) if not project.pm_plan.plan(key).owner_ids
                                             else actor.id in project.pm_plan.plan(key).owner_ids):  # reassigned (issue 18)
                    lines.append((spec.label.get(language), f"{plain(project.customer_name)} · {t('state.' + record.state.value, language)}"))
        await turn_context.send_activity(_card_reply(my_tasks_card(lines[:30], language)))

    async def _pm_project(self, turn_context: TurnContext, actor: Actor, language: Language) -> str | None:
        """The project a PM command acts on: the conversation's, or in a 1:1 chat the PM's only
        one. None after telling the person why there is none."""
        nothing = "refused.no_projects" if decide(actor, Action.CREATE_PROJECT) else "refused.not_pm"
        return await self._only_project(turn_context, actor, language, lambda p: p.is_pm(actor.id), nothing)

    async def _only_project(self, turn_context: TurnContext, actor: Actor, language: Language,
                            keep: Callable[[Project], bool], nothing: str) -> str | None:
        """The conversation's project, or in a 1:1 chat the person's only project that `keep`
        accepts; None after saying why (no project here, several, or `nothing` when none)."""
        here = await self._here(turn_context)
        if here.project_id is not None:
            return here.project_id
        if not here.personal:
            await turn_context.send_activity(t("refused.no_project", language))
            return None
        mine = [p for p in await self.service.projects_for_status(actor) if keep(p)]
        if len(mine) == 1:
            return mine[0].id
        await turn_context.send_activity(t("refused.which_project" if mine else nothing, language))
        return None

    async def _dates(self, turn_context: TurnContext, actor: Actor, language: Language, command: Command) -> None:
        """foc / port date: a date that is not one, or not plausible, is answered and changes nothing;
        one in the past is recorded only when the PM confirms it."""
        word = t("date.cmd." + command.name, language)
        if command.on_date is None and command.problem == "missing":  # no date typed: the PM picks one
            await self.pm_tools.date_picker(turn_context, actor, language)
            return
        if command.on_date is None:
            example = f"{word} {(self.clock().date() + timedelta(days=30)).isoformat()}"
            await turn_context.send_activity(t("date." + (command.problem or "missing"), language, value=command.argument,
                                               example=example))
            return
        project_id = await self._pm_project(turn_context, actor, language)
        if project_id is None:
            return
        day = command.on_date
        try:
            if command.name == "foc":
                await self.service.set_foc(actor, project_id, day, confirmed=command.confirmed)
                message = t("foc.set", language, date=day.isoformat())
            else:
                await self.service.move_port_date(actor, project_id, day, confirmed=command.confirmed)
                message = t("port.moved", language, date=day.isoformat())
        except Refused as refused:
            if refused.code in ("date_past", "date_implausible", "foc_wins"):
                shown = date.fromisoformat(refused.detail)
                message = t(f"refused.{refused.code}", language, date=format_date(shown, language), iso=shown.isoformat(),
                            confirm=f"{word} {day.isoformat()} {t('date.confirm_word', language)}")
            else:
                key = "refused.not_pm" if refused.code == "not_allowed" else f"refused.{refused.code}"
                message = t(key, language, detail=refused.detail)
            await turn_context.send_activity(message)
            return
        self.deliver_soon(project_id)
        await self.pm_tools.say_publicly(turn_context, message)

    async def _pm_project_command(self, turn_context: TurnContext, actor: Actor, language: Language, name: str) -> None:
        """digest (preview), digest post, export: on the conversation's project, or the PM's only one."""
        project_id = await self._pm_project(turn_context, actor, language)
        if project_id is None:
            return
        try:
            if name == "digest":
                project = await self.service.digest_project(actor, project_id)
                view = digest_view(project, self.service.library, language=language, now=self.clock())
                await turn_context.send_activity(_card_reply(digest_card(view)))
            elif name == "digest_post":
                await self.service.post_digest(actor, project_id, turn_context.activity.id or uuid.uuid4().hex)
                self.deliver_soon(project_id)
                await self.pm_tools.say_publicly(turn_context, t("digest.posted", language))
            else:
                project, _ = await self.service.export_history(actor, project_id)
                link = await self.export_link(project.id, actor.id)
                await turn_context.send_activity(_card_reply(export_card(project.customer_name, link, language)))
        except Refused as refused:
            key = "refused.not_pm" if refused.code == "not_allowed" else f"refused.{refused.code}"
            await turn_context.send_activity(t(key, language, detail=refused.detail))

    # -- project set-up (called by the dialog) ----------------------------------------------
    async def _setup_refusal(self, turn_context: TurnContext, actor: Actor, language: Language) -> str | None:
        """Why a project cannot be set up here, or None: only PMs, only in a team channel (a
        project's channel is where its cards and digests go), one project per channel."""
        activity = turn_context.activity
        if not decide(actor, Action.CREATE_PROJECT):
            return t("refused.not_pm", language)
        if activity.conversation.conversation_type != "channel":
            return t("setup.channel_only", language)
        holder = await self.service.channel_holder(activity.conversation.id)
        if holder is not None:
            return t("refused.channel_taken", language, customer=plain(holder))
        return None

    async def _closed_form(self, turn_context: TurnContext) -> None:
        """A set-up form submitted with no dialog of the sender's open: a redelivered or repeated
        submit, or someone else's form. Say why nothing is created."""
        language = self._language(turn_context)
        refusal = await self._setup_refusal(turn_context, self._actor(turn_context), language)
        await turn_context.send_activity(refusal or t("setup.form_closed", language))

    async def _roster(self, turn_context: TurnContext) -> list[RosterMember]:
        """The team's members in a channel, else the chat's. The team id is read here:
        TeamsInfo.get_paged_members finds it by building TeamsChannelData from every key of
        channelData, and msrest warns about the two it has no field for (teamsTeamId,
        teamsChannelId, which Teams sends in every channel)."""
        members: list[RosterMember] = []
        token: str | None = None
        if is_shared_channel(turn_context.activity):  # its people are its own members, not the host team's (issue 15)
            try:
                shared = [member_from(raw, tenant_of(turn_context.activity)) for raw in await channel_members(turn_context)]
            except Exception as error:  # noqa: BLE001 - a chat without a roster still gets a form
                log.info("roster unavailable: %s", type(error).__name__)
                shared = []
            for member in shared:
                self.members.remember(tenant_of(turn_context.activity), member)
            return [RosterMember(m.key.object_id, m.name, m.teams_id) for m in shared if m.key.object_id]
        team_id = self._target(turn_context).team_id
        try:
            while True:
                page = await (TeamsInfo.get_paged_team_members(turn_context, team_id, token, 200) if team_id
                              else TeamsInfo.get_paged_members(turn_context, token, 200))
                for member in page.members or []:
                    account: TeamsChannelAccount = member
                    self._learn_member(turn_context, account)
                    members.append(RosterMember(str(account.aad_object_id or account.id).lower(), account.name or "",
                                                account.id))
                token = page.continuation_token
                if not token:
                    break
        except Exception as error:  # noqa: BLE001 - a chat without a roster still gets a form
            log.info("roster unavailable: %s", type(error).__name__)
        return members

    def _learn_member(self, turn_context: TurnContext, account: TeamsChannelAccount) -> None:
        """Cache a roster member with their own tenant: the project records each person's home tenant."""
        tenant = tenant_of(turn_context.activity)
        raw = dict(account.serialize(), **(account.additional_properties or {}))
        self.members.remember(tenant, member_from(raw, tenant))

    def _with_home_tenant(self, host: str, person: Person) -> Person:
        """The person with their home tenant, when the member API named one other than the host's."""
        member = self.members.cached(host, person.teams_id) if person.teams_id else None
        if member is None or member.key.object_id != person.id or member.key.tenant_id == host:
            return person
        return replace(person, tenant_id=member.key.tenant_id)

    async def _create_project(self, turn_context: TurnContext, request: NewProjectRequest) -> str:
        actor = self._actor(turn_context)
        channel = self._target(turn_context)
        # The PM who creates the project is its PM, known by Teams id too (cards refresh by Teams id).
        people = {role: [self._with_home_tenant(channel.tenant_id, p) for p in persons]
                  for role, persons in (request.people or {}).items()}
        teams_id = turn_context.activity.from_property.id if turn_context.activity.from_property else None
        pms = [p for p in people.get(Role.PROVIDER_PM, []) if p.id != actor.id]
        home = actor.tenant_id if actor.tenant_id != channel.tenant_id else ""
        people[Role.PROVIDER_PM] = [Person(actor.id, actor.name, teams_id, home), *pms]
        full = replace(request, channel=channel, people=people)
        try:
            project = await self.service.create_project(actor, full, channel.tenant_id)
        except Refused as refused:
            if refused.code == "channel_taken":  # another submit, or another PM, created it first
                return t("refused.channel_taken", self._language(turn_context), customer=plain(refused.detail))
            return t(f"refused.{refused.code}" if refused.code != "not_allowed" else "refused.not_pm",
                     self._language(turn_context), detail=refused.detail)
        self.deliver_soon(project.id)
        return created_text(self._language(turn_context), plain(project.customer_name), len(project.tasks))

    # -- installation ---------------------------------------------------------------------
    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        """Shared-channel events (issue 15) here; every other conversation update as botbuilder routes it."""
        channel_data = turn_context.activity.channel_data if isinstance(turn_context.activity.channel_data, dict) else {}
        event = channel_data.get("eventType")
        if event in SHARED_EVENTS:
            await self.crossorg.channel_event(turn_context, str(event), self._language(turn_context))
            return
        await super().on_conversation_update_activity(turn_context)

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await self._welcome(turn_context)

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        await self.service.forget_greeting(turn_context.activity.conversation.id)

    async def on_teams_members_added(self, teams_members_added: list[TeamsChannelAccount], team_info: Any,
                                     turn_context: TurnContext) -> None:
        """Teams announces the bot's own arrival as a member too: whichever event comes first greets."""
        if any(m.id == self._bot_id(turn_context) for m in teams_members_added):
            await self._welcome(turn_context)

    async def on_teams_members_removed(self, teams_members_removed: list[TeamsChannelAccount], team_info: Any,
                                       turn_context: TurnContext) -> None:
        if any(m.id == self._bot_id(turn_context) for m in teams_members_removed):
            await self.service.forget_greeting(turn_context.activity.conversation.id)

    @staticmethod
    def _bot_id(turn_context: TurnContext) -> str | None:
        recipient = turn_context.activity.recipient
        return recipient.id if recipient is not None else None

    async def _welcome(self, turn_context: TurnContext) -> None:
        """The welcome card, once per conversation and installation (Teams sends both
        installationUpdate and conversationUpdate when the bot is added)."""
        conversation_id = turn_context.activity.conversation.id
        if not await self.service.greet_once(conversation_id, self.clock()):
            return
        try:
            await turn_context.send_activity(_card_reply(welcome_card(self._language(turn_context))))
        except BaseException:
            await self.service.forget_greeting(conversation_id)  # not greeted after all: the next event may
            raise

    # -- card actions ---------------------------------------------------------------------
    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        if turn_context.activity.name != CARD_ACTION_INVOKE:
            try:
                return await super().on_invoke_activity(turn_context)
            except DeserializationError:  # botbuilder reads the value of an invoke it knows into its model
                return _invoke_error(400, "the invoke's value is not of its kind")
        value = turn_context.activity.value
        action = value.get("action") if isinstance(value, dict) else None
        if not isinstance(action, dict) or not isinstance(action.get("verb"), str):
            return _invoke_error(400, "adaptiveCard/action needs value.action.verb")
        raw_data = action.get("data")
        data: dict[str, Any] = raw_data if isinstance(raw_data, dict) else {}
        await self._remember(turn_context)
        card = await self._card_action(turn_context, action["verb"], data)
        if card is None:
            return _invoke_error(400, "unknown card action")
        return _invoke_card(card)

    async def _submit_fallback(self, turn_context: TurnContext, value: dict[str, Any]) -> None:
        card = await self._card_action(turn_context, str(value.get("verb")), value)
        if card is None:
            return
        reply_to = turn_context.activity.reply_to_id
        if reply_to:
            updated = _card_reply(card)
            updated.id = reply_to
            await turn_context.update_activity(updated)
        else:
            await turn_context.send_activity(_card_reply(card))

    async def _card_action(self, turn_context: TurnContext, verb: str, data: dict[str, Any]) -> dict[str, Any] | None:
        """Run a card action and return the card the clicking user should now see."""
        if verb in CROSSORG_VERBS:  # issue 15: staff card, shared-channel assignment
            return await self.crossorg.card_action(turn_context, self._actor(turn_context), self._language(turn_context),
                                                   verb, data)
        if verb in PORTING_VERBS:  # issue 17
            return await self._porting_card_action(turn_context, verb, data)
        if verb == "snooze":
            actor = self._actor(turn_context)
            if not actor.id:
                return None
            await self.service.snooze(actor.id, self.clock())
            return card([text(t("reminder.snoozed", self._language(turn_context)))])
        if verb in DOCUMENT_VERBS and self.documents is not None:
            actor = self._actor(turn_context)
            return await self.documents.card_action(turn_context, actor, self._language(turn_context), verb, data) if actor.id else None
        if verb in CARD_VERBS:  # the PM menu and questions (bot/teams/pm_tools.py)
            return await self.pm_tools.card_action(turn_context, verb, data)
        project_id, key, rev = data.get("p"), data.get("k"), data.get("r")
        if not (isinstance(project_id, str) and isinstance(key, str)) or len(project_id) > MAX_ID_LENGTH or len(key) > MAX_ID_LENGTH:
            return None
        if rev is not None and (not isinstance(rev, int) or isinstance(rev, bool)):
            return None
        language = self._language(turn_context)
        actor = self._actor(turn_context)
        now = self.clock()
        if verb == "refresh":
            project = await self.service.load(project_id)
            if project is None or key not in project.tasks or not in_tenants(actor, project):
                return None
            return task_card(task_view(project, self.service.library, key, viewer=actor, language=language, now=now,
                                       checks=await self.service.check_lines(project.id, key, language)))
        action = TASK_VERBS.get(verb)
        if action is None:
            return None
        reason = data.get("reason") if isinstance(data.get("reason"), str) else None
        try:
            outcome = await self.service.act_on_task(actor, project_id, key, action, rev=rev, reason=reason)
        except Refused as refused:
            log.info("card action refused: %s", refused.code)
            return None
        if outcome.change is not None:
            self.deliver_soon(project_id)
        if outcome.key not in outcome.project.tasks or outcome.refusal == "tenant":
            return None
        notice = t(f"refused.{outcome.refusal}", language, detail="") if outcome.refusal else None
        checks = await self.service.check_lines(project_id, key, language)
        return task_card(task_view(outcome.project, self.service.library, key, viewer=actor, language=language,
                                   now=outcome.at or now, schedule=outcome.schedule, notice=notice, checks=checks))

    async def _document_task_card(self, turn_context: TurnContext, project_id: str, key: str,
                                  notice: str | None) -> dict[str, Any] | None:
        """A task card for the clicking user after a document action, with a notice on top."""
        project = await self.service.load(project_id)
        if project is None or key not in project.tasks:
            return None
        language = self._language(turn_context)
        return task_card(task_view(project, self.service.library, key, viewer=self._actor(turn_context), language=language,
                                   now=self.clock(), notice=notice, checks=await self.service.check_lines(project_id, key, language)))
    # -- issue 17: number porting and the glossary (kept together for the command table) ---------
    async def _porting_command(self, turn_context: TurnContext, actor: Actor, language: Language, command: Command) -> None:
        if command.name == "glossary":
            await turn_context.send_activity(_card_reply(glossary_card(language)))
            return
        if command.name == "what_is":
            term = lookup(command.argument)
            if term is None:
                await turn_context.send_activity(t("glossary.unknown", language, word=plain(command.argument)))
            else:
                await turn_context.send_activity(_card_reply(term_card(term, language)))
            return
        project_id = await self._porting_project(turn_context, actor, language)
        if project_id is None:
            return
        try:
            if command.name == "port_numbers":
                reply = await self.porting.numbers_card(actor, project_id, language)
            else:
                reply = await self.porting.orders(actor, project_id, language)
        except Refused as refused:
            await turn_context.send_activity(t(f"refused.{refused.code}", language, detail=refused.detail))
            return
        await self._send_porting_reply(turn_context, reply)

    async def _porting_project(self, turn_context: TurnContext, actor: Actor, language: Language) -> str | None:
        """The conversation's project, or in a 1:1 chat the person's only project with porting."""
        return await self._only_project(turn_context, actor, language, lambda p: p.options.porting, "refused.no_projects")

    async def _send_porting_reply(self, turn_context: TurnContext, reply: PortingReply) -> None:
        if reply.text:
            await turn_context.send_activity(reply.text)
        for content in reply.cards:
            await turn_context.send_activity(_card_reply(content))

    async def _porting_card_action(self, turn_context: TurnContext, verb: str, data: dict[str, Any]) -> dict[str, Any] | None:
        """A paste or an order step: the card the person should now see (others follow as messages)."""
        project_id = data.get("p")
        if not isinstance(project_id, str) or len(project_id) > MAX_ID_LENGTH:
            return None
        actor, language = self._actor(turn_context), self._language(turn_context)
        try:
            if verb == PASTE_VERB:
                reply: PortingReply | None = await self.porting.paste(actor, project_id, data, language)
            else:
                reply = await self.porting.step(actor, project_id, data, language)
        except Refused as refused:  # not this person's project (tenant, membership) or no such project
            log.info("porting action refused: %s", refused.code)
            return card([text(t(f"refused.{refused.code}", language, detail=refused.detail))])
        if reply is None:
            return None
        if reply.deliver:
            self.deliver_soon(project_id)
        cards = list(reply.cards) or [card([text(reply.text or "")])]
        first = cards[0]
        if reply.text and reply.cards:
            first = {**first, "body": [text(reply.text, color="Good"), *first.get("body", [])]}
        for extra in cards[1:]:
            await turn_context.send_activity(_card_reply(extra))
        return first
