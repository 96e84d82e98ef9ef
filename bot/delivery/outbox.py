"""Delivering the outbox: every proactive message a project owes, recorded in the same write
as the change that caused it, sent through a Messenger and removed only once sent.

- Each item is rendered at send time from the project's current state (never stale).
- One instance delivers a project at a time: it holds a short lease in the project document,
  taken with a conditional write, so several bot instances on one store never double-send.
- After each send the item is removed and the result recorded as an event, in one write:
  a crash loses nothing (the item is still there) and resends only what was in flight.
- 403/404 are final: the person is marked unreachable and the PM told once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from bot.delivery.limits import DeliveryError, Messenger
from bot.delivery.render import Renderer
from bot.domain.events import Event
from bot.domain.notifications import CHANNEL, LICENSING_PREFIX, user_target
from bot.domain.playbook import PlaybookLibrary
from bot.domain.project import CardCopy, ConversationTarget, OutboxItem, Project
from bot.domain.text import parse_language
from bot.graph.errors import (
    AppNotInCatalog,
    GraphCredentialsInvalid,
    GraphForbidden,
    GraphNotFound,
    GraphThrottled,
    GraphUnavailable,
)
from bot.graph.licensing import LicensingReport
from bot.licence_checks import report_key
from bot.storage.contract import (
    StorageError,
    Store,
    Versioned,
    update_project_versioned,
    user_key,
)

log = logging.getLogger(__name__)
R = TypeVar("R")
LEASE = timedelta(seconds=60)
WRITE_MEMORY = 10_000  # projects whose last delivery write this sender remembers
SYSTEM_ACTOR = ("bot", "Activation bot")


class GraphPort(Protocol):
    """What delivery needs from Microsoft Graph (bot.graph.client.GraphClient implements it)."""

    async def install_and_open_chat(self, tenant_id: str, user_aad_id: str) -> str: ...

    async def check_licensing(self, tenant_id: str, user_ids: list[str], shared_device_user_ids: list[str] = ...,
                              resource_account_ids: list[str] = ..., *, names: dict[str, str] | None = None) -> LicensingReport: ...


@dataclass(frozen=True, slots=True)
class HandOver:
    """A project as a change just wrote it, handed to its delivery (which may change the object).
    `lease_mark`: the change's own write took this sender's lease (`OutboxSender.claim_lease`),
    when the sender's write count stood at this mark."""

    saved: Versioned[Project]
    lease_mark: int | None = None


@dataclass(slots=True)
class _SharedLock:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


@dataclass(frozen=True, slots=True)
class Delivered:
    item_id: str
    status: str  # sent | skipped | unreachable
    copies: list[tuple[str, CardCopy]]
    detail: str = ""


