"""The PM menu and "Ask a question" on a task card, and the task's question thread: a view
built from the project (`plan_view`) and the card parts task_card adds (`pm_menu_actions`,
`thread_blocks`). Pure functions; the verbs are handled in bot/teams/handler.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.authorization import Actor
from bot.domain.catalogue import t
from bot.domain.plan import task_owners
from bot.domain.playbook import PlaybookLibrary
from bot.domain.project import Project
from bot.domain.questions import MAX_QUESTION_LENGTH, on_task, thread
from bot.domain.text import Language
from bot.domain.transitions import spec_of
from cards.base import Element, execute, heading, plain, show_card, text
from cards.dates import format_moment

PLAN_VERBS = ("plan_reassign", "plan_due", "plan_na", "plan_undo")
ASK_VERB, ANSWER_VERB = "ask", "answer"


@dataclass(frozen=True, slots=True)
class PlanView:
    language: Language
    data: dict[str, object]  # the task's ids and revision
    is_pm: bool = False
    can_ask: bool = False
    roster: list[tuple[str, str]] = field(default_factory=list)  # (person id, name)
    owner_ids: list[str] = field(default_factory=list)
    due_iso: str = ""
    can_undo: bool = False
    thread: list[str] = field(default_factory=list)  # "Name (when): text" lines, answers indented


def plan_view(project: Project, library: PlaybookLibrary, key: str, *, viewer: Actor | None, language: Language,
              due_iso: str, data: dict[str, object]) -> PlanView:
    lines = []
    for question in thread(project, key):
        for i, message in enumerate((question.asked, *question.answers)):
            when = format_moment(message.at, language, project.timezone)
            prefix = "❓" if i == 0 else "↳"
            lines.append(f"{prefix} **{plain(message.by_name)}** ({when}): {plain(message.text[:400])}")
    if viewer is None:
        return PlanView(language, data, thread=lines)
    is_pm = project.is_pm(viewer.id) and (viewer.tenant_id == project.tenant_id or viewer.is_staff_pm)
    roster = list({p.id: p.name for people in project.people.values() for p in people}.items())
    return PlanView(
        language, data, is_pm=is_pm, can_ask=viewer.tenant_id == project.tenant_id and on_task(project, library, viewer, key),
        roster=[(pid, plain(name)) for pid, name in roster],
        owner_ids=[p.id for p in task_owners(project, library, key)], due_iso=due_iso,
        can_undo=is_pm and bool(project.pm_plan.undo), thread=lines)


def thread_blocks(view: PlanView) -> list[Element]:
    if not view.thread:
        return []
    return [heading(t("question.thread", view.language)), *[text(line) for line in view.thread[-12:]]]


def pm_menu_actions(view: PlanView) -> list[Element]:
    """At most two actions: the PM menu (reassign, due date, not applicable, undo) and "Ask a question"."""
    lang = view.language
    actions: list[Element] = []
    if view.is_pm:
        body: list[Element] = [
            {"type": "Input.ChoiceSet", "id": "owners", "label": t("plan.owners", lang), "isMultiSelect": True,
             "value": ",".join(view.owner_ids), "choices": [{"title": name, "value": pid} for pid, name in view.roster]},
            {"type": "Input.Date", "id": "due", "label": t("plan.due", lang), "value": view.due_iso},
            {"type": "Input.Text", "id": "plan_reason", "label": t("plan.reason", lang), "maxLength": 500},
        ]
        menu = [execute("plan_reassign", t("plan.reassign", lang), view.data, associated_inputs="auto"),
                execute("plan_due", t("plan.move_due", lang), view.data, associated_inputs="auto"),
                execute("plan_na", t("plan.na", lang), view.data, associated_inputs="auto")]
        if view.can_undo:
            menu.append(execute("plan_undo", t("plan.undo", lang), view.data))
        actions.append(show_card(t("plan.menu", lang), body, menu))
    if view.can_ask:
        question = {"type": "Input.Text", "id": "question", "label": t("question.label", lang), "isMultiline": True,
                    "maxLength": MAX_QUESTION_LENGTH}
        actions.append(show_card(t("question.ask", lang), [question],
                                 [execute(ASK_VERB, t("question.send", lang), view.data, associated_inputs="auto")]))
    return actions


def when_text(moment: datetime, view: PlanView, timezone: str) -> str:
    return format_moment(moment, view.language, timezone)


def open_question_lines(project: Project, library: PlaybookLibrary, language: Language, limit: int = 8) -> list[str]:
    """Questions on tasks nobody has answered yet, for the status card."""
    lines = []
    for question in project.pm_plan.questions:
        if not question.answers and question.key in project.tasks:
            title = spec_of(library, question.key).title.get(language)
            lines.append(f"“{title}”: {plain(question.asked.by_name)}: {plain(question.asked.text[:200])}")
    return lines[-limit:]


def moved_reason(project: Project, key: str) -> str:
    """" (reason)" for a due date the PM moved, for the digest's dates that moved."""
    reason = project.pm_plan.plan(key).due_reason if key in project.tasks else None
    return f" ({plain(reason)})" if reason else ""
