"""The weekly digest card, answer first (cards/answer.py: health and its reason, go-live, what
each side owes, blocked and overdue; the rest behind "Show all"), the PM's portfolio digest,
and the project completion report."""

from __future__ import annotations

from bot.domain.catalogue import t
from bot.domain.text import Language
from cards.answer import Hidden, answer_sections, go_live_facts, health_badge, hidden_section, phases_section, toggle_actions
from cards.base import Card, Element, card, facts, heading, text, title
from cards.porting import porting_section
from cards.views import CompletionView, DigestView


def digest_card(view: DigestView) -> Card:
    """Top to bottom: the answer, then (hidden) completed this week and the dates that moved,
    then (hidden) the phases. A new section goes in `sections` below, before "completed"."""
    lang = view.language
    answer = view.answer
    hidden = Hidden("d")
    body: list[Element] = [
        title(t("digest.title", lang, customer=view.customer_name)),
        text(f"{view.products} · {view.week}", subtle=True),
        health_badge(answer),
        go_live_facts(answer, lang),
    ]
    if view.complete:
        body.append(text(t("status.complete", lang), color="Good"))
    body += answer_sections(answer, lang, hidden)
    body += porting_section(view.porting)  # issue 17: each order, and the FOCs that moved
    body += hidden_section(t("digest.completed", lang), view.completed, hidden)
    body += hidden_section(t("digest.moved", lang), view.moved, hidden)
    body.append(phases_section(answer, lang))
    return card(body, toggle_actions(hidden, lang), fallback_text=t("digest.title", lang, customer=view.customer_name))


def portfolio_digest_card(views: list[DigestView], language: Language) -> Card:
    body: list[Element] = [title(t("digest.portfolio", language))]
    for view in views:
        body.append(heading(f"{view.customer_name} · {view.health_label}"))
        body.append(text(view.answer.reason, subtle=True))
        body.append(facts([
            (t("status.go_live", language), f"{view.forecast_go_live} ({t('status.target', language)}: {view.target_go_live})"),
            (t("answer.progress", language), view.answer.done_label),
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
