"""The status card: progress per phase, what is overdue and blocked, who we wait on, the next
milestones and the forecast go-live against the target."""

from __future__ import annotations

from datetime import date

from bot.domain.catalogue import t
from bot.domain.text import Language
from cards.answer import Hidden, answer_sections, go_live_facts, health_badge, hidden_section, phases_section, toggle_actions
from cards.base import Card, Element, bullets, card, facts, heading, plain, text, title
from cards.dates import format_date
from cards.documents import document_status_elements
from cards.porting import porting_section
from cards.views import StatusView, TaskLine

HEALTH_COLOR = {"on_track": "Good", "at_risk": "Warning", "late": "Attention"}


def task_section(label: str, lines: list[TaskLine], language: Language) -> list[Element]:
    if not lines:
        return [heading(label), text(t("status.none", language), subtle=True)]
    return [heading(label), facts([(line.title, line.detail) for line in lines])]


def status_card(view: StatusView) -> Card:
    """The digest's answer-first top (cards/answer.py), then (hidden) the next milestones, then
    (hidden) the phases. A new section goes in before the milestones."""
    lang = view.language
    answer = view.answer
    hidden = Hidden("s")
    body: list[Element] = [
        title(t("status.title", lang, customer=view.customer_name)),
        text(view.products, subtle=True),
        health_badge(answer),
        go_live_facts(answer, lang),
    ]
    if view.complete:
        body.append(text(t("status.complete", lang), color="Good", size="Medium"))
    body += answer_sections(answer, lang, hidden)
    body += document_status_elements(view.documents, lang)  # issue 16
    body += porting_section(view.porting)  # issue 17
    if view.questions:  # issue 18
        body += [heading(t("question.open", lang)), bullets(view.questions)]
    body += hidden_section(t("status.milestones", lang), view.milestones, hidden)
    body.append(phases_section(answer, lang))
    return card(body, toggle_actions(hidden, lang), fallback_text=t("status.title", lang, customer=view.customer_name))


def portfolio_card(views: list[StatusView], language: Language) -> Card:
    body: list[Element] = [title(t("status.portfolio", language))]
    rows = [
        (v.customer_name, f"{v.health_label} · {v.answer.done_label} · {v.forecast_go_live}") for v in views
    ]
    body.append(facts(rows) if rows else text(t("status.none", language), subtle=True))
    return card(body, fallback_text=t("status.portfolio", language))


def my_tasks_card(lines: list[tuple[str, str]], language: Language) -> Card:
    body: list[Element] = [title(t("mytasks.title", language))]
    body.append(facts(lines) if lines else text(t("mytasks.none", language), subtle=True))
    return card(body, fallback_text=t("mytasks.title", language))


def dates_card(customer_name: str, port: date | None, lines: list[tuple[str, str]], language: Language) -> Card:
    """Due dates after the FOC or port date moved."""
    body: list[Element] = [title(t("dates.title", language, customer=plain(customer_name)))]
    if port:
        body.append(text(t("dates.port", language, date=format_date(port, language))))
    body.append(facts(lines[:30]) if lines else text(t("status.none", language), subtle=True))
    return card(body, fallback_text=t("dates.title", language, customer=plain(customer_name)))
