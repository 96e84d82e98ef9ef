"""The card a question (or its answer) brings the PM, the task's owners and the asker: the
thread so far and a box to answer in."""

from __future__ import annotations

from bot.domain.catalogue import t
from bot.domain.questions import MAX_QUESTION_LENGTH
from cards.base import Card, card, execute, plain, text, title
from cards.plan import ANSWER_VERB, PlanView, thread_blocks


def question_card(view: PlanView, customer: str, task_title: str, question_id: str, *, can_answer: bool,
                  notice: str | None = None) -> Card:
    lang = view.language
    body = [text(plain(customer), subtle=True), title(t("question.title", lang, task=plain(task_title)))]
    if notice:
        body.insert(0, text(notice, color="Warning"))
    body += thread_blocks(view)
    actions = []
    if can_answer:
        body.append({"type": "Input.Text", "id": "answer", "label": t("question.answer_label", lang), "isMultiline": True,
                     "maxLength": MAX_QUESTION_LENGTH})
        actions.append(execute(ANSWER_VERB, t("question.answer", lang), {**view.data, "q": question_id},
                               associated_inputs="auto"))
    return card(body, actions, fallback_text=t("question.title", lang, task=plain(task_title)))
