"""Cards a stakeholder reads in thirty seconds (issue 21): short titles for every task, chart
colours with enough contrast, charts that name their measure with integer values and a text
fallback, answer-first digest and status cards where a task is listed once and every longer
list starts hidden, and a task card that leads with what to do."""

from __future__ import annotations

import copy
import json
import tomllib
from datetime import timedelta
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest

from bot.domain.authorization import Action
from bot.domain.digest import answer_first, compute_digest, health_reason, record_weekly_digest
from bot.domain.playbook import SHORT_TITLE_MAX, PlaybookError, parse_playbook
from bot.domain.project import TaskState
from bot.domain.schedule import compute_schedule, health
from bot.domain.transitions import apply_task_action, spec_of
from cards.answer import CARD_BACKGROUND, CHART_COLORS
from cards.digest import digest_card
from cards.status import status_card
from cards.task import task_card
from cards.views import digest_view, status_view, task_view
from tests.conftest import pm_actor, toy_playbook_data
from tests.test_digest import START, project_at, scenarios

pytestmark = pytest.mark.readability

PLAYBOOKS = sorted((Path(__file__).resolve().parents[1] / "bot" / "playbooks").glob("*.toml"))


# -- short titles ------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", PLAYBOOKS, ids=lambda p: p.stem)
def test_every_task_has_a_short_title_in_both_languages(path: Path) -> None:
    tasks = tomllib.loads(path.read_text(encoding="utf-8"))["task"]
    assert tasks
    for task in tasks:
        short = task.get("short_title")
        assert isinstance(short, dict) and set(short) == {"es", "en"}, task["id"]
        for lang in ("es", "en"):
            assert short[lang].strip() and len(short[lang]) <= SHORT_TITLE_MAX, (task["id"], lang, short[lang])
            assert len(short[lang]) <= len(task["title"][lang]) or len(task["title"][lang]) <= 45, (task["id"], lang)
    for lang in ("es", "en"):
        names = [task["short_title"][lang] for task in tasks]
        assert len(set(names)) == len(names), f"two tasks of {path.stem} share a short title in {lang}"


@pytest.mark.parametrize("path", PLAYBOOKS, ids=lambda p: p.stem)
def test_each_short_title_line_sits_under_its_title_line(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    shorts = [i for i, line in enumerate(lines) if line.startswith("short_title = ")]
    assert len(shorts) == sum(1 for line in lines if line == "[[task]]")
    assert all(lines[i - 1].startswith("title = ") for i in shorts)


def test_the_loader_keeps_the_title_and_refuses_a_long_short_title(library) -> None:
    spec = library["cloud_voice_teams"].task("onboarding.login")
    assert spec.title.en.startswith("The contact we have on file with the signed contract")  # the source's row, untouched
    assert spec.label == spec.short_title and spec.label.en == "Log in to Service Control"
    data = copy.deepcopy(toy_playbook_data())
    assert parse_playbook(data, "toy.toml").task(data["task"][0]["id"]).label == parse_playbook(data, "toy.toml").task(
        data["task"][0]["id"]).title  # no short title: called by its title
    data["task"][0]["short_title"] = {"es": "x" * (SHORT_TITLE_MAX + 1), "en": "fine"}
    with pytest.raises(PlaybookError, match="'short_title' es is longer than 60 characters"):
        parse_playbook(data, "toy.toml")


# -- chart colours -----------------------------------------------------------------------------------
def luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_formula_matches_wcag_reference_values() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1.0)


def test_no_two_series_share_a_colour_and_every_pair_and_the_background_contrast_3_to_1() -> None:
    values = list(CHART_COLORS.values())
    assert len(set(CHART_COLORS)) == len(CHART_COLORS) and len(set(values)) == len(values)
    for (name_a, a), (name_b, b) in combinations(CHART_COLORS.items(), 2):
        assert contrast(a, b) >= 3.0, (name_a, name_b, round(contrast(a, b), 2))
    for name, value in CHART_COLORS.items():
        assert contrast(value, CARD_BACKGROUND) >= 3.0, (name, round(contrast(value, CARD_BACKGROUND), 2))


