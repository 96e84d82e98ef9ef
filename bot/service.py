"""Application service: the use cases the Teams edge calls (create a project, act on a task,
status, my tasks, dates). SDK-free: it talks to the store and the domain, never to botbuilder.

Every change goes through `update_project` (read, decide, conditional write, retry on a
conflict) and records its outbox items in the same write.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.authorization import Action, Actor, decide, in_tenants
from bot.domain.digest import next_digest_at, post_digest_now
from bot.domain.documents import missing_documents
from bot.domain.notifications import plan_notifications
from bot.domain.people import PersonRecord
from bot.domain.playbook import PlaybookLibrary
from bot.domain.project import ConversationTarget, Person, Project, ProjectOptions
from bot.domain.roles import Role
from bot.domain.schedule import Schedule, compute_schedule
from bot.domain.text import Language
from bot.domain.transitions import (
    Change,
    Refused,
    apply_task_action,
    assign_role,
    move_port_date,
    new_project,
    set_foc_date,
    spec_of,
)
from bot.licence_checks import licence_lines
from bot.storage.contract import (
    AlreadyExists,
    ConcurrencyConflict,
    ProjectNotFound,
    ProjectQuery,
    StorageError,
    Store,
    StoreUnavailable,
    update_project,
    user_key,
)
from bot.storage.people import PersonRecords

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
CLAIM_STALE_AFTER = timedelta(minutes=5)  # far longer than a creation takes; see _claim_channel


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class NewProjectRequest:
    customer_name: str
    products: tuple[str, ...]
    options: ProjectOptions
    kickoff: date
    timezone: str
    language: Language
    requested_port_date: date | None = None
    target_go_live: date | None = None
    people: dict[Role, list[Person]] | None = None
    channel: ConversationTarget | None = None


@dataclass(frozen=True, slots=True)
class TaskDecision:
    """What one attempt at a card action decided: a change, or the refusal code."""

    change: Change | None
    refusal: str | None = None
    schedule: Schedule | None = None  # the changed project's schedule at `at`
    at: datetime | None = None  # when the change was decided


@dataclass(frozen=True, slots=True)
class ActionOutcome:
    project: Project  # as saved, or as it is now when nothing changed
    key: str
    change: Change | None  # None when refused or stale
    refusal: str | None = None
    schedule: Schedule | None = None  # the changed project's schedule at `at` (None when nothing changed)
    at: datetime | None = None  # when the change was decided


class ActivationService:
    def __init__(self, store: Store, library: PlaybookLibrary, *, is_staff_pm: Callable[[str | None, str | None], bool],
                 clock: Clock = utc_now) -> None:
        self.store = store
        self.people = PersonRecords(store)
        self.library = library
        self.is_staff_pm = is_staff_pm
        self.clock = clock

    def actor(self, aad_object_id: str, name: str, tenant_id: str) -> Actor:
        return Actor(id=aad_object_id, name=name, tenant_id=tenant_id, is_staff_pm=self.is_staff_pm(aad_object_id, tenant_id))

    # -- projects -----------------------------------------------------------------------
    async def create_project(self, actor: Actor, request: NewProjectRequest, tenant_id: str) -> Project:
        now = self.clock()
        project, change = new_project(
            self.library,
            actor=actor,
            customer_name=request.customer_name,
            tenant_id=tenant_id,
            products=request.products,
            options=request.options,
            kickoff=request.kickoff,
            timezone=request.timezone,
            language=request.language,
            now=now,
            requested_port_date=request.requested_port_date,
            target_go_live=request.target_go_live,
            people=request.people,
            channel=request.channel,
        )
        plan_notifications(project, self.library, change, now)
        project.next_digest_at = next_digest_at(project, now)
        claim = await self._claim_channel(request.channel.conversation_id, project, now) if request.channel else None
        try:
            await self.store.create_project(project, change.events)
        except Exception:
            if claim is not None:
                await self._release_claim(claim, project.id)
            raise
        for person in {p.id: p for people in project.people.values() for p in people}.values():
            await self._remember_membership(person.id, project.id)
        return project

    async def _claim_channel(self, conversation_id: str, project: Project, now: datetime) -> str:
        """Make `project` the channel's one project before it exists, so two creations at once (a
        double-click, two instances) cannot both succeed: the create-only write of the channel
        document is the lock. Refused("channel_taken", customer) when the channel holds a project,
        or another is being created there. A claim whose project never appeared (the creation
        failed and could not release it) is taken over after CLAIM_STALE_AFTER."""
        key = user_key("channel", conversation_id)
        body = {"projectId": project.id, "customerName": project.customer_name, "claimedAt": now.isoformat()}
        for _ in range(4):
            try:
                await self.store.write_document(key, body, "")
                return key
            except AlreadyExists:
                current = await self.store.read_document(key)
            if current is None:
                continue  # released meanwhile: claim again
            holder = await self._holder(current.value, now)
            if holder is not None:
                raise Refused("channel_taken", holder)
            log.warning("channel claim for project %s never completed: taken over", current.value["projectId"])
            try:
                await self.store.write_document(key, body, current.etag)
                return key
            except ConcurrencyConflict:
                continue  # someone else took it over first: look again
        raise StoreUnavailable(f"the channel document {key} kept changing")

    async def _release_claim(self, key: str, project_id: str) -> None:
        """After a failed creation, free the channel unless the project was written after all."""
        try:
            if await self.store.load_project(project_id) is None:
                await self.store.delete_document(key)
        except StorageError:
            log.warning("channel claim for project %s left for takeover", project_id)

    async def channel_holder(self, conversation_id: str) -> str | None:
        """The customer whose project the channel holds (or is being created there), else None."""
        current = await self.store.read_document(user_key("channel", conversation_id.split(";messageid=")[0]))
        return await self._holder(current.value, self.clock()) if current is not None else None

    async def _holder(self, claim: dict[str, Any], now: datetime) -> str | None:
        """The customer of a channel document's project; None for a claim that went stale unfulfilled.
        Documents written before claims existed hold only a projectId (of a project that exists)."""
        project = await self.load(str(claim["projectId"]))
        if project is not None:
            return project.customer_name
        claimed = claim.get("claimedAt")
        if isinstance(claimed, str) and now - datetime.fromisoformat(claimed) >= CLAIM_STALE_AFTER:
            return None
        return str(claim.get("customerName", ""))

    async def _remember_membership(self, person_id: str, project_id: str) -> None:
        key = user_key("member", person_id)
        for _ in range(8):
            current = await self.store.read_document(key)
            ids = list(current.value.get("projectIds", [])) if current else []
            if project_id in ids:
                return
            ids.append(project_id)
            try:
                await self.store.write_document(key, {"projectIds": ids}, current.etag if current else "")
                return
            except (ConcurrencyConflict, AlreadyExists):
                continue  # someone else added a project meanwhile: read again

    async def project_ids_of(self, person_id: str) -> list[str]:
        current = await self.store.read_document(user_key("member", person_id))
        return list(current.value.get("projectIds", [])) if current else []

    async def project_for_conversation(self, conversation_id: str) -> str | None:
        base = conversation_id.split(";messageid=")[0]
        current = await self.store.read_document(user_key("channel", base))
        return str(current.value["projectId"]) if current else None

    async def load(self, project_id: str) -> Project | None:
        current = await self.store.load_project(project_id)
        return current.value if current else None

    async def visible_project(self, actor: Actor, project_id: str) -> Project:
        """The project, if this actor may see its status; Refused otherwise (tenant included)."""
        project = await self.load(project_id)
        if project is None:
            raise Refused("unknown_project")
        if not in_tenants(actor, project):
            log.warning("cross-tenant read refused: actor tenant %s, project %s", actor.tenant_id, project.id)
            raise Refused("tenant")
        if not decide(actor, Action.STATUS, project):
            raise Refused("not_on_project")
        return project

    async def projects_for_status(self, actor: Actor) -> list[Project]:
        """All projects this actor may see: theirs as PM or member."""
        ids = await self.project_ids_of(actor.id)
        if actor.is_staff_pm:
            continuation: str | None = None
            while True:
                page = await self.store.list_projects(ProjectQuery(pm_id=actor.id), page_size=100, continuation=continuation)
                ids.extend(s.id for s in page.items if s.id not in ids)
                continuation = page.continuation
                if not continuation:
                    break
        projects = []
        for project_id in ids:
            try:
                projects.append(await self.visible_project(actor, project_id))
            except Refused:
                continue
        return projects

    # -- task actions -----------------------------------------------------------------
    async def act_on_task(self, actor: Actor, project_id: str, key: str, action: Action, *, rev: int | None,
                          reason: str | None = None) -> ActionOutcome:
        """Apply a card action. Refusals and stale cards change nothing and come back as
        `refusal`, with the project as it is now so the caller can redraw the card."""
        def decide_change(project: Project) -> TaskDecision:
            if not in_tenants(actor, project):
                log.warning("cross-tenant action refused: actor tenant %s, project %s", actor.tenant_id, project.id)
                return TaskDecision(None, "tenant")
            now = self.clock()
            if action in (Action.CONFIRM, Action.CONFIRM_ON_BEHALF) and key in project.tasks and decide(
                    actor, action, project, spec_of(self.library, key, project)) and missing_documents(
                    project.documents, key, spec_of(self.library, key, project).documents):
                return TaskDecision(None, "documents_missing")  # its required documents are not all accepted yet
            try:
                change = apply_task_action(project, self.library, actor=actor, action=action, key=key, now=now,
                                           reason=reason, expected_rev=rev)
            except Refused as refused:
                return TaskDecision(None, refused.code)
            # One schedule serves the reminder planning here and the card the caller draws next.
            schedule = compute_schedule(project, self.library, now)
            plan_notifications(project, self.library, change, now, schedule)
            return TaskDecision(change, schedule=schedule, at=now)

        try:
            decision, saved = await update_project(self.store, project_id, decide_change,
                                                   lambda d: d.change.events if d.change else [],
                                                   write_if=lambda d: d.change is not None)
        except ProjectNotFound:
            raise Refused("unknown_project") from None
        return ActionOutcome(project=saved.value, key=key, change=decision.change,
                             refusal=None if decision.change else decision.refusal or "stale",
                             schedule=decision.schedule, at=decision.at)

    async def change_project(self, actor: Actor, project_id: str, mutate: Callable[[Project], Change]) -> Project:
        def decide_change(project: Project) -> Change:
            if not in_tenants(actor, project):
                raise Refused("tenant")
            change = mutate(project)
            self._notify_due_changes(project, change)
            plan_notifications(project, self.library, change, self.clock())
            return change

        try:
            _, saved = await update_project(self.store, project_id, decide_change, lambda c: c.events)
        except ProjectNotFound:
            raise Refused("unknown_project") from None
        return saved.value

    def _notify_due_changes(self, project: Project, change: Change) -> None:
        """After a date moves, every open task's owners hear about their new due dates."""
        if change.events and change.events[-1].kind in ("foc_set", "port_date_moved"):
            change.changed.extend(k for k, r in project.tasks.items() if r.state.is_open and k not in change.changed)

    async def set_foc(self, actor: Actor, project_id: str, foc: date, *, confirmed: bool = False) -> Project:
        return await self.change_project(
            actor, project_id,
            lambda p: set_foc_date(p, self.library, actor=actor, foc_date=foc, now=self.clock(), confirmed=confirmed),
        )

    async def move_port_date(self, actor: Actor, project_id: str, port: date, *, confirmed: bool = False) -> Project:
        return await self.change_project(
            actor, project_id,
            lambda p: move_port_date(p, self.library, actor=actor, port_date=port, now=self.clock(), confirmed=confirmed),
        )

    async def assign(self, actor: Actor, project_id: str, role: Role, person: Person) -> Project:
        project = await self.change_project(
            actor, project_id, lambda p: assign_role(p, actor=actor, role=role, person=person, now=self.clock())
        )
        await self._remember_membership(person.id, project_id)
        return project

    # -- digests, export, snooze ---------------------------------------------------------
    async def digest_project(self, actor: Actor, project_id: str) -> Project:
        """The project, if this actor may see or post its digest (its PM or provider staff)."""
        project = await self.visible_project(actor, project_id)
        if not decide(actor, Action.DIGEST, project):
            raise Refused("not_allowed")
        return project

    async def post_digest(self, actor: Actor, project_id: str, request_id: str) -> Project:
        await self.digest_project(actor, project_id)
        _, saved = await update_project(self.store, project_id, lambda p: post_digest_now(p, self.clock(), request_id),
                                        lambda _: [])
        return saved.value

    async def export_history(self, actor: Actor, project_id: str) -> tuple[Project, list[Any]]:
        project = await self.visible_project(actor, project_id)
        if not decide(actor, Action.EXPORT, project):
            raise Refused("not_allowed")
        return project, await self.store.project_events(project_id)

    async def export_secret(self) -> bytes:
        """A signing key shared by every instance on this store, made on first use."""
        key = user_key("secret", "export")
        current = await self.store.read_document(key)
        if current is None:
            try:
                await self.store.write_document(key, {"key": secrets.token_hex(32)}, "")
            except AlreadyExists:
                pass
            current = await self.store.read_document(key)
        assert current is not None
        return bytes.fromhex(current.value["key"])

    async def greet_once(self, conversation_id: str, now: datetime) -> bool:
        """True the first time a conversation is to be greeted since the bot was added to it;
        False when it was greeted already (a create-only write: two events at once greet once)."""
        key = user_key("greeted", conversation_id.split(";messageid=")[0])
        try:
            await self.store.write_document(key, {"at": now.isoformat()}, "")
        except AlreadyExists:
            return False
        return True

    async def first_delivery(self, conversation_id: str, activity_id: str, now: datetime) -> bool:
        """True the first time an activity id is handled in a conversation, on any instance; False
        for Teams redelivering it (a create-only write: the marker is the lock)."""
        try:
            await self.store.write_document(self._activity_key(conversation_id, activity_id), {"at": now.isoformat()}, "")
        except AlreadyExists:
            return False
        return True

    async def forget_delivery(self, conversation_id: str, activity_id: str) -> None:
        """The activity's turn failed: a redelivery may try again."""
        await self.store.delete_document(self._activity_key(conversation_id, activity_id))

    @staticmethod
    def _activity_key(conversation_id: str, activity_id: str) -> str:
        return user_key("activity", conversation_id.split(";messageid=")[0], activity_id)

    async def forget_greeting(self, conversation_id: str) -> None:
        """The bot was removed from the conversation: adding it again greets again."""
        await self.store.delete_document(user_key("greeted", conversation_id.split(";messageid=")[0]))

    async def snooze(self, person_id: str, now: datetime) -> None:
        """No reminder today (in the person's time zone); the next one tomorrow."""

        def snoozed(record: PersonRecord) -> PersonRecord:
            today = now.astimezone(ZoneInfo(record.timezone or "UTC")).date()
            return replace(record, snoozed_until=today + timedelta(days=1))

        await self.people.change(person_id, snoozed)

    async def check_lines(self, project_id: str, key: str, language: Language) -> list[str]:
        """What the last Graph licence check found, for a licensing task's card ([] otherwise)."""
        return await licence_lines(self.store, project_id, key, language)

    # -- people -------------------------------------------------------------------------
    async def remember_user(self, person_id: str, *, tenant_id: str, language: Language | None = None,
                            timezone: str | None = None, conversation: ConversationTarget | None = None,
                            teams_id: str | None = None, chosen: bool = False) -> PersonRecord | None:
        """Remember a person's language, time zone and 1:1 chat; their record as it now stands. A
        person belongs to the tenant that first spoke for them: an activity from another tenant
        carrying the same id changes nothing (and gets None)."""
        foreign = False

        def remembered(record: PersonRecord) -> PersonRecord | None:
            nonlocal foreign
            foreign = bool(record.tenant_id) and record.tenant_id != tenant_id
            if foreign:
                return None
            updated = replace(record, tenant_id=tenant_id)
            if language and chosen:
                updated = replace(updated, language=language, chosen_language=language)  # a choice wins over locales
            elif language and not updated.chosen_language:
                updated = replace(updated, language=language)
            if timezone:
                updated = replace(updated, timezone=timezone)
            if conversation:
                updated = updated.reached_at(conversation)  # they are talking to the bot again
            if teams_id:
                updated = replace(updated, teams_id=teams_id)
            return updated

        record = await self.people.change(person_id, remembered)
        if foreign:
            log.warning("record of %s not updated from another tenant", person_id)
            return None
        return record

    def task_spec(self, key: str, project: Project | None = None) -> Any:
        return spec_of(self.library, key, project)

    # -- the PM's plan changes and task questions (issue 18; bot/domain/plan.py, questions.py) ----
    async def change_plan(self, actor: Actor, project_id: str, mutate: Callable[[Project], Change]) -> Project:
        """A plan change or question: saved with what it owes, like any other change."""
        return await self.change_project(actor, project_id, mutate)

    async def outside_tenants(self, project: Project, person_ids: list[str]) -> str | None:
        """The first of these people whose organisation is not the project's, if any."""
        for person_id in person_ids:
            record = await self.people.get(person_id)
            if record.tenant_id and record.tenant_id not in project.tenants():  # host's or its people's (issue 15)
                return person_id
        return None
