"""The status card: progress per phase, what is overdue and blocked, who we wait on, the next
milestones and the forecast go-live against the target."""

from __future__ import annotations

from datetime import date

from bot.domain.catalogue import t
from bot.domain.text import Language
from cards.base import Card, Element, bullets, card, facts, heading, plain, text, title
from cards.dates import format_date
from cards.porting import porting_section
from cards.views import StatusView, TaskLine

HEALTH_COLOR = {"on_track": "Good", "at_risk": "Warning", "late": "Attention"}


def task_section(label: str, lines: list[TaskLine], language: Language) -> list[Element]:
    if not lines:
        return [heading(label), text(t("status.none", language), subtle=True)]
    return [heading(label), facts([(line.title, line.detail) for line in lines])]


def status_card(view: StatusView) -> Card:
    lang = view.language
    body: list[Element] = [
        title(t("status.title", lang, customer=view.customer_name)),
        text(f"{view.products} · {view.done}/{view.total}", subtle=True),
        facts([
            (t("status.health", lang), view.health_label),
            (t("status.go_live", lang), view.forecast_go_live),
            (t("status.target", lang), view.target_go_live),
        ]),
    ]
    if view.complete:
        body.append(text(t("status.complete", lang), color="Good", size="Medium"))
    body.append(text(view.health_label, color=HEALTH_COLOR[view.health.value], size="Medium"))
    body += [heading(t("status.progress", lang)), facts([(phase, f"{done}/{total}") for phase, done, total in view.progress])]
    body += task_section(t("status.overdue", lang), view.overdue, lang)
    body += task_section(t("status.blocked", lang), view.blocked, lang)
    body += task_section(t("status.waiting_customer", lang), view.waiting_customer, lang)
    body += task_section(t("status.waiting_provider", lang), view.waiting_provider, lang)
    body += task_section(t("status.milestones", lang), view.milestones, lang)
    body += porting_section(view.porting)  # issue 17
    if view.questions:
        body += [heading(t("question.open", lang)), bullets(view.questions)]
    return card(body, fallback_text=t("status.title", lang, customer=view.customer_name))


def portfolio_card(views: list[StatusView], language: Language) -> Card:
    body: list[Element] = [title(t("status.portfolio", language))]
    rows = [
        (v.customer_name, f"{v.health_label} · {v.done}/{v.total} · {v.forecast_go_live}") for v in views
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