class OutboxSender:
    def __init__(self, store: Store, library: PlaybookLibrary, messenger: Messenger, *,
                 is_staff_pm: Callable[[str | None, str | None], bool], clock: Callable[[], datetime],
                 instance_id: str | None = None, graph: GraphPort | None = None, lease: timedelta = LEASE) -> None:
        self.graph = graph
        self.store = store
        self.library = library
        self.messenger = messenger
        self.clock = clock
        self.instance_id = instance_id or uuid.uuid4().hex[:12]
        self.lease = lease
        self.renderer = Renderer(store, library, is_staff_pm=is_staff_pm, clock=clock)
        self._locks: dict[str, _SharedLock] = {}
        # Which project this sender wrote last and when (a count of its writes), to tell whether a
        # handed-over copy is still what the store holds as far as deliveries go (see `drain`).
        self._writes = 0
        self._last_write: OrderedDict[str, int] = OrderedDict()
        self._forgotten_before = 0

    # -- the lease, taken in the change's own write ----------------------------------------
    def claim_lease(self, project: Project, now: datetime) -> int | None:
        """Called on a project about to be written with new outbox items: take this sender's
        lease in that same write (sparing the drain a write of its own) unless another instance
        holds it. Returns the mark `drain` checks the copy against, or None."""
        if not project.outbox:
            return None
        held_elsewhere = project.outbox_lease_owner not in (None, self.instance_id)
        if held_elsewhere and project.outbox_lease_until and project.outbox_lease_until > now:
            return None
        project.outbox_lease_owner = self.instance_id
        project.outbox_lease_until = now + self.lease
        return self._writes

    def _wrote(self, project_id: str) -> None:
        self._writes += 1
        self._last_write[project_id] = self._writes
        self._last_write.move_to_end(project_id)
        while len(self._last_write) > WRITE_MEMORY:
            _, forgotten = self._last_write.popitem(last=False)
            self._forgotten_before = max(self._forgotten_before, forgotten)

    def _unchanged_by_deliveries(self, project_id: str, mark: int) -> bool:
        """No write of this sender touched the project since `mark` (so no item of a copy made
        then has been settled since): only another drain of ours could have, as the copy's lease
        keeps other instances out."""
        if mark < self._forgotten_before:
            return False  # too long ago to know
        return self._last_write.get(project_id, 0) <= mark

    async def _write(self, project_id: str, decide: Callable[[Project], R], events_of: Callable[[R], list[Event]], *,
                     write_if: Callable[[R], bool] | None = None,
                     start_from: Versioned[Project] | None = None) -> tuple[R, Versioned[Project]]:
        """Every project write of the sender goes through here, so `_unchanged_by_deliveries` sees it."""
        try:
            return await update_project_versioned(self.store, project_id, decide, events_of, write_if=write_if,
                                                  start_from=start_from)
        finally:
            self._wrote(project_id)

    async def drain(self, project_id: str, handover: HandOver | None = None) -> int:
        """Send everything the project owes now; returns how many items were settled.

        Each write hands back the project as saved, so the next step starts from it rather
        than reading again: a one-item outbox costs the lease write and the settling write
        (which also gives the lease back), each with one read at most. A change that hands its
        written project over spares the read; one whose write also took the lease spares the
        lease write too, unless a drain of ours wrote the project since (then the copy may list
        items already sent, and the lease is taken as usual). A stale copy is otherwise safe:
        its conditional write is refused and the current version read instead."""
        async with self._project_lock(project_id):
            known = handover.saved if handover else None
            if handover and handover.lease_mark is not None and self._lease_still_ours(handover):
                current: Versioned[Project] | None = known
            else:
                current = await self._take_lease(project_id, known)
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

    def _lease_still_ours(self, handover: HandOver) -> bool:
        project = handover.saved.value
        assert handover.lease_mark is not None
        return (project.outbox_lease_owner == self.instance_id and project.outbox_lease_until is not None
                and project.outbox_lease_until - self.clock() > self.lease / 2 and bool(project.outbox)
                and self._unchanged_by_deliveries(project.id, handover.lease_mark))

    @asynccontextmanager
    async def _project_lock(self, project_id: str) -> AsyncIterator[None]:
        """One drain per project in this process; the entry goes when nobody holds or awaits it."""
        entry = self._locks.setdefault(project_id, _SharedLock())
        entry.users += 1
        try:
            async with entry.lock:
                yield
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._locks[project_id]

    async def _take_lease(self, project_id: str, known: Versioned[Project] | None = None) -> Versioned[Project] | None:
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
            taken, leased = await self._write(project_id, take, lambda _: [], write_if=lambda took: took, start_from=known)
        except KeyError:
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
            await self._write(project_id, release, lambda _: [], write_if=lambda released: released)
        except (KeyError, StorageError):
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
            return [Event(id=event_id, project_id=project.id, seq=seq, at=now, kind="message_" + result.status,
                          actor_id=SYSTEM_ACTOR[0], actor_name=SYSTEM_ACTOR[1],
                          data={"item": result.item_id, "detail": result.detail})]

        _, saved = await self._write(project_id, remove, lambda events: events, start_from=leased)
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
                return Delivered(item.id, "unreachable", [], f"{error.status} {error.code}".strip())
            log.warning("delivery of %s deferred: %s", item.id, error)
            raise

    async def _send_item(self, project: Project, item: OutboxItem) -> Delivered:
        key = str(item.params.get("key", ""))
        if item.kind == "licensing_check":
            return await self._check_licensing(project, item)
        if item.kind == "card_update":
            record = project.tasks.get(key)
            if record is None or project.channel is None:
                return Delivered(item.id, "skipped", [])
            for copy in record.card_copies:
                copy_card = await self.renderer.task_copy(project, key, copy.conversation_id)
                copy_target = ConversationTarget(copy.conversation_id, project.channel.service_url, project.tenant_id)
                try:
                    await self.messenger.update(copy_target, copy.activity_id, copy_card)
                except DeliveryError as error:
                    if not error.permanent:
                        raise
                    log.info("card copy %s gone: %s", copy.activity_id, error)
            return Delivered(item.id, "sent", [])
        target, viewer, language = await self._resolve(project, item.target)
        if target is None and item.kind == "unreachable_notice":
            target = project.channel  # the PM cannot be reached either: say it where the project lives
        if target is None:
            return Delivered(item.id, "skipped", [], "no conversation")
        rendered = await self.renderer.render(project, item, viewer, language)
        if rendered is None:
            return Delivered(item.id, "skipped", [], "nothing to say any more")
        activity_id = await self.messenger.send(target, rendered)
        copies = [(key, CardCopy(target.conversation_id, activity_id))] if item.kind in ("task_card", "blocked_alert") and activity_id else []
        return Delivered(item.id, "sent", copies)

    async def _resolve(self, project: Project, target: str) -> tuple[ConversationTarget | None, object, str]:
        if target == CHANNEL:
            return project.channel, None, project.language
        person_id = target.removeprefix("user:")
        person = project.person(person_id)
        prefs_doc = await self.store.read_document(user_key("user", person_id))
        prefs = prefs_doc.value if prefs_doc else {}
        viewer = self.renderer.actor_for(project, person_id)
        language = parse_language(prefs.get("language", project.language))
        if prefs.get("unreachable"):
            return None, viewer, language
        if prefs.get("conversation"):
            return ConversationTarget.from_dict(prefs["conversation"]), viewer, language
        teams_id = (person.teams_id if person else None) or prefs.get("teamsId")
        if project.channel is None:
            return None, viewer, language
        conversation: ConversationTarget | None = None
        if teams_id:
            try:
                conversation = await self.messenger.open_personal(project.channel, teams_id)
            except DeliveryError as error:
                if not (error.permanent and self.graph):
                    raise
        if conversation is None:
            if self.graph is None:
                return None, viewer, language  # no way to reach them: the channel card stands
            chat_id = await self._install_for(project, person_id)
            if chat_id is None:
                return None, viewer, language
            conversation = ConversationTarget(chat_id, project.channel.service_url, project.tenant_id)
        await self.store.write_document(user_key("user", person_id), {**prefs, "conversation": conversation.to_dict()})
        return conversation, viewer, language

    async def _install_for(self, project: Project, person_id: str) -> str | None:
        """Install the app for someone who never opened the bot, through Graph; the 1:1 chat id."""
        assert self.graph is not None
        try:
            return await self.graph.install_and_open_chat(project.tenant_id, person_id)
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

    async def _check_licensing(self, project: Project, item: OutboxItem) -> Delivered:
        """Read the tenant's licences for the licensing tasks; their cards then show what is missing."""
        if self.graph is None:
            return Delivered(item.id, "skipped", [], "graph not configured")
        customers = [p for role, people in project.people.items() if role.party.value == "customer" for p in people]
        report = await self.graph.check_licensing(project.tenant_id, [p.id for p in customers], [], [],
                                                  names={p.id: p.name for p in customers})
        await self.store.write_document(report_key(project.id), {**report.to_dict(), "checkedAt": self.clock().isoformat()})
        now = self.clock()

        def refresh_cards(fresh: Project) -> None:
            for key, record in fresh.tasks.items():
                if key.split(":", 1)[1].startswith(LICENSING_PREFIX) and record.card_copies:
                    update_id = f"{item.id}:card_update:{key}"
                    if not any(o.id == update_id for o in fresh.outbox):
                        fresh.outbox.append(OutboxItem(id=update_id, kind="card_update", target="copies", created_at=now,
                                                       params={"key": key}))

        await self._write(project.id, refresh_cards, lambda _: [])
        return Delivered(item.id, "sent", [], "checked" if report.checked else str(report.reason))

    async def _mark_unreachable(self, project: Project, item: OutboxItem, error: DeliveryError) -> None:
        """Remember the person cannot be reached, and tell the project's PMs once."""
        log.warning("target %s of project %s unreachable: %s %s", item.target, project.id, error.status, error.code)
        if not item.target.startswith("user:"):
            return
        person_id = item.target.removeprefix("user:")
        key = user_key("user", person_id)
        current = await self.store.read_document(key)
        body = dict(current.value) if current else {}
        if body.get("unreachable"):
            return
        body["unreachable"] = error.code or str(error.status)
        body.pop("conversation", None)
        await self.store.write_document(key, body)
        person = project.person(person_id)
        name = person.name if person else person_id

        def notify(fresh: Project) -> None:
            for pm_id in fresh.pm_ids:
                if pm_id == person_id:
                    continue
                item_id = f"unreachable:{person_id}:{pm_id}"
                if not any(o.id == item_id for o in fresh.outbox):
                    fresh.outbox.append(OutboxItem(id=item_id, kind="unreachable_notice", target=user_target(pm_id),
                                                   created_at=self.clock(), params={"name": name}))

        await self._write(project.id, notify, lambda _: [])
