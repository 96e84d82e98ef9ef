"""How tall the digest and status cards are where people read them: drawn by the Agents
Playground in headless Chromium, wide (the Playground's 446 px card column) and narrow (a
phone-width page, about 360 px), for the 23-task Cloud Voice project of the screenshots and a
project with both products and every option (83 tasks). Collapsed, the digest must stay under
1,200 px at 446 px; expanded ("Show all", "Phases"), it must show every fact the digest view
holds. The figures are printed (pytest -s) for docs/screenshots/README.md."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.domain.project import ConversationTarget
from cards.setup import RosterMember
from cards.views import digest_view
from dialogs.project_setup import parse_setup
from tests.e2e.playground import ALEX, GENERAL, TEAM, TENANT, USERS, text_of
from tests.e2e.screenshots import PHONE_WIDTH, at_width, toggle
from tests.e2e.stack import CUSTOMER, PROJECT_ROLES, Stack, set_up_project

pytestmark = [pytest.mark.e2e, pytest.mark.readability]

COLLAPSED_LIMIT_PX = 1200
BOTH = "Fabrikam Both"


def both_products_project(stack: Stack, customer: str = BOTH) -> Any:
    """A project with both products, porting, the provider's circuit and rented hardware (83
    tasks) in the team channel, made through the service (the form is driven in set_up_project)."""
    stack.teams.go(GENERAL)  # installs the app in the team
    values: dict[str, Any] = {
        "verb": "create_project", "customer": customer, "products": "cloud_voice_teams,officeconnect_ucaas",
        "porting": "true", "circuit": "true", "hardware": "rented", "kickoff": "", "port_date": "", "go_live": "",
        "timezone": "America/New_York", "language": "en",
    }
    for role, people in PROJECT_ROLES.items():
        values[f"role_{role.value}"] = ",".join(p.aad_object_id for p in people)
    runtime = stack.bot.runtime
    service_url = stack.playground.service_url

    async def create() -> str:
        from datetime import date, timedelta

        today = date.today()
        values.update(kickoff=today.isoformat(), port_date=(today + timedelta(days=45)).isoformat())
        roster = {u.aad_object_id: RosterMember(u.aad_object_id, u.name, u.id) for u in USERS}
        request, problems = parse_setup(values, roster, tuple(runtime.library.ids()), "en")
        assert request is not None, problems
        channel = ConversationTarget(TEAM, service_url, TENANT, "msteams", TEAM)
        pm = runtime.service.actor(ALEX.aad_object_id, ALEX.name, TENANT)
        return str((await runtime.service.create_project(pm, replace(request, channel=channel), TENANT)).id)

    stack.bot.call(create())
    stack.bot.settle()
    project = stack.bot.project_for(TEAM)
    assert project is not None and len(project.tasks) == 83, "the both-products project"
    return project


def posted_digest(stack: Stack, customer: str) -> Any:
    teams, bot = stack.teams, stack.bot
    teams.go(GENERAL)
    teams.post("digest post")
    bot.wait_received(lambda a: a.get("type") == "message" and text_of(a) == "digest post", "'digest post'")
    bot.settle()
    return teams.wait_card("Weekly digest", customer, label="digest", must_draw=True, resend=lambda: teams.post("digest post"))


def height(card: Any) -> float:
    box = card.bounding_box()
    assert box is not None
    return float(box["height"])


def every_fact(project: Any, stack: Stack) -> list[str]:
    """What the digest view holds for the reader: every listed task's title and detail, each
    phase, the go-live dates and the counts."""
    view = digest_view(project, stack.library, language="en", now=_now())
    facts = [view.forecast_go_live, view.target_go_live, view.answer.done_label, view.answer.reason]
    for lines in (view.completed, view.due_soon, view.overdue, view.blocked, view.waiting_customer,
                  view.waiting_provider, view.moved):
        facts += [line.title for line in lines]
    facts += [phase for phase, _, _ in view.progress]
    return facts


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def measure(stack: Stack, customer: str, project: Any) -> dict[str, float]:
    teams = stack.teams
    card = posted_digest(stack, customer)
    figures = {"wide_width": float(card.bounding_box()["width"]), "wide_collapsed": height(card)}
    teams.snap(card, f"{customer} collapsed wide")
    text = card.inner_text()
    assert "Show all" in text and "Phases" in text
    toggle(card, "Show all", "Phases")
    figures["wide_expanded"] = height(card)
    teams.snap(card, f"{customer} expanded wide")
    shown = card.inner_text()
    missing = [fact for fact in every_fact(project, stack) if fact not in shown]
    assert missing == [], f"the expanded digest does not show {missing}"
    toggle(card, "Show all", "Phases")  # collapsed again
    at_width(card, PHONE_WIDTH)
    narrow = card
    figures["narrow_width"] = float(narrow.bounding_box()["width"])
    figures["narrow_collapsed"] = height(narrow)
    teams.snap(narrow, f"{customer} collapsed narrow")
    print(f"\n{customer}: {len(project.tasks)} tasks, " + ", ".join(f"{k} {v:.0f} px" for k, v in figures.items()))
    return figures


def test_the_collapsed_digest_of_the_screenshot_project_is_short(stack: Stack) -> None:
    project = set_up_project(stack)
    figures = measure(stack, CUSTOMER, project)
    assert 430 <= figures["wide_width"] <= 460, figures
    assert figures["wide_collapsed"] < COLLAPSED_LIMIT_PX, figures
    assert figures["wide_expanded"] > figures["wide_collapsed"], figures


def test_the_collapsed_digest_of_both_products_is_under_1200_px(stack: Stack) -> None:
    project = both_products_project(stack)
    figures = measure(stack, BOTH, project)
    assert 430 <= figures["wide_width"] <= 460, figures
    assert figures["wide_collapsed"] < COLLAPSED_LIMIT_PX, figures
    assert figures["wide_expanded"] > figures["wide_collapsed"], figures
