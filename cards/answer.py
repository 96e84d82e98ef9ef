"""The answer-first top the digest and status cards share: the health badge with its reason,
go-live against the target, a progress chart, what each side owes this week, then blocked and
overdue. Past the first few items every list, and the per-phase chart, starts hidden: the
card's "Show all" and "Phases" buttons (Action.ToggleVisibility) reveal them in place.

Chart colours are Teams' well-known chart colours; `CHART_COLORS` holds their values as the
Teams and Playground renderers draw them, for the contrast test (tests/test_card_readability.py).
"""

from __future__ import annotations

from bot.domain.catalogue import t
from bot.domain.text import Language
from cards.base import Element, facts, heading, text
from cards.views import AnswerView, TaskLine

BADGE_STYLE = {"on_track": "good", "at_risk": "warning", "late": "attention"}
DONE_COLOR = "sequential1"
TODO_COLOR = "sequential4"
CHART_COLORS = {DONE_COLOR: "#333357", TODO_COLOR: "#7f85f5"}  # every series colour the cards use
CARD_BACKGROUND = "#ffffff"
PHASES_ID = "phases"
MAX_BARS = 4  # bars in one stacked chart


class Hidden:
    """The ids of the elements a card starts with hidden, for its "Show all" button."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.ids: list[str] = []

    def container(self, items: list[Element]) -> Element:
        element_id = f"{self.prefix}{len(self.ids) + 1}"
        self.ids.append(element_id)
        return {"type": "Container", "id": element_id, "isVisible": False, "items": items}


def health_badge(view: AnswerView) -> Element:
    """The health in the card's own colours, with its reason on one line."""
    return {
        "type": "Container",
        "style": BADGE_STYLE[view.health.value],
        "bleed": True,
        "items": [
            {"type": "TextBlock", "text": view.health_label, "weight": "Bolder", "size": "Medium", "wrap": True},
            {"type": "TextBlock", "text": view.reason, "wrap": True, "spacing": "None"},
        ],
    }


def go_live_facts(view: AnswerView, language: Language) -> Element:
    rows = [(t("status.go_live", language), view.forecast_go_live), (t("status.target", language), view.target_go_live)]
    if view.change:
        rows.append((t("answer.change", language), view.change))
    rows.append((t("answer.progress", language), view.done_label))
    return facts(rows)


def stacked_bars(title: str, bars: list[tuple[str, int, int]], language: Language) -> Element:
    """Tasks done against the rest, one stacked bar per (name, done, total), each bar the whole
    of its own total and named with its counts; the same facts as text where charts do not render."""
    done, todo = t("digest.done", language), t("chart.not_done", language)
    named = [(t("chart.phase_bar", language, phase=name, done=d, total=n), d, n) for name, d, n in bars]
    return {
        "type": "Chart.HorizontalBar.Stacked",
        "title": title,
        "data": [{
            "title": label,
            "data": [
                {"legend": done, "value": d, "color": DONE_COLOR},
                {"legend": todo, "value": n - d, "color": TODO_COLOR},
            ],
        } for label, d, n in named],
        "fallback": text("\n".join(f"- {label}" for label, _, _ in named)),
    }


def progress_chart(view: AnswerView, language: Language) -> Element:
    """A bar per product (one bar, the whole project, when there is no product)."""
    bars = [(name, d, n) for name, d, n in view.products if n] or [(t("digest.chart", language), view.done, view.total)]
    return stacked_bars(t("chart.done_of_total", language), bars[:MAX_BARS], language)


def phase_chart(view: AnswerView, language: Language) -> list[Element]:
    """A bar per phase, in charts of at most MAX_BARS bars (Teams draws no more in one)."""
    bars = [(phase, done, total) for phase, done, total in view.phases if total]
    return [stacked_bars(t("chart.by_phase", language), bars[i:i + MAX_BARS], language) for i in range(0, len(bars), MAX_BARS)]


def task_lines(lines: list[TaskLine]) -> Element:
    """One line per task, its title in bold: text runs, which no renderer reads as Markdown, so
    the reasons and names people typed (already `plain`) sit beside it as they are."""
    return {"type": "Container", "spacing": "Small", "items": [
        {"type": "RichTextBlock", "spacing": "Small", "inlines": [
            {"type": "TextRun", "text": f"• {line.title}", "weight": "Bolder"},
            {"type": "TextRun", "text": f" · {line.detail}"},
        ]} for line in lines
    ]}


def hidden_section(label: str, lines: list[TaskLine], hidden: Hidden) -> list[Element]:
    """A secondary list (completed, moved, milestones): wholly behind "Show all"."""
    return [hidden.container([heading(label), task_lines(lines)])] if lines else []


def answer_sections(view: AnswerView, language: Language, hidden: Hidden) -> list[Element]:
    """Everything below the badge and the go-live facts, most needed first; one call adds it."""
    body: list[Element] = [progress_chart(view, language)]
    if view.parties:
        body.append(heading(t("answer.this_week", language)))
    for party in view.parties:
        body.append({"type": "TextBlock", "text": party.label, "weight": "Bolder", "wrap": True, "spacing": "Small"})
        if party.top:
            body.append(task_lines(party.top))
        rest: list[Element] = [task_lines(party.rest)] if party.rest else []
        if party.more:
            rest.append(text(t("answer.more", language, n=party.more), subtle=True))
        if rest:
            body.append(hidden.container(rest))
    body += _counted(t("answer.blocked", language, n=view.blocked_count), view.blocked, view.blocked_count, hidden,
                     "Attention", language)
    body += _counted(t("answer.overdue", language, n=view.overdue_count), view.overdue, view.overdue_count, hidden,
                     "Warning", language)
    return body


def _counted(label: str, lines: list[TaskLine], count: int, hidden: Hidden, color: str, language: Language) -> list[Element]:
    if not lines:
        return []
    body = [{**heading(label), "color": color}, task_lines(lines[:3])]
    rest: list[Element] = [task_lines(lines[3:])] if lines[3:] else []
    if count > len(lines):
        rest.append(text(t("answer.more", language, n=count - len(lines)), subtle=True))
    if rest:
        body.append(hidden.container(rest))
    return body


def phases_section(view: AnswerView, language: Language) -> Element:
    return {"type": "Container", "id": PHASES_ID, "isVisible": False,
            "items": [heading(t("status.progress", language)), *phase_chart(view, language)]}


def toggle_actions(hidden: Hidden, language: Language) -> list[Element]:
    """"Show all" reveals every hidden list and section; "Phases" the per-phase chart."""
    actions: list[Element] = []
    if hidden.ids:
        actions.append({"type": "Action.ToggleVisibility", "title": t("answer.show_all", language),
                        "targetElements": list(hidden.ids)})
    actions.append({"type": "Action.ToggleVisibility", "title": t("answer.phases", language), "targetElements": [PHASES_ID]})
    return actions
