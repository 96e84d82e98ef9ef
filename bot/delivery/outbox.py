"""Delivering the outbox: every proactive message a project owes, recorded in the same write
as the change that caused it, sent through a Messenger and removed only once sent.

- Each item is rendered at send time from the project's current state (never stale).
- One instance delivers a project at a time: it holds a short lease in the project document,
  taken with a conditional write, so several bot instances on one store never double-send
  (within one process, `bot.delivery.Delivery` runs one drain per project).
- After each send the item is removed and the result recorded as an event, in one write:
  a crash loses nothing (the item is still there) and resends only what was in flight.
- 403/404 are final: the person is marked unreachable and the PM told once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from bot.delivery.limits import DeliveryError, Messenger
from bot.delivery.reach import GraphPort, Reach
from bot.delivery.render import Renderer
from bot.domain.events import Event
from bot.domain.notifications import LICENSING_PREFIX
from bot.domain.playbook import PlaybookLibrary
from bot.domain.project import CARD_COPIES_TARGET, CardCopy, ConversationTarget, OutboxItem, OutboxKind, Project, Target, TargetKind
from bot.licence_checks import report_key
from bot.storage.contract import (
    ProjectNotFound,
    StorageError,
    Store,
    Versioned,
    update_project,
)
from bot.storage.people import PersonRecords

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=60)
SYSTEM_ACTOR = ("bot", "Activation bot")


class Settled(StrEnum):
    SENT = "sent"  # for a job: done
    SKIPPED = "skipped"  # nothing to send any more, or nobody to send it to
    UNREACHABLE = "unreachable"  # 403/404: the person is marked unreachable


@dataclass(frozen=True, slots=True)
class Delivered:
    """How one item was settled; recorded as a `message_<status>` (or `job_<status>`) event."""

    item_id: str
    status: Settled
    copies: list[tuple[str, CardCopy]]
    detail: str = ""
    job: bool = False



def _note_thread(project: Project, item: OutboxItem, channel: ConversationTarget) -> ConversationTarget:
    """Where a channel note goes: a note about one task's change is a reply in the thread of
    that task's card in the channel (Teams threads a message sent to the conversation
    `<channel id>;messageid=<root activity id>`); notes about several tasks, only newly ready
    ones, or a task whose channel card is not known, start a new message in the channel."""
    keys = {str(change.get("key", "")) for change in item.params.get("changes", [])}
    record = project.tasks.get(keys.pop()) if len(keys) == 1 else None
    base = channel.conversation_id.split(";messageid=")[0]
    for copy in record.card_copies if record is not None else ():
        if copy.conversation_id.split(";messageid=")[0] == base:
            thread = copy.conversation_id if ";messageid=" in copy.conversation_id else f"{base};messageid={copy.activity_id}"
            return replace(channel, conversation_id=thread)
    return channel


class OutboxSender:
    def __init__(self, store: Store, library: PlaybookLibrary, messenger: Messenger, *,
                 is_staff_pm: Callable[[str | None, str | None], bool], clock: Callable[[], datetime],
                 instance_id: str | None = None, graph: GraphPort | None = None, lease: timedelta = LEASE) -> None:
        self.graph = graph
        self.reach = Reach(PersonRecords(store), messenger, graph)
        self.store = store
        self.library = library
        self.messenger = messenger
        self.clock = clock
        self.instance_id = instance_id or uuid.uuid4().hex[:12]
        self.lease = lease
        self.renderer = Renderer(store, library, is_staff_pm=is_staff_pm, clock=clock)

    async def drain(self, project_id: str) -> int:
        """Send everything the project owes now; returns how many items were settled.

        Takes the lease in one write, then settles each sent item in one write that starts
        from the copy the last write returned (the last one gives the lease back). A caller
        runs at most one drain per project at a time (`bot.delivery.Delivery`)."""
        current = await self._take_lease(project_id)
        settled = 0
        try:
            while current is not None:
                # A send may not outlive the lease (a slow or throttling connector, long
                # Retry-After waits): past it another instance could take the lease and send
                # the item again. Stopped, the item stays owed and the next sweep goes on.
                async with asyncio.timeout(self._time_left(current)):
                    result = await self._deliver(current.value, current.value.outbox[0])
                current = await self._settle(project_id, result, current)
                settled += 1
        except BaseException:
            # Another instance may go on at once; a failing release must not hide why we stopped.
            with contextlib.suppress(Exception):
                await self._release_lease(project_id)
            raise
        return settled

    def _time_left(self, leased: Versioned[Project]) -> float:
        """Seconds the current lease still covers, less a tenth of a lease to settle in."""
        until = leased.value.outbox_lease_until
        left = (until - self.clock()).total_seconds() if until else 0.0
        return max(left - self.lease.total_seconds() / 10, 0.0)

    async def _take_lease(self, project_id: str) -> Versioned[Project] | None:
        """The project with this instance's lease on it, or None (no outbox, or leased elsewhere)."""
        now = self.clock()

        def take(project: Project) -> bool:
            held = project.outbox_lease_owner not in (None, self.instance_id)
            if held and project.outbox_lease_until and project.outbox_lease_until > now:
                return False
            if not project.outbox:
                return False
            project.outbox_lease_owner = self.instance_id
            project.outbox_lease_until = now + self.lease
            return True

        try:
            taken, leased = await update_project(self.store, project_id, take, lambda _: [], write_if=lambda took: took)
        except ProjectNotFound:
            return None
        return leased if taken else None

    async def _release_lease(self, project_id: str) -> None:
        def release(project: Project) -> bool:
            if project.outbox_lease_owner != self.instance_id:
                return False
            project.outbox_lease_owner = None
            project.outbox_lease_until = None
            return True

        try:
            await update_project(self.store, project_id, release, lambda _: [], write_if=lambda released: released)
        except (ProjectNotFound, StorageError):
            pass  # the lease expires by itself

    async def _settle(self, project_id: str, result: Delivered, leased: Versioned[Project]) -> Versioned[Project] | None:
        """Remove the sent item and record the result; with the last item, the lease goes too.
        Returns the project as saved while the lease is still held (more to send), else None."""
        now = self.clock()

        def remove(project: Project) -> list[Event]:
            found = any(o.id == result.item_id for o in project.outbox)
            if found:
                project.outbox = [o for o in project.outbox if o.id != result.item_id]
                for key, copy in result.copies:
                    record = project.tasks.get(key)
                    if record is not None and copy not in record.card_copies:
                        record.card_copies = (*record.card_copies, copy)
            if project.outbox_lease_owner == self.instance_id:
                if project.outbox:
                    project.outbox_lease_until = now + self.lease  # still working: extend
                else:
                    project.outbox_lease_owner = None
                    project.outbox_lease_until = None
            if not found:
                return []  # settled already (a crashed run's resend)
            event_id, seq = project.next_event_id()
            return [Event(id=event_id, project_id=project.id, seq=seq, at=now, kind=f"{'job' if result.job else 'message'}_{result.status}",
                          actor_id=SYSTEM_ACTOR[0], actor_name=SYSTEM_ACTOR[1],
                          data={"item": result.item_id, "detail": result.detail})]

        _, saved = await update_project(self.store, project_id, remove, lambda events: events, start_from=leased)
        still_leased = saved.value.outbox_lease_owner == self.instance_id and bool(saved.value.outbox)
        return saved if still_leased else None

    async def _deliver(self, project: Project, item: OutboxItem) -> Delivered:
        """Send one item. Permanent failures are absorbed (and reported); transient ones raise
        after the retries, leaving the item in the outbox for the next sweep."""
        try:
            return await self._send_item(project, item)
        except DeliveryError as error:
            if error.permanent:
                await self._mark_unreachable(project, item, error)
                return Delivered(item.id, Settled.UNREACHABLE, [], f"{error.status} {error.code}".strip())
            log.warning("delivery of %s deferred: %s", item.id, error)
            raise

    async def _send_item(self, project: Project, item: OutboxItem) -> Delivered:
        if item.kind.is_job:
            return await self._check_licensing(project, item)
        if item.target.kind is TargetKind.CARD_COPIES:
            return await self._update_copies(project, item)
        key = str(item.params.get("key", ""))
        target, viewer, language = await self._resolve(project, item.target)
        if target is None and item.kind is OutboxKind.UNREACHABLE_NOTICE:
            target = project.channel  # the PM cannot be reached either: say it where the project lives
        if target is None and item.target.kind is TargetKind.PERSON:
            await self._note_channel_only(project, item.target.person_id)  # issue 15
        if target is None:
            return Delivered(item.id, Settled.SKIPPED, [], "no conversation")
        rendered = await self.renderer.render(project, item, viewer, language)
        if rendered is None:
            return Delivered(item.id, Settled.SKIPPED, [], "nothing to say any more")
        if item.kind is OutboxKind.CHANNEL_NOTE:
            target = _note_thread(project, item, target)
        activity_id = await self.messenger.send(target, rendered)
        keeps_copy = item.kind in (OutboxKind.TASK_CARD, OutboxKind.BLOCKED_ALERT) and activity_id
        return Delivered(item.id, Settled.SENT, [(key, CardCopy(target.conversation_id, activity_id,
                                                                                 _other_tenant(project, target)))] if keeps_copy else [])

    async def _update_copies(self, project: Project, item: OutboxItem) -> Delivered:
        """Redraw every sent copy of a task's card, each for the people of its conversation."""
        key = str(item.params.get("key", ""))
        record = project.tasks.get(key)
        if record is None or project.channel is None:
            return Delivered(item.id, Settled.SKIPPED, [])
        for copy in record.card_copies:
            copy_card = await self.renderer.task_copy(project, key, copy.conversation_id)
            copy_target = ConversationTarget(copy.conversation_id, project.channel.service_url, copy.tenant_id or project.tenant_id)
            try:
                await self.messenger.update(copy_target, copy.activity_id, copy_card)
            except DeliveryError as error:
                if not error.permanent:
                    raise
                log.info("card copy %s gone: %s", copy.activity_id, error)
        return Delivered(item.id, Settled.SENT, [])

    async def _resolve(self, project: Project, target: Target) -> tuple[ConversationTarget | None, object, str]:
        """Where the item goes, who reads it there (for their view of a card) and in which language."""
        if target.kind is TargetKind.CHANNEL:
            return project.channel, None, project.language
        person_id = target.person_id
        person = project.person(person_id)
        record = await self.reach.people.get(person_id)
        conversation = await self.reach.conversation(person_id, teams_id=person.teams_id if person else None,
                                                     via=project.channel, tenant_id=project.tenant_id, record=record,
                                                     home_tenant=project.home_tenant(person) if person else None)
        return conversation, self.renderer.actor_for(project, person_id), record.language_or(project.language)

    async def _check_licensing(self, project: Project, item: OutboxItem) -> Delivered:
        """Read the tenant's licences for the licensing tasks; their cards then show what is missing."""
        if self.graph is None:
            return Delivered(item.id, Settled.SKIPPED, [], "graph not configured", job=True)
        customers = [p for role, people in project.people.items() if role.party.value == "customer" for p in people]
        report = await self.graph.check_licensing(project.tenant_id, [p.id for p in customers], [], [],
                                                  names={p.id: p.name for p in customers})
        await self.store.write_document(report_key(project.id), {**report.to_dict(), "checkedAt": self.clock().isoformat()})
        now = self.clock()

        def refresh_cards(fresh: Project) -> None:
            for key, record in fresh.tasks.items():
                if key.split(":", 1)[1].startswith(LICENSING_PREFIX) and record.card_copies:
                    fresh.owe(OutboxItem(id=f"{item.id}:card_update:{key}", kind=OutboxKind.CARD_UPDATE,
                                         target=CARD_COPIES_TARGET, created_at=now, params={"key": key}))

        await update_project(self.store, project.id, refresh_cards, lambda _: [])
        return Delivered(item.id, Settled.SENT, [], "checked" if report.checked else str(report.reason), job=True)

    async def _note_channel_only(self, project: Project, person_id: str) -> None:
        """Someone of another tenant with no 1:1 chat: their cards reach them in the channel, with
        an @mention; the project's PMs are told once who, and how to fix it (issue 15)."""
        person = project.person(person_id)
        if person is None or project.channel is None or project.is_pm(person_id):
            return
        record = await self.reach.people.get(person_id)
        if not self.reach.external(project.channel, project.home_tenant(person) or record.tenant_id):
            return
        if not await self.reach.note_channel_only(person_id):
            return
        log.info("person %s of project %s reachable in the channel only", person_id, project.id)

        def notify(fresh: Project) -> None:
            for pm_id in fresh.pm_ids:
                fresh.owe(OutboxItem(id=f"channel-only:{person_id}:{pm_id}", kind=OutboxKind.UNREACHABLE_NOTICE,
                                     target=Target.person(pm_id), created_at=self.clock(),
                                     params={"name": person.name, "why": "channel_only"}))

        await update_project(self.store, project.id, notify, lambda _: [])

    async def _mark_unreachable(self, project: Project, item: OutboxItem, error: DeliveryError) -> None:
        """Remember the person cannot be reached, and tell the project's PMs once."""
        log.warning("target %s of project %s unreachable: %s %s", item.target.encode(), project.id, error.status, error.code)
        if item.target.kind is not TargetKind.PERSON:
            return
        person_id = item.target.person_id
        if not await self.reach.mark_unreachable(person_id, error.code or str(error.status)):
            return
        person = project.person(person_id)
        name = person.name if person else person_id

        def notify(fresh: Project) -> None:
            for pm_id in fresh.pm_ids:
                if pm_id == person_id:
                    continue
                fresh.owe(OutboxItem(id=f"unreachable:{person_id}:{pm_id}", kind=OutboxKind.UNREACHABLE_NOTICE,
                                     target=Target.person(pm_id), created_at=self.clock(), params={"name": name}))

        await update_project(self.store, project.id, notify, lambda _: [])


def _other_tenant(project: Project, target: ConversationTarget) -> str:
    """The target's tenant when it is not the project's host (issue 15), else "" (as stored before)."""
    return target.tenant_id if target.tenant_id and target.tenant_id != project.tenant_id else ""
