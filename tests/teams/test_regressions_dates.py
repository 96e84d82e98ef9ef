"""Issue 22, items 4, 6, 10 and 12, through the Teams protocol (the real app, a Bot Connector
stand-in): porting dates the bot must refuse or question, user text shown as typed, and one
welcome per conversation whichever event announces the bot."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.teams_activities import bot_added, card_submit, channel, installation_added, message, personal
from tests.teams.conftest import ADMIN, PM, TEAM, Harness
from tests.teams.flows import actions_of, click, create_project, latest_task_cards, setup_values

pytestmark = pytest.mark.regressions
LICENSE = "cloud_voice_teams:licensing.phone_standard"


def last_text(harness: Harness, conversation_id: str) -> str:
    """The last answer there; for a pointer to the person's 1:1 (issue 18), the answer it points to."""
    shown = str(harness.standin.activities_in(conversation_id)[-1].get("text") or "")
    if "chat personal" in shown or "1:1 chat" in shown:
        return next(str(r.text) for r in reversed(harness.standin.delivered) if r.conversation_id != conversation_id and r.text)
    return shown


async def say(harness: Harness, text: str) -> str:
    """The PM types in the project's channel; the bot's answer."""
    before = len(harness.standin.activities_in(TEAM.id))
    private_before = len(harness.standin.delivered)
    await harness.post(message(PM, TEAM, text, harness.service_url))
    answers = harness.standin.activities_in(TEAM.id)[before:]
    assert len(answers) >= 1, f"no answer to {text!r}"
    answer = str(answers[0].get("text") or "")
    if "answered you in our 1:1 chat" in answer:  # a refusal goes to the PM's 1:1 (issue 18): read it there
        private = [r.text for r in harness.standin.delivered[private_before:] if r.conversation_id != TEAM.id and r.text]
        assert private, f"no private answer to {text!r}"
        return str(private[-1])
    return answer


def shown_text(value: Any) -> str:
    """Every string in a card, joined: what a reader can see (and what markup could come from)."""
    if isinstance(value, dict):
        return " ".join(shown_text(v) for v in value.values())
    if isinstance(value, list):
        return " ".join(shown_text(v) for v in value)
    return value if isinstance(value, str) else ""


def cards_since(harness: Harness, mark: int) -> list[dict[str, Any]]:
    return [c for record in harness.standin.delivered[mark:] for c in record.cards]


# -- item 4: the FOC wins over the requested port date ---------------------------------------

async def test_port_date_after_the_foc_says_the_foc_wins_and_sends_nothing(harness: Harness) -> None:
    project_id = await create_project(harness, setup_values("cloud_voice_teams", porting=True))
    assert "FOC date recorded" in await say(harness, "foc 2027-01-15")
    events = len(await harness.runtime.store.project_events(project_id))
    mark = len(harness.standin.delivered)

    answer = await say(harness, "port date 2027-01-20")

    assert "Port date moved" not in answer
    assert "FOC date" in answer and "January 15, 2027" in answer and "nothing changed" in answer
    assert "foc YYYY-MM-DD" in answer  # how to change it
    assert cards_since(harness, mark) == []  # no "Dates updated" to the channel or any owner
    assert len(harness.standin.delivered) - mark == 2  # only the answer, in the PM's 1:1, and its pointer (issue 18)
    project = await harness.runtime.service.load(project_id)
    assert project is not None and str(project.requested_port_date) == "2027-01-15" and str(project.foc_date) == "2027-01-15"
    assert len(await harness.runtime.store.project_events(project_id)) == events


# -- item 6: dates that are not dates, in the past, or implausibly far ------------------------

