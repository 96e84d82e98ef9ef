"""What each outbox message becomes, rendered from the project's state at send time: one
renderer per kind, in one table (`Renderer.render`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

from bot.domain.authorization import Actor
from bot.domain.catalogue import t
from bot.domain.plan import task_owners
from bot.domain.playbook import PlaybookLibrary
from bot.domain.project import OutboxItem, OutboxKind, Project, TargetKind
from bot.domain.schedule import compute_schedule, port_date
from bot.domain.text import Language, parse_language
from bot.domain.transitions import spec_of
from bot.licence_checks import licence_lines
from bot.storage.contract import Store
from bot.storage.people import PersonRecords
from cards.base import Card, card, plain, text
from cards.dates import format_date
from cards.digest import completion_card, digest_card
from cards.documents import document_outbox_card
from cards.plan import plan_view
from cards.porting import cutover_card, rejection_card
from cards.question import question_card
from cards.status import dates_card
from cards.task import task_card
from cards.views import completion_view, digest_view, task_view


class Renderer:
    def __init__(self, store: Store, library: PlaybookLibrary, *, is_staff_pm: Callable[[str | None, str | None], bool],
                 clock: Callable[[], datetime]) -> None:
        self.store = store
        self.people = PersonRecords(store)
        self.library = library
        self.is_staff_pm = is_staff_pm
        self.clock = clock
        self._renderers: dict[OutboxKind, Callable[[Project, OutboxItem, Any, Language], Awaitable[Card | None]]] = {
            OutboxKind.TASK_CARD: self._task_card,
            OutboxKind.BLOCKED_ALERT: self._blocked_alert,
            OutboxKind.CHANNEL_NOTE: self._channel_note,
            OutboxKind.DUE_DATES: self._due_dates,
            OutboxKind.DATES_MOVED: self._due_dates,
            OutboxKind.DIGEST: self._digest,
            OutboxKind.COMPLETION_REPORT: self._completion_report,
            OutboxKind.UNREACHABLE_NOTICE: self._unreachable_notice,
            OutboxKind.DOCUMENT_REVIEW: self._document_card,
            OutboxKind.DOCUMENT_REJECTED: self._document_card,
            OutboxKind.PORT_REJECTION: self._port_card,
            OutboxKind.PORT_CUTOVER: self._port_card,
            OutboxKind.PLAN_CHANGED: self._plan_changed,
            OutboxKind.QUESTION: self._question,
        }

    def actor_for(self, project: Project, person_id: str) -> Actor:
        person = project.person(person_id)
        tenant = project.home_tenant(person) if person else project.tenant_id  # their own tenant (issue 15)
        return Actor(person_id, person.name if person else "", tenant, self.is_staff_pm(person_id, tenant))

    async def render(self, project: Project, item: OutboxItem, viewer: Any, language_code: str) -> Card | None:
        """The card the item's target should get now; None when there is nothing to say any more."""
        renderer = self._renderers.get(item.kind)
        if renderer is None:
            raise ValueError(f"no renderer for outbox kind {item.kind!r}")
        return await renderer(project, item, viewer, parse_language(language_code))

    async def _task_card(self, project: Project, item: OutboxItem, viewer: Any, language: Language) -> Card | None:
        key = str(item.params.get("key", ""))
        if key not in project.tasks or not project.tasks[key].state.is_open:
            return None  # it moved on before we could send: nothing to ask any more
        return task_card(task_view(project, self.library, key, viewer=viewer, language=language, now=self.clock(),
                                   mention_owners=item.target.kind is TargetKind.CHANNEL,
                                   checks=await self.checks(project.id, key, language)))

    async def _blocked_alert(self, project: Project, item: OutboxItem, viewer: Any, language: Language) -> Card | None:
        key = str(item.params.get("key", ""))
        if key not in project.tasks:
            return None
        return task_card(task_view(project, self.library, key, viewer=viewer, language=language, now=self.clock()))

    async def _digest(self, project: Project, item: OutboxItem, viewer: Any, language: Language) -> Card | None:
        before = item.params.get("before")  # the dates last week's digest showed
        return digest_card(digest_view(project, self.library, language=language, now=self.clock(),
                                       previous=dict(before) if isinstance(before, dict) else None))

    async def _completion_report(self, project: Project, item: OutboxItem, viewer: Any, language: Language) -> Card | None:
        return completion_card(completion_view(project, self.library, language=language, now=self.clock()))

    async def _unreachable_notice(self, project: Project, item: OutboxItem, viewer: Any, language: Language) -> Card | None:
        key = "channel_only" if item.params.get("why") == "channel_only" else "unreachable"  # issue 15
        return card([text(t(key, language, name=plain(str(item.params.get("name", "")))))])

    async def _document_card(self, project: Project, item: OutboxItem, viewer: Any, language: Language) -> Card | None:
        return document_outbox_card(project, self.library, item, language)
    async def _port_card(self, project: Project, item: OutboxItem, viewer: Any, language: Language) -> Card | None:
        """A port order's rejection (to whoever must fix it) or cutover card (issue 17)."""
        order = next((o for o in project.port_book.orders if o.id == item.params.get("order")), None)
        if order is None:
            return None
        if item.kind is OutboxKind.PORT_REJECTION:
            return rejection_card(project, order, language) if order.rejections else None
        return cutover_card(project, order, language, eve=item.params.get("phase") == "eve") if order.foc_at else None

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
            record = await self.people.get(person.id)
            if record.conversation is not None and record.conversation.conversation_id == conversation_id:
                return self.actor_for(project, person.id), record.language_or(project.language)
        return None, project.language

    async def _due_dates(self, project: Project, item: OutboxItem, viewer: Any, language: Language) -> Card | None:
        """After the FOC or port date moved: the open tasks (the person's, or all) with their new due dates."""
        schedule = compute_schedule(project, self.library, self.clock())
        person_id = item.target.person_id if item.target.kind is TargetKind.PERSON else None
        lines = []
        for key, record in project.tasks.items():
            if not record.state.is_open:
                continue
            spec = spec_of(self.library, key, project)
            if person_id and not any(p.id == person_id for p in task_owners(project, self.library, key)):
                continue
            lines.append((spec.label.get(language), format_date(schedule.dates[key].planned_due, language)))
        return dates_card(project.customer_name, port_date(project), lines, language)

    async def _channel_note(self, project: Project, item: OutboxItem, viewer: Any, language: Language) -> Card | None:
        lines = []
        for key in item.params.get("ready", []):
            if key in project.tasks:
                spec = spec_of(self.library, key, project)
                owners = ", ".join(r.label.get(language) for r in spec.owners)
                lines.append(t("note.ready", language, task=spec.label.get(language), owners=owners))
        for change in item.params.get("changes", []):
            key = str(change.get("key", ""))
            if key in project.tasks:
                state = t(f"state.{change.get('state')}", language)
                title = spec_of(self.library, key, project).label.get(language)
                lines.insert(0, t("note.changed", language, actor=plain(str(change.get("actor", ""))), task=title, state=state))
        return card([text(line) for line in lines]) if lines else None


    # -- issue 18: a PM's plan change, a question on a task -------------------------------
    async def _plan_changed(self, project: Project, item: OutboxItem, viewer: Any, language: Language) -> Card | None:
        """The task's card as it is now, headed by what the PM changed."""
        key = str(item.params.get("key", ""))
        if key not in project.tasks:  # a custom task removed (or its adding undone): a line naming it
            title = item.params.get(f"title_{language}")
            if not isinstance(title, str):
                return None
            what = "plan.told.undone_gone" if item.params.get("what") == "plan.told.undone" else "plan.told.custom_removed"
            return card([text(t(what, language, by=plain(str(item.params.get("by", ""))), task=plain(title)))])
        values = {k: plain(str(v)) for k, v in item.params.items() if k in ("by", "reason")}
        if item.params.get("date"):
            values["date"] = format_date(date.fromisoformat(str(item.params["date"])), language)
        notice = t(str(item.params.get("what", "plan.told.undone")), language, **values)
        return task_card(task_view(project, self.library, key, viewer=viewer, language=language, now=self.clock(),
                                   notice=notice))

    async def _question(self, project: Project, item: OutboxItem, viewer: Any, language: Language) -> Card | None:
        key, question_id = str(item.params.get("key", "")), str(item.params.get("question", ""))
        if key not in project.tasks or not any(q.id == question_id for q in project.pm_plan.questions):
            return None
        view = plan_view(project, self.library, key, viewer=viewer, language=language, due_iso="",
                         data={"p": project.id, "k": key, "r": project.tasks[key].rev})
        person_id = item.target.person_id
        can_answer = project.is_pm(person_id) or any(p.id == person_id for p in task_owners(project, self.library, key))
        return question_card(view, project.customer_name, spec_of(self.library, key, project).title.get(language), question_id,
                             can_answer=can_answer)
