"""Questions on a task: anyone on the task asks from its card; the PM and the task's owners get
it with a card to answer; the thread shows on the task card, in status and in the export."""

from __future__ import annotations

from datetime import datetime

from bot.domain.authorization import Actor
from bot.domain.plan import task_owners
from bot.domain.plan_model import Message, Question
from bot.domain.playbook import PlaybookLibrary
from bot.domain.project import OutboxItem, OutboxKind, Project, Target
from bot.domain.transitions import Change, Refused, _record, spec_of

MAX_QUESTION_LENGTH = 2000
MAX_QUESTIONS_PER_TASK = 50


def on_task(project: Project, library: PlaybookLibrary, actor: Actor, key: str) -> bool:
    """The PM, the task's owners, and anyone holding a role that may confirm it."""
    if project.is_pm(actor.id) or any(p.id == actor.id for p in task_owners(project, library, key)):
        return True
    return bool(project.roles_of(actor.id) & set(spec_of(library, key).confirmers))


def _text(raw: str | None) -> tuple[str, bool]:
    """The text kept (capped) and whether it was cut; Refused when empty."""
    cleaned = (raw or "").strip()
    if not cleaned:
        raise Refused("question_empty")
    return cleaned[:MAX_QUESTION_LENGTH], len(cleaned) > MAX_QUESTION_LENGTH


def ask(project: Project, library: PlaybookLibrary, *, actor: Actor, key: str, text: str | None,
        now: datetime) -> tuple[Change, Question, bool]:
    if key not in project.tasks:
        raise Refused("unknown_task", key)
    if (actor.tenant_id != project.tenant_id and not actor.is_staff_pm) or not on_task(project, library, actor, key):
        raise Refused("not_on_task")
    body, cut = _text(text)
    if sum(1 for q in project.pm_plan.questions if q.key == key) >= MAX_QUESTIONS_PER_TASK:
        raise Refused("too_many_questions")
    change = Change(changed=[key])
    _record(project, change, actor, now, "question_asked", key=key, reason=body)
    question = Question(id=f"q{change.events[-1].seq}", key=key, asked=Message(actor.id, actor.name, body, now))
    project.pm_plan.questions.append(question)
    told = set(project.pm_ids) | {p.id for p in task_owners(project, library, key)}
    _owe(project, change, now, question, told - {actor.id})
    return change, question, cut


def answer(project: Project, library: PlaybookLibrary, *, actor: Actor, question_id: str, text: str | None,
           now: datetime) -> tuple[Change, Question, bool]:
    index = next((i for i, q in enumerate(project.pm_plan.questions) if q.id == question_id), None)
    if index is None:
        raise Refused("unknown_question", question_id)
    question = project.pm_plan.questions[index]
    if not (project.is_pm(actor.id) or any(p.id == actor.id for p in task_owners(project, library, question.key))):
        raise Refused("not_allowed")
    body, cut = _text(text)
    change = Change(changed=[question.key])
    _record(project, change, actor, now, "question_answered", key=question.key, reason=body, data={"question": question.id})
    question = Question(question.id, question.key, question.asked, (*question.answers, Message(actor.id, actor.name, body, now)))
    project.pm_plan.questions[index] = question
    told = {question.asked.by_id} | set(project.pm_ids) | {p.id for p in task_owners(project, library, question.key)}
    _owe(project, change, now, question, told - {actor.id})
    return change, question, cut


def thread(project: Project, key: str) -> list[Question]:
    return [q for q in project.pm_plan.questions if q.key == key]


def _owe(project: Project, change: Change, now: datetime, question: Question, people: set[str]) -> None:
    anchor = change.events[-1].id
    for person_id in sorted(people):
        project.owe(OutboxItem(id=f"{anchor}:question:{person_id}", kind=OutboxKind.QUESTION,
                               target=Target.person(person_id), created_at=now,
                               params={"key": question.key, "question": question.id}))