@pytest.mark.parametrize(("typed", "expected"), [
    ("foc 2026-02-30", "2026-02-30 is not a valid date (YYYY-MM-DD)"),
    ("foc 2026-13-01", "2026-13-01 is not a valid date"),
    ("foc 12/20/2026", "Write the date as YYYY-MM-DD (year-month-day), for example: **foc 2026-12-26**"),
    ("port date 1/15/2027", "for example: **port date 2026-12-26**"),
])
async def test_a_date_that_is_not_one_is_named_and_changes_nothing(harness: Harness, typed: str, expected: str) -> None:
    project_id = await create_project(harness, setup_values("cloud_voice_teams", porting=True))
    mark = len(harness.standin.delivered)
    answer = await say(harness, typed)
    assert expected in answer and "didn't get that" not in answer
    assert cards_since(harness, mark) == []
    project = await harness.runtime.service.load(project_id)
    assert project is not None and project.foc_date is None and str(project.requested_port_date) == "2027-01-15"


async def test_spanish_date_problems_are_in_spanish(harness: Harness) -> None:
    await create_project(harness, setup_values("cloud_voice_teams", porting=True))
    await harness.post(message(PM, TEAM, "portabilidad 2026-02-30", harness.service_url, locale="es-ES"))
    assert "2026-02-30 no es una fecha válida" in last_text(harness, TEAM.id)


async def test_a_past_date_is_asked_about_and_recorded_once_confirmed(harness: Harness) -> None:
    project_id = await create_project(harness, setup_values("cloud_voice_teams", porting=True))
    mark = len(harness.standin.delivered)

    question = await say(harness, "port date 2026-11-01")
    assert "November 1, 2026 is in the past" in question and "**port date 2026-11-01 confirm**" in question
    question = await say(harness, "foc 2020-01-01")
    assert "January 1, 2020 is in the past" in question and "**foc 2020-01-01 confirm**" in question
    assert cards_since(harness, mark) == []  # nothing went to the customer
    project = await harness.runtime.service.load(project_id)
    assert project is not None and str(project.requested_port_date) == "2027-01-15" and project.foc_date is None

    assert "Port date moved to 2026-11-01" in await say(harness, "port date 2026-11-01 confirm")
    project = await harness.runtime.service.load(project_id)
    assert project is not None and str(project.requested_port_date) == "2026-11-01"
    assert any("Dates updated" in str(c) for c in cards_since(harness, mark))


async def test_a_date_years_ahead_is_refused_as_implausible(harness: Harness) -> None:
    project_id = await create_project(harness, setup_values("cloud_voice_teams", porting=True))
    mark = len(harness.standin.delivered)
    for typed in ("foc 2099-01-01", "port date 2099-01-01", "port date 2099-01-01 confirm"):
        answer = await say(harness, typed)
        assert "more than two years away" in answer and "nothing changed" in answer, answer
    assert cards_since(harness, mark) == []
    project = await harness.runtime.service.load(project_id)
    assert project is not None and project.foc_date is None and str(project.requested_port_date) == "2027-01-15"


async def test_the_form_names_a_port_date_before_kickoff_and_a_past_go_live(harness: Harness) -> None:
    await harness.post(message(PM, TEAM, "new project", harness.service_url))
    bad = setup_values("cloud_voice_teams", porting=True) | {"port_date": "2026-11-20", "go_live": "2026-11-01"}
    await harness.post(card_submit(PM, TEAM, bad, harness.service_url))
    form = harness.standin.cards_in(TEAM.id)[-1]
    problems = [e["text"] for e in form["body"] if e.get("color") == "Attention"]
    assert "The requested port date is before the kickoff date." in problems
    assert "The target go-live is in the past." in problems
    assert await harness.runtime.service.project_for_conversation(TEAM.id) is None
    # The corrected form still creates the project (the dialog kept waiting).
    await harness.post(card_submit(PM, TEAM, setup_values("cloud_voice_teams", porting=True) | {"go_live": "2027-03-01"},
                                   harness.service_url))
    project_id = await harness.runtime.service.project_for_conversation(TEAM.id)
    assert project_id is not None


# -- item 10: what people wrote is stored and shown as written -------------------------------

