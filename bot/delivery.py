"""Delivering the outbox: every proactive message a project owes, sent through a Messenger
port (the Teams edge implements it with botbuilder) and removed only once sent.

Each item is rendered at send time from the project's current state, so a card never goes
out stale. Transient failures (412, 429, 502, 503, 504) are retried with capped, jittered
exponential backoff honouring Retry-After; 403/404 are final: the target is marked
unreachable and the PM is told once.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.domain.authorization import Actor
from bot.domain.notifications import CHANNEL
from bot.domain.playbook import PlaybookLibrary
from bot.domain.project import CardCopy, ConversationTarget, OutboxItem, Project
from bot.domain.schedule import compute_schedule, port_date
from bot.domain.text import Language
from bot.domain.transitions import spec_of
from bot.storage.contract import Store, update_project, user_key
from cards.base import Card, card, text
from cards.dates import format_date
from cards.status import dates_card
from cards.strings import t
from cards.task import task_card
from cards.views import task_view

log = logging.getLogger(__name__)
RETRYABLE = frozenset({412, 429, 502, 503, 504})
PERMANENT = frozenset({403, 404})


class DeliveryError(Exception):
    def __init__(self, status: int, code: str = "", retry_after: float | None = None) -> None:
        super().__init__(f"{status} {code}".strip())
        self.status = status
        self.code = code
        self.retry_after = retry_after

    @property
    def permanent(self) -> bool:
        return self.status in PERMANENT

    @property
    def retryable(self) -> bool:
        return self.status in RETRYABLE or self.status == 0


class Messenger(Protocol):
    async def send(self, target: ConversationTarget, card: Card, mentions_text: str | None = None) -> str: ...

    async def update(self, target: ConversationTarget, activity_id: str, card: Card) -> None: ...

    async def open_personal(self, via: ConversationTarget, user_teams_id: str) -> ConversationTarget: ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_delay)
        capped: float = min(self.max_delay, self.base_delay * (2 ** attempt))
        return random.uniform(capped / 2, capped)  # noqa: S311 - jitter, not security


async def with_retries(call: Callable[[], Awaitable[Any]], policy: RetryPolicy,
                       sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> Any:
    for attempt in range(policy.attempts):
        try:
            return await call()
        except DeliveryError as error:
            if not error.retryable or attempt == policy.attempts - 1:
                raise
            await sleep(policy.delay(attempt, error.retry_after))
    raise AssertionError("unreachable")


class OutboxSender:
    def __init__(self, store: Store, library: PlaybookLibrary, messenger: Messenger, *,
                 is_staff_pm: Callable[[str | None, str | None], bool], clock: Callable[[], datetime],
                 policy: RetryPolicy | None = None) -> None:
        self.store = store
        self.library = library
        self.messenger = messenger
        self.is_staff_pm = is_staff_pm
        self.clock = clock
        self.policy = policy or RetryPolicy()
        self._locks: dict[str, asyncio.Lock] = {}

    async def drain(self, project_id: str) -> int:
        """Send everything the project owes now; returns how many items were delivered."""
        lock = self._locks.setdefault(project_id, asyncio.Lock())
        async with lock:
            delivered = 0
            while True:
                current = await self.store.load_project(project_id)
                if current is None or not current.value.outbox:
                    return delivered
                project = current.value
                item = project.outbox[0]
                copies = await self._deliver(project, item)
                await self._settle(project_id, item.id, copies)
                delivered += 1

    async def _settle(self, project_id: str, item_id: str, copies: list[tuple[str, CardCopy]]) -> None:
        def remove(project: Project) -> None:
            project.outbox = [o for o in project.outbox if o.id != item_id]
            for key, copy in copies:
                record = project.tasks.get(key)
                if record is not None and copy not in record.card_copies:
                    record.card_copies.append(copy)

        await update_project(self.store, project_id, remove, lambda _: [])

    async def _deliver(self, project: Project, item: OutboxItem) -> list[tuple[str, CardCopy]]:
        """Send one item; returns the card copies it created. Permanent failures are absorbed."""
        try:
            return await self._send_item(project, item)
        except DeliveryError as error:
            if error.permanent:
                await self._mark_unreachable(project, item, error)
                return []
            log.warning("delivery of %s failed after retries: %s", item.id, error)
            raise

    async def _send_item(self, project: Project, item: OutboxItem) -> list[tuple[str, CardCopy]]:
        key = str(item.params.get("key", ""))
        if item.kind == "card_update":
            record = project.tasks.get(key)
            if record is None or project.channel is None:
                return []
            for copy in record.card_copies:
                viewer, language = await self._viewer_for_conversation(project, copy.conversation_id)
                rendered = task_card(task_view(project, self.library, key, viewer=viewer, language=language, now=self.clock()))
                await self._update_copy(project.channel.service_url, project.tenant_id, copy, rendered)
            return []
        resolved, viewer, language = await self._resolve(project, item.target)
        if resolved is None:
            return []
        target: ConversationTarget = resolved
        if item.kind == "task_card":
            if key not in project.tasks or not project.tasks[key].state.is_open:
                return []  # it moved on before we could send: nothing to ask anymore
            rendered = task_card(task_view(project, self.library, key, viewer=viewer, language=language, now=self.clock(),
                                           mention_owners=item.target == CHANNEL))
        elif item.kind == "blocked_alert":
            record = project.tasks.get(key)
            if record is None:
                return []
            rendered = task_card(task_view(project, self.library, key, viewer=viewer, language=language, now=self.clock()))
        elif item.kind == "channel_note":
            rendered = self._channel_note(project, item, language)
        else:
            rendered = self.render_other(project, item, language)
        activity_id = await with_retries(lambda: self.messenger.send(target, rendered), self.policy)
        if item.kind in ("task_card", "blocked_alert") and activity_id:
            return [(key, CardCopy(target.conversation_id, activity_id))]
        return []

    async def _update_copy(self, service_url: str, tenant_id: str, copy: CardCopy, rendered: Card) -> None:
        target = ConversationTarget(copy.conversation_id, service_url, tenant_id)
        await with_retries(lambda: self.messenger.update(target, copy.activity_id, rendered), self.policy)

    def render_other(self, project: Project, item: OutboxItem, language: Language) -> Card:
        if item.kind in ("due_dates", "dates_moved"):
            return self._due_dates(project, item, language)
        raise ValueError(f"no renderer for outbox kind {item.kind!r}")

    def _due_dates(self, project: Project, item: OutboxItem, language: Language) -> Card:
        """After the FOC or port date moved: the open tasks (the person's, or all) with their new due dates."""
        schedule = compute_schedule(project, self.library, self.clock())
        person_id = item.target.removeprefix("user:") if item.target.startswith("user:") else None
        lines = []
        for key, record in project.tasks.items():
            if not record.state.is_open:
                continue
            spec = spec_of(self.library, key)
            if person_id and not any(p.id == person_id for p in project.people_in(spec.owners)):
                continue
            lines.append((spec.title.get(language), format_date(schedule.dates[key].planned_due, language)))
        return dates_card(project.customer_name, port_date(project), lines, language)

    def _channel_note(self, project: Project, item: OutboxItem, language: Language) -> Card:
        lines = []
        for key in item.params.get("ready", []):
            if key in project.tasks:
                spec = spec_of(self.library, key)
                owners = ", ".join(r.label.get(language) for r in spec.owners)
                lines.append(t("note.ready", language, task=spec.title.get(language), owners=owners))
        return card([text(line) for line in lines] or [text("·")])

    async def _resolve(self, project: Project, target: str) -> tuple[ConversationTarget | None, Actor | None, Language]:
        if target == CHANNEL:
            return project.channel, None, project.language
        person_id = target.removeprefix("user:")
        person = project.person(person_id)
        prefs_doc = await self.store.read_document(user_key("user", person_id))
        prefs = prefs_doc.value if prefs_doc else {}
        language: Language = "es" if prefs.get("language", project.language) == "es" else "en"
        actor = Actor(person_id, person.name if person else "", project.tenant_id,
                      self.is_staff_pm(person_id, project.tenant_id))
        if prefs.get("unreachable"):
            return None, actor, language
        if prefs.get("conversation"):
            return ConversationTarget.from_dict(prefs["conversation"]), actor, language
        teams_id = (person.teams_id if person else None) or prefs.get("teamsId")
        if project.channel is None or not teams_id:
            return None, actor, language
        conversation = await with_retries(lambda: self.messenger.open_personal(project.channel, teams_id), self.policy)  # type: ignore[arg-type]
        await self.store.write_document(user_key("user", person_id), {**prefs, "conversation": conversation.to_dict()})
        return conversation, actor, language

    async def _viewer_for_conversation(self, project: Project, conversation_id: str) -> tuple[Actor | None, Language]:
        if project.channel and conversation_id.split(";")[0] == project.channel.conversation_id.split(";")[0]:
            return None, project.language
        for person in {p.id: p for ps in project.people.values() for p in ps}.values():
            prefs_doc = await self.store.read_document(user_key("user", person.id))
            conversation = (prefs_doc.value.get("conversation") or {}) if prefs_doc else {}
            if conversation.get("conversationId") == conversation_id:
                language: Language = "es" if prefs_doc and prefs_doc.value.get("language") == "es" else project.language
                return Actor(person.id, person.name, project.tenant_id, self.is_staff_pm(person.id, project.tenant_id)), language
        return None, project.language

    async def _mark_unreachable(self, project: Project, item: OutboxItem, error: DeliveryError) -> None:
        log.warning("target %s of project %s unreachable: %s", item.target, project.id, error)
        if item.target.startswith("user:"):
            key = user_key("user", item.target.removeprefix("user:"))
            current = await self.store.read_document(key)
            body = dict(current.value) if current else {}
            if not body.get("unreachable"):
                body["unreachable"] = error.code or str(error.status)
                await self.store.write_document(key, body)