def charts(card: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if str(node.get("type", "")).startswith("Chart."):
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


def test_charts_use_only_the_checked_colours_integer_values_and_carry_a_fallback(library) -> None:
    for name, (project, now) in scenarios(library).items():
        for build in (lambda: digest_card(digest_view(project, library, language="en", now=now)),
                      lambda: status_card(status_view(project, library, language="en", now=now))):
            found = charts(build())
            assert {c["type"] for c in found} == {"Chart.HorizontalBar.Stacked"}, name
            phases = sum(len(c["data"]) for c in found if c["title"] == "Tasks done of total, per phase")
            assert phases == len(digest_view(project, library, language="en", now=now).progress) and phases > 4
            for chart in found:
                assert chart["title"].startswith("Tasks done of total") and 1 <= len(chart["data"]) <= 4, name
                fallback = json.dumps(chart["fallback"], ensure_ascii=False)
                for bar in chart["data"]:
                    colours = [point["color"] for point in bar["data"]]
                    assert colours == ["sequential1", "sequential4"] and set(colours) <= set(CHART_COLORS)
                    values = [point["value"] for point in bar["data"]]
                    assert all(isinstance(v, int) and v >= 0 for v in values)
                    assert bar["title"].endswith(f"({values[0]} of {sum(values)})"), bar["title"]  # the measure, named
                    assert bar["title"] in fallback  # the same facts as text


# -- answer first --------------------------------------------------------------------------------------
def test_the_reason_agrees_with_the_health_for_every_kind_of_project(library) -> None:
    seen = set()
    for project, now in scenarios(library).values():
        schedule = compute_schedule(project, library, now)
        reason = health_reason(project, schedule, now)
        assert reason.health is health(project, schedule, now)
        seen.add(reason.reason.value)
    assert "complete" in seen and seen & {"past_target", "long_overdue"} and len(seen) >= 3


def listed_keys(answer_view: Any) -> list[str]:
    keys = [line.key for line in answer_view.blocked + answer_view.overdue]
    for party in answer_view.parties:
        keys += [line.key for line in party.top + party.rest]
    return keys


def test_a_task_is_listed_once_blocked_before_overdue_before_its_side(library) -> None:
    project = project_at(library)
    ready = [k for k, r in project.tasks.items() if r.state is TaskState.READY]
    apply_task_action(project, library, actor=pm_actor(), action=Action.BLOCK, key=ready[0], now=START, reason="no PO")
    now = START + timedelta(days=12)  # the blocked task and several others are overdue by then
    view = digest_view(project, library, language="en", now=now).answer
    keys = listed_keys(view)
    assert len(keys) == len(set(keys)), "a task is listed twice"
    assert [line.key for line in view.blocked] == [ready[0]] and "days late" in view.blocked[0].detail
    assert view.overdue and ready[0] not in [line.key for line in view.overdue]
    expected = health_reason(project, compute_schedule(project, library, now), now)
    assert view.health is expected.health and view.health.value in ("at_risk", "late")
    assert view.reason.startswith(str(expected.n)) or f" {expected.n} " in view.reason
    for party in view.parties:
        assert len(party.top) <= 3


def test_each_side_owes_its_most_urgent_tasks_first(library) -> None:
    project = project_at(library)
    answer = answer_first(project, library, compute_schedule(project, library, START), START)
    sides = [load.party.value for load in answer.parties]
    assert sides[:2] == ["customer", "provider"]
    for load in answer.parties:
        days = [day for _, day in load.due]
        assert days == sorted(days)
        assert all(spec_of(library, key).owners[0].party is load.party for key, _ in load.due + load.later)


def test_forecast_go_live_says_how_it_changed_since_last_week(library) -> None:
    project = project_at(library)
    item = record_weekly_digest(project, library, START)
    assert item is not None and item.params["before"] == {}  # the first digest: nothing to compare
    later = START + timedelta(days=30)  # nothing done for a month: the forecast slips
    before = dict(project.last_forecast)
    view = digest_view(project, library, language="en", now=later, previous=before)
    slipped = (compute_schedule(project, library, later).forecast_go_live
               - compute_schedule(project, library, START).forecast_go_live).days
    assert slipped > 0 and view.answer.change == f"{slipped} days later than last week"
    es = digest_view(project, library, language="es", now=later, previous=before)
    assert es.answer.change == f"{slipped} días más tarde que la semana pasada"
    assert digest_view(project, library, language="en", now=START, previous=before).answer.change == "same as last week"


@pytest.mark.parametrize("build", ["digest", "status"])
def test_the_collapsed_card_shows_the_answer_and_hides_the_rest_behind_show_all(library, build: str) -> None:
    for name, (project, now) in scenarios(library).items():
        if build == "digest":
            card = digest_card(digest_view(project, library, language="en", now=now))
        else:
            card = status_card(status_view(project, library, language="en", now=now))
        body = card["body"]
        assert body[2]["type"] == "Container" and body[2]["style"] in ("good", "warning", "attention"), name
        assert body[2]["items"][1]["text"].endswith("."), "the badge gives its reason"
        assert body[3]["type"] == "FactSet" and body[3]["facts"][0]["title"] == "Forecast go-live"
        hidden = [e["id"] for e in body if e.get("isVisible") is False]
        hidden += [i["id"] for e in body for i in e.get("items", []) if i.get("isVisible") is False]
        toggles = {a["title"]: a["targetElements"] for a in card["actions"] if a["type"] == "Action.ToggleVisibility"}
        assert set(hidden) == set(toggles.get("Show all", [])) | set(toggles["Phases"]), name
        for element in body:  # visible lists hold at most three tasks
            if element.get("isVisible") is not False and element.get("type") == "Container" and element.get("items"):
                lines = [i for i in element["items"] if i.get("type") == "RichTextBlock"]
                assert len(lines) <= 3, (name, len(lines))


# -- task card and reminders ---------------------------------------------------------------------------
def test_the_task_card_leads_with_what_to_do_and_when(library) -> None:
    project = project_at(library)
    key = "cloud_voice_teams:onboarding.login"
    project.tasks[key].state = TaskState.READY
    view = task_view(project, library, key, viewer=pm_actor(), language="en", now=START)
    card = task_card(view)
    texts = [e.get("text", "") for e in card["body"]]
    assert texts[1] == "Log in to Service Control"
    assert texts[2].startswith("Due: ") and "Ready to do" in texts[2]
    assert spec_of(library, key).title.en in texts  # the source's sentence, word for word
    assert card["actions"][0].get("style") == "positive"  # the one button that matters comes first
    assert card["body"][-1]["type"] == "Container" and card["body"][-1]["separator"] is True  # the details come last


def test_lists_use_the_short_title(library) -> None:
    view = status_view(project_at(library), library, language="en", now=START)
    titles = [line.title for party in view.answer.parties for line in party.top + party.rest]
    assert titles and all(len(title) <= SHORT_TITLE_MAX for title in titles)


def test_a_moved_date_joins_the_line_of_a_task_already_listed(library) -> None:
    project = project_at(library)
    record_weekly_digest(project, library, START)
    before = dict(project.last_forecast)
    later = START + timedelta(days=30)
    view = digest_view(project, library, language="en", now=later, previous=before)
    listed = listed_keys(view.answer)
    moved_keys = {line.key for line in view.moved}
    assert not moved_keys & set(listed), "a moved task is listed twice"
    assert "go_live" in moved_keys  # the go-live is not a listed task: it keeps its own line
    lines = view.answer.blocked + view.answer.overdue + [line for p in view.answer.parties for line in p.top + p.rest]
    raw = {m.label_key for m in compute_digest(project, library, later, previous=before).moved}
    assert raw & set(listed), "the case under test: a listed task whose date moved"
    assert all("→" in line.detail for line in lines if line.key in raw)


def test_digest_and_status_cards_stay_within_the_card_budget(library) -> None:
    from tests.support.card_validation import MAX_CARD_BYTES

    for name, (project, now) in scenarios(library).items():
        for language in ("en", "es"):
            for card in (digest_card(digest_view(project, library, language=language, now=now)),
                         status_card(status_view(project, library, language=language, now=now))):
                size = len(json.dumps(card, ensure_ascii=False).encode())
                assert size < 0.8 * MAX_CARD_BYTES, (name, language, size)  # room for the sections others add
