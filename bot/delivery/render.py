"""What each outbox item becomes, rendered from the project's state at send time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.domain.authorization import Actor
from bot.domain.catalogue import t
from bot.domain.notifications import CHANNEL
from bot.domain.playbook import PlaybookLibrary
from bot.domain.project import OutboxItem, Project
from bot.domain.schedule import compute_schedule, port_date
from bot.domain.text import Language, parse_language
from bot.domain.transitions import spec_of
from bot.licence_checks import licence_lines
from bot.storage.contract import Store, user_key
from cards.base import Card, card, plain, text
from cards.dates import format_date
from cards.digest import completion_card, digest_card
from cards.status import dates_card
from cards.task import task_card
from cards.views import completion_view, digest_view, task_view


class Renderer:
    def __init__(self, store: Store, library: PlaybookLibrary, *, is_staff_pm: Callable[[str | None, str | None], bool],
                 clock: Callable[[], datetime]) -> None:
        self.store = store
        self.library = library
        self.is_staff_pm = is_staff_pm
        self.clock = clock

    def actor_for(self, project: Project, person_id: str) -> Actor:
        person = project.person(person_id)
        return Actor(person_id, person.name if person else "", project.tenant_id, self.is_staff_pm(person_id, project.tenant_id))

    async def render(self, project: Project, item: OutboxItem, viewer: Any, language_code: str) -> Card | None:
        language = parse_language(language_code)
        key = str(item.params.get("key", ""))
        now = self.clock()
        if item.kind == "task_card":
            if key not in project.tasks or not project.tasks[key].state.is_open:
                return None  # it moved on before we could send: nothing to ask any more
            return task_card(task_view(project, self.library, key, viewer=viewer, language=language, now=now,
                                       mention_owners=item.target == CHANNEL, checks=await self.checks(project.id, key, language)))
        if item.kind == "blocked_alert":
            if key not in project.tasks:
                return None
            return task_card(task_view(project, self.library, key, viewer=viewer, language=language, now=now))
        if item.kind == "channel_note":
            return self._channel_note(project, item, language)
        if item.kind in ("due_dates", "dates_moved"):
            return self._due_dates(project, item, language)
        if item.kind == "digest":
            return digest_card(digest_view(project, self.library, language=language, now=now))
        if item.kind == "completion_report":
            return completion_card(completion_view(project, self.library, language=language, now=now))
        if item.kind == "unreachable_notice":
            return card([text(t("unreachable", language, name=plain(str(item.params.get("name", "")))))])
        raise ValueError(f"no renderer for outbox kind {item.kind!r}")

    async def task_copy(self, project: Project, key: str, conversation_id: str) -> Card:
        """A task card as the people of that conversation should see it."""
        viewer, language = await self._viewer_for_conversation(project, conversation_id)
        return task_card(task_view(project, self.library, key, viewer=viewer, language=language, now=self.clock(),
                                   checks=await self.checks(project.id, key, language)))

    async def checks(self, project_id: str, key: str, language: Language) -> list[str]:
        return await licence_lines(self.store, project_id, key, language)

    async def _viewer_for_conversation(self, project: Project, conversation_id: str) -> tuple[Actor | None, Language]:
        if project.channel and conversation_id.split(";")[0] == project.channel.conversation_id.split(";")[0]:
            return None, project.language
        for person in {p.id: p for ps in project.people.values() for p in ps}.values():
            prefs_doc = await self.store.read_document(user_key("user", person.id))
            prefs = prefs_doc.value if prefs_doc else {}
            if (prefs.get("conversation") or {}).get("conversationId") == conversation_id:
                return self.actor_for(project, person.id), parse_language(prefs.get("language", project.language))
        return None, project.language

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

    def _channel_note(self, project: Project, item: OutboxItem, language: Language) -> Card | None:
        lines = []
        for key in item.params.get("ready", []):
            if key in project.tasks:
                spec = spec_of(self.library, key)
                owners = ", ".join(r.label.get(language) for r in spec.owners)
                lines.append(t("note.ready", language, task=spec.title.get(language), owners=owners))
        for change in item.params.get("changes", []):
            key = str(change.get("key", ""))
            if key in project.tasks:
                state = t(f"state.{change.get('state')}", language)
                title = spec_of(self.library, key).title.get(language)
                lines.insert(0, t("note.changed", language, actor=plain(str(change.get("actor", ""))), task=title, state=state))
        return card([text(line) for line in lines]) if lines else None
