"""The daily reminder: one card per person listing their tasks due tomorrow and overdue
(and, for a PM, the overdue tasks escalated to them), with a snooze button."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.catalogue import t
from bot.domain.text import Language
from cards.base import Card, Element, card, execute, facts, heading, plain, title


@dataclass(frozen=True, slots=True)
class ReminderLine:
    customer: str
    task: str
    kind: str  # due_tomorrow | overdue
    days_late: int


def _facts(lines: list[ReminderLine], language: Language) -> Element:
    def detail(line: ReminderLine) -> str:
        if line.kind == "due_tomorrow":
            return t("reminder.due_tomorrow", language)
        return t("reminder.overdue", language, n=line.days_late)

    return facts([(f"{plain(line.customer)} · {line.task}", detail(line)) for line in lines[:25]])


def reminder_card(lines: list[ReminderLine], escalations: list[ReminderLine], language: Language) -> Card:
    body: list[Element] = [title(t("reminder.title", language))]
    if lines:
        body.append(_facts(lines, language))
    if escalations:
        body += [heading(t("escalation.title", language)), _facts(escalations, language)]
    actions = [execute("snooze", t("reminder.snooze", language), {"s": 1})] if lines else []
    return card(body, actions, fallback_text=t("reminder.title", language))
