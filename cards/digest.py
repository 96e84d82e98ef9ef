"""The weekly digest card (with Teams charts and a fallback for clients without them), the
PM's portfolio digest, and the project completion report."""

from __future__ import annotations

from bot.domain.catalogue import t
from bot.domain.text import Language
from cards.base import Card, Element, card, facts, heading, text, title
from cards.porting import porting_section
from cards.status import HEALTH_COLOR, task_section
from cards.views import CompletionView, DigestView


def progress_chart(view: DigestView) -> Element:
    """A donut of done / open / blocked, falling back to plain facts where charts don't render."""
    lang = view.language
    open_count = max(0, view.total - view.done - view.blocked_count)
    fallback = facts([
        (t("digest.done", lang), str(view.done)),
        (t("digest.open", lang), str(open_count)),
        (t("status.blocked", lang), str(view.blocked_count)),
    ])
    return {
        "type": "Chart.Donut",
        "title": t("digest.chart", lang),
        "data": [
            {"legend": t("digest.done", lang), "value": view.done},
            {"legend": t("digest.open", lang), "value": open_count},
            {"legend": t("status.blocked", lang), "value": view.blocked_count},
        ],
        "fallback": fallback,
    }


def phase_chart(view: DigestView) -> Element:
    lang = view.language
    fallback = facts([(phase, f"{done}/{total}") for phase, done, total in view.progress])
    return {
        "type": "Chart.HorizontalBar",
        "title": t("status.progress", lang),
        "data": [{"x": phase, "y": round(100 * done / total) if total else 0} for phase, done, total in view.progress],
        "fallback": fallback,
    }


def digest_card(view: DigestView) -> Card:
    lang = view.language
    body: list[Element] = [
        title(t("digest.title", lang, customer=view.customer_name)),
        text(f"{view.products} · {view.week} · {view.done}/{view.total}", subtle=True),
        text(view.health_label, color=HEALTH_COLOR[view.health.value], size="Medium"),
        facts([(t("status.go_live", lang), view.forecast_go_live), (t("status.target", lang), view.target_go_live)]),
        progress_chart(view),
        phase_chart(view),
    ]
    if view.complete:
        body.append(text(t("status.complete", lang), color="Good"))
    body += task_section(t("digest.completed", lang), view.completed, lang)
    body += task_section(t("digest.due_soon", lang), view.due_soon, lang)
    body += task_section(t("status.overdue", lang), view.overdue, lang)
    body += task_section(t("status.blocked", lang), view.blocked, lang)
    body += task_section(t("status.waiting_customer", lang), view.waiting_customer, lang)
    body += task_section(t("status.waiting_provider", lang), view.waiting_provider, lang)
    body += task_section(t("digest.moved", lang), view.moved, lang)
    body += porting_section(view.porting)  # issue 17: each order, and the FOCs that moved
    return card(body, fallback_text=t("digest.title", lang, customer=view.customer_name))


def portfolio_digest_card(views: list[DigestView], language: Language) -> Card:
    body: list[Element] = [title(t("digest.portfolio", language))]
    for view in views:
        body.append(heading(f"{view.customer_name} · {view.health_label}"))
        body.append(facts([
            (t("status.go_live", language), f"{view.forecast_go_live} ({t('status.target', language)}: {view.target_go_live})"),
            (t("digest.done", language), f"{view.done}/{view.total}"),
            (t("status.overdue", language), str(view.overdue_count)),
            (t("status.blocked", language), str(view.blocked_count)),
        ]))
    if not views:
        body.append(text(t("status.none", language), subtle=True))
    return card(body, fallback_text=t("digest.portfolio", language))


def completion_card(view: CompletionView) -> Card:
    lang = view.language
    body: list[Element] = [
        title(t("completion.title", lang, customer=view.customer_name)),
        heading(t("completion.services", lang)),
        text("\n".join(f"- {service}" for service in view.services)),
        heading(t("completion.dates", lang)),
        facts(view.key_dates),
        facts([(t("completion.invoice", lang), view.first_invoice)]),
        text(t("completion.export", lang), subtle=True),
    ]
    return card(body, fallback_text=t("completion.title", lang, customer=view.customer_name))