async def test_a_block_reason_is_stored_and_shown_as_typed_yet_inert(harness: Harness) -> None:
    project_id = await create_project(harness, setup_values("cloud_voice_teams", porting=True))
    reason = "Waiting on finance (PO 4711) **bold** <at>Pat PM</at> [pay](http://evil.example)"
    data = actions_of(latest_task_cards(harness, ADMIN)[LICENSE])["block"]
    await click(harness, ADMIN, "block", data, reason=reason)

    project = await harness.runtime.service.load(project_id)
    assert project is not None and project.tasks[LICENSE].blocked_reason == reason  # stored as typed
    events = await harness.runtime.store.project_events(project_id)
    assert any(e.reason == reason for e in events)

    await harness.post(message(PM, TEAM, "status", harness.service_url))
    shown = [shown_text(latest_task_cards(harness, PM)[LICENSE]["body"]), shown_text(harness.standin.cards_in(TEAM.id)[-1]["body"])]
    for body in shown:
        assert "(PO 4711)" in body and "Waiting on finance" in body  # parentheses as written
        assert "\\" not in body  # no backslash escapes to show through
        assert "**bold**" not in body and "bold" in body  # visible, not bold
        assert "<at>Pat PM</at>" not in body and "](" not in body  # neither a mention nor a link


# -- item 12: one welcome per conversation, on either event ----------------------------------

def welcomes(harness: Harness, conversation_id: str) -> int:
    return sum(1 for c in harness.standin.cards_in(conversation_id) if c["body"][0]["text"].startswith(("Hi", "Hola")))


async def test_the_bot_added_to_a_team_greets_once_on_either_event(harness: Harness) -> None:
    # conversationUpdate alone (the bot added as a member) greets.
    await harness.post(bot_added(PM, TEAM, harness.service_url))
    assert welcomes(harness, TEAM.id) == 1
    await harness.post(installation_added(PM, TEAM, harness.service_url))
    assert welcomes(harness, TEAM.id) == 1
    # The other order, in another team: installationUpdate first, then the arrival.
    other = channel("porting", TEAM.tenant_id)
    await harness.post(installation_added(PM, other, harness.service_url))
    await harness.post(bot_added(PM, other, harness.service_url))
    assert welcomes(harness, other.id) == 1
    # A 1:1 chat is greeted once as well.
    chat = personal(ADMIN)
    await harness.post(installation_added(ADMIN, chat, harness.service_url, locale="es-ES"))
    await harness.post(installation_added(ADMIN, chat, harness.service_url, locale="es-ES"))
    assert welcomes(harness, chat.id) == 1


async def test_removing_the_bot_and_adding_it_again_greets_again(harness: Harness) -> None:
    await harness.post(installation_added(PM, TEAM, harness.service_url))
    removed = installation_added(PM, TEAM, harness.service_url) | {"action": "remove"}
    status, _ = await harness.post(removed)
    assert status < 300
    await harness.post(bot_added(PM, TEAM, harness.service_url))
    await harness.post(installation_added(PM, TEAM, harness.service_url))
    assert welcomes(harness, TEAM.id) == 2


@pytest.mark.parametrize(("typed", "shown"), [
    ("(PO 4711)", "(PO 4711)"),  # nothing to escape: left alone
    ("PO_4711 a < b > c 5* hotel", "PO_4711 a < b > c 5* hotel"),  # a lone * or _ cannot pair
    ("**bold** _it_", "\u2217\u2217bold\u2217\u2217 \uff3fit\uff3f"),
    ("- one\n1. two", "\u2060- one\n\u20601. two"),  # no list
    ("<at>Pat PM</at>", "<\u2060at>Pat PM<\u2060/at>"),
    ("[pay](http://x) [r]: http://x", "[pay]\u2060(http://x) [r]\u2060: http://x"),
])
def test_plain_breaks_only_what_can_become_markup(typed: str, shown: str) -> None:
    from cards.base import plain

    assert plain(typed) == shown
