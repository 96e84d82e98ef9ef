"""Issue 18 through the real app: the command table and help, plan changes and their undo, questions
on a task, picked dates, working days, private answers in a channel, and the CSV as Excel reads it."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.commands import COMMANDS, Argument, Audience, Place, available, parse_command
from bot.domain.catalogue import STRINGS, t
from bot.domain.schedule import compute_schedule
from tests.support.card_validation import assert_valid_cards
from tests.support.teams_activities import TeamsUser, card_action, message, personal
from tests.teams.conftest import ADMIN, CUSTOMER, INTRUDER, PM, SIGNER, STRANGER, TEAM, TECH, Harness
from tests.teams.flows import _is_with, actions_of, create_project, setup_values

pytestmark = pytest.mark.pmtools

CV = "cloud_voice_teams"
PHONE = f"{CV}:licensing.phone_standard"  # owned by the customer's global admin (ADMIN)
USERS = f"{CV}:licensing.users_a5_e5"  # due the day after kickoff; step 1 of onboarding waits on it
STEP1 = f"{CV}:onboarding.step1_voice_routes"
KICKOFF = f"{CV}:meetings.kickoff"  # the PM's, the customer's and the partner's; the porting tasks wait on it
CSR = f"{CV}:porting.csr_bill"
LOGIN = f"{CV}:onboarding.login"  # the customer primary contact's (CUSTOMER)
REFUSALS = ("Only a provider project manager", "I show the portfolio only", "Projects are set up in the customer's team",
            "I didn't get that", "Solo un gerente", "La cartera de proyectos", "Los proyectos se crean", "No entendí")


async def project(harness: Harness) -> str:
    return await create_project(harness, setup_values(CV, porting=True))


async def task_data(harness: Harness, project_id: str, key: str) -> dict[str, Any]:
    loaded = await harness.runtime.service.load(project_id)
    assert loaded is not None
    return {"p": project_id, "k": key, "r": loaded.tasks[key].rev}


async def invoke(harness: Harness, user: TeamsUser, verb: str, data: dict[str, Any], **inputs: str) -> dict[str, Any]:
    status, body = await harness.post(card_action(user, personal(user), verb, {**data, **inputs}, harness.service_url))
    assert status == 200 and body["statusCode"] == 200, body
    return body["value"]


def private_cards(harness: Harness, user: TeamsUser, since: int = 0) -> list[dict[str, Any]]:
    """Cards delivered to the person's 1:1 chats (the one they opened, and those the bot opened)."""
    return [c for r in harness.standin.delivered[since:] if r.conversation_id != TEAM.id
            and _is_with(harness, r.conversation_id, user) for c in r.cards]


def private_texts(harness: Harness, user: TeamsUser, since: int = 0) -> str:
    """The text answers the person got in their 1:1 chats."""
    return " ".join(r.text or "" for r in harness.standin.delivered[since:] if r.conversation_id != TEAM.id
                    and _is_with(harness, r.conversation_id, user))


def said(harness: Harness, since: int) -> str:
    """Everything the bot sent anywhere since `since`: texts and cards."""
    return " ".join(f"{r.text or ''} {r.cards}" for r in harness.standin.delivered[since:])


async def stored(harness: Harness, project_id: str) -> Any:
    loaded = await harness.runtime.service.load(project_id)
    assert loaded is not None
    return loaded


# -- 1. commands and help ---------------------------------------------------------------------
def test_the_command_table_is_complete_and_parses_its_own_words() -> None:
    seen: set[str] = set()
    for spec in COMMANDS:
        assert spec.help_key in STRINGS, spec.name
        for word in (*spec.es, *spec.en):
            assert word not in seen, f"{word!r} belongs to two commands"
            seen.add(word)
            parsed = parse_command(word)
            assert parsed.name == spec.name, word
        assert len(spec.manifest) == 0 or spec.argument is not Argument.TEXT


@pytest.mark.parametrize(("user", "where"), [(PM, "personal"), (PM, "channel"), (CUSTOMER, "personal"),
                                             (CUSTOMER, "channel")])
async def test_every_command_in_help_works_and_every_command_that_works_is_in_help(harness: Harness, user: TeamsUser,
                                                                                   where: str) -> None:
    await project(harness)
    conversation = TEAM if where == "channel" else personal(user)
    since = len(harness.standin.delivered)
    await harness.post(message(user, conversation, "help", harness.service_url))
    help_text = said(harness, since)
    is_pm = user is PM
    for spec in COMMANDS:
        listed = available(spec, is_pm=is_pm, personal=where == "personal", in_channel=where == "channel")
        assert (t(spec.help_key, "en") in help_text) == listed, spec.name  # help shows exactly the table's share
        before = len(harness.standin.delivered)
        await harness.post(message(user, conversation, spec.en[0], harness.service_url))
        answer = said(harness, before)
        refused = any(marker in answer for marker in REFUSALS)
        assert refused != listed, f"{spec.name}: listed={listed}, answer={answer[:300]}"
        if spec.name == "new_project":
            await harness.post(message(user, conversation, "cancel", harness.service_url))


async def test_help_in_spanish_lists_the_pm_section_only_for_the_pm(harness: Harness) -> None:
    await project(harness)
    await harness.post(message(CUSTOMER, personal(CUSTOMER), "ayuda", harness.service_url, locale="es-ES"))
    customer_help = str(harness.standin.cards_in(personal(CUSTOMER).id)[-1])
    assert "Lo que puedo hacer" in customer_help and "Para gerentes de proyecto" not in customer_help
    await harness.post(message(PM, personal(PM), "ayuda", harness.service_url, locale="es-ES"))
    pm_help = harness.standin.cards_in(personal(PM).id)[-1]
    assert "Para gerentes de proyecto" in str(pm_help) and "**deshacer**" in str(pm_help)
    assert_valid_cards([pm_help])


async def test_a_near_miss_gets_did_you_mean_in_the_persons_language(harness: Harness) -> None:
    chat = personal(CUSTOMER)
    await harness.post(message(CUSTOMER, chat, "statuss", harness.service_url))
    assert "Did you mean **status**?" in harness.standin.activities_in(chat.id)[-1]["text"]
    await harness.post(message(CUSTOMER, chat, "mis tarea", harness.service_url, locale="es-ES"))
    assert "¿Quiso decir **mis tareas**?" in harness.standin.activities_in(chat.id)[-1]["text"]
    await harness.post(message(CUSTOMER, chat, "qwertyuiop", harness.service_url))
    assert "Did you mean" not in harness.standin.activities_in(chat.id)[-1]["text"]


async def test_status_customer_matches_accents_case_and_part_of_the_name(harness: Harness) -> None:
    await create_project(harness, setup_values(CV, porting=False, customer="Compañía Ñandú"))
    chat = personal(PM)
    for typed in ("status ñandú", "status NANDU", "estado compania"):
        await harness.post(message(PM, chat, typed, harness.service_url))
        assert "Compañía Ñandú" in str(harness.standin.cards_in(chat.id)[-1]["body"][0]), typed
    await harness.post(message(PM, chat, "status globex", harness.service_url))
    assert "None of your projects matches" in harness.standin.activities_in(chat.id)[-1]["text"]


# -- 2. changing the plan ---------------------------------------------------------------------
async def test_pm_reassigns_from_the_card_menu_both_owners_are_told_and_the_new_one_can_confirm(harness: Harness) -> None:
    project_id = await project(harness)
    data = await task_data(harness, project_id, PHONE)
    since = len(harness.standin.delivered)
    card = await invoke(harness, PM, "plan_reassign", data, owners=TECH.aad_object_id)
    assert "reassigned to Tia Tech" in str(card) and "PM menu" in str(card)
    assert_valid_cards([card])
    assert (await stored(harness, project_id)).pm_plan.plan(PHONE).owner_ids == (TECH.aad_object_id,)
    for told in (TECH, ADMIN):  # the new owner and the one it was taken from
        assert any("reassigned this task" in str(c) for c in private_cards(harness, told, since)), told.name
    assert not any("reassigned this task" in str(c) for c in private_cards(harness, CUSTOMER, since))
    for person, has_it in ((TECH, True), (ADMIN, False)):  # "my tasks" follows the new owners
        await harness.post(message(person, personal(person), "my tasks", harness.service_url))
        assert ("Teams Phone Standard" in str(harness.standin.cards_in(personal(person).id)[-1])) == has_it, person.name
    confirm = actions_of(next(c for c in private_cards(harness, TECH, since) if "reassigned" in str(c)))["confirm"]
    await invoke(harness, TECH, "confirm", confirm)
    assert (await stored(harness, project_id)).tasks[PHONE].state.value == "done"


async def test_reassigning_outside_the_roster_is_refused_and_changes_nothing(harness: Harness) -> None:
    project_id = await project(harness)
    data = await task_data(harness, project_id, PHONE)
    card = await invoke(harness, PM, "plan_reassign", data, owners=INTRUDER.aad_object_id)
    assert "not on the project's roster" in str(card)
    assert (await stored(harness, project_id)).pm_plan.plan(PHONE).owner_ids == ()
    await harness.post(message(PM, TEAM, "reassign shared device to Ian Intruder", harness.service_url))
    assert "not on the project's roster" in private_texts(harness, PM)
    assert (await stored(harness, project_id)).pm_plan.tasks == {}


async def test_typed_reassign_and_undo_restore_the_owners(harness: Harness) -> None:
    project_id = await project(harness)
    await harness.post(message(PM, TEAM, "reassign shared device to Tia", harness.service_url))
    assert "reassigned to Tia Tech" in harness.standin.activities_in(TEAM.id)[-1]["text"]
    key = f"{CV}:licensing.shared_device"
    assert (await stored(harness, project_id)).pm_plan.plan(key).owner_ids == (TECH.aad_object_id,)
    since = len(harness.standin.delivered)
    await harness.post(message(PM, TEAM, "undo", harness.service_url))
    assert "Undid the last change" in harness.standin.activities_in(TEAM.id)[-1]["text"]
    saved = await stored(harness, project_id)
    assert key not in saved.pm_plan.tasks and saved.pm_plan.undo == []
    assert any("undid a plan change" in str(c) for c in private_cards(harness, TECH, since))
    kinds = [e.kind for e in await harness.runtime.store.project_events(project_id) if e.kind != "message_sent"]
    assert "task_reassigned" in kinds and kinds[-1] == "plan_change_undone"


async def test_moving_a_due_date_replans_what_depends_on_it_and_tells_its_owners(harness: Harness) -> None:
    project_id = await project(harness)
    await harness.post(message(PM, TEAM, "digest post", harness.service_url))  # the digest remembers the dates it showed
    before = compute_schedule(await stored(harness, project_id), harness.runtime.library, harness.clock())
    data = await task_data(harness, project_id, USERS)
    since = len(harness.standin.delivered)
    card = await invoke(harness, PM, "plan_due", data, due="2026-12-10", plan_reason="Licences delayed by the reseller")
    assert "is now due" in str(card)
    saved = await stored(harness, project_id)
    after = compute_schedule(saved, harness.runtime.library, harness.clock())
    assert after.dates[USERS].planned_due == date(2026, 12, 10)
    assert after.dates[STEP1].planned_due > before.dates[STEP1].planned_due  # the task after it re-planned
    told = [c for c in private_cards(harness, ADMIN, since) if "moved the due date" in str(c)]
    assert told and "Licences delayed by the reseller" in str(told[-1])
    events = [e for e in await harness.runtime.store.project_events(project_id) if e.kind == "due_moved"]
    assert events and STEP1 in events[-1].data["replanned"] and events[-1].reason == "Licences delayed by the reseller"
    # The digest's dates that moved carry the reason.
    await harness.post(message(PM, personal(PM), "digest", harness.service_url))
    digest = str(harness.standin.cards_in(personal(PM).id)[-1])
    assert "(Licences delayed by the reseller)" in digest and "→" in digest  # on the task's own line when listed (issue 21)


async def test_a_due_date_before_its_dependencies_is_refused(harness: Harness) -> None:
    project_id = await project(harness)
    data = await task_data(harness, project_id, STEP1)
    card = await invoke(harness, PM, "plan_due", data, due="2026-11-26", plan_reason="faster")
    assert "before the due date of a task it depends on" in str(card)
    assert (await stored(harness, project_id)).pm_plan.tasks == {}


async def test_a_due_date_needs_a_reason_and_a_date(harness: Harness) -> None:
    project_id = await project(harness)
    data = await task_data(harness, project_id, USERS)
    assert "give the reason" in str(await invoke(harness, PM, "plan_due", data, due="2026-12-10"))
    assert "Choose a date" in str(await invoke(harness, PM, "plan_due", data, due="", plan_reason="why"))
    assert (await stored(harness, project_id)).pm_plan.tasks == {}


async def test_a_past_due_date_is_questioned_then_saved_when_pressed_again(harness: Harness) -> None:
    project_id = await project(harness)
    harness.clock.now = datetime(2026, 12, 15, 15, 0, tzinfo=UTC)
    data = await task_data(harness, project_id, USERS)
    card = await invoke(harness, PM, "plan_due", data, due="2026-12-01", plan_reason="it was done late")
    assert "is in the past" in str(card)
    assert (await stored(harness, project_id)).pm_plan.tasks == {}
    again = actions_of(card)["plan_due"]
    assert again["c"] == "2026-12-01"
    await invoke(harness, PM, "plan_due", again, due="2026-12-01", plan_reason="it was done late")
    assert (await stored(harness, project_id)).pm_plan.plan(USERS).due == date(2026, 12, 1)


async def test_typed_due_command_keeps_working(harness: Harness) -> None:
    project_id = await project(harness)
    await harness.post(message(PM, TEAM, "due users - a5 2026-12-04 waiting on the reseller", harness.service_url))
    assert "is now due" in harness.standin.activities_in(TEAM.id)[-1]["text"]
    plan = (await stored(harness, project_id)).pm_plan.plan(USERS)
    assert plan.due == date(2026, 12, 4) and plan.due_reason == "waiting on the reseller"


async def test_not_applicable_with_a_reason_starts_what_waited_and_undo_takes_it_back(harness: Harness) -> None:
    project_id = await project(harness)
    data = await task_data(harness, project_id, KICKOFF)
    assert "give the reason" in str(await invoke(harness, PM, "plan_na", data))
    assert (await stored(harness, project_id)).tasks[KICKOFF].state.value == "ready"
    since = len(harness.standin.delivered)
    card = await invoke(harness, PM, "plan_na", data, plan_reason="Kickoff held by phone last week")
    assert "marked not applicable" in str(card)
    saved = await stored(harness, project_id)
    assert saved.tasks[KICKOFF].state.value == "not_applicable" and saved.tasks[CSR].state.value == "ready"
    assert any("not applicable: Kickoff held by phone" in str(c) for c in private_cards(harness, CUSTOMER, since))
    undo = actions_of(card)["plan_undo"]
    card = await invoke(harness, PM, "plan_undo", undo)
    assert "Undid the last change" in str(card)
    saved = await stored(harness, project_id)
    assert saved.tasks[KICKOFF].state.value == "ready" and saved.tasks[CSR].state.value == "waiting"
    await harness.post(message(PM, TEAM, "undo", harness.service_url))
    assert "no plan change to undo" in said(harness, since)


async def test_a_pm_menu_action_from_a_non_pm_is_refused_and_their_card_has_no_menu(harness: Harness) -> None:
    project_id = await project(harness)
    data = await task_data(harness, project_id, PHONE)
    card = await invoke(harness, ADMIN, "plan_due", data, due="2027-01-10", plan_reason="mine")
    assert "Only a provider project manager" in str(card)
    assert "PM menu" not in str(card) and "Ask a question" in str(card)
    assert (await stored(harness, project_id)).pm_plan.tasks == {}
    pm_card = await invoke(harness, PM, "refresh", data)
    assert {"plan_reassign", "plan_due", "plan_na", "ask"} <= set(actions_of(pm_card))
    due_input = [e for a in pm_card["actions"] if a.get("type") == "Action.ShowCard" for e in a["card"]["body"]
                 if e.get("id") == "due"]
    assert due_input and due_input[0]["type"] == "Input.Date"


# -- 3. questions -----------------------------------------------------------------------------
async def test_a_customer_asks_the_pm_answers_and_the_thread_shows_on_card_status_and_export(harness: Harness) -> None:
    project_id = await project(harness)
    data = await task_data(harness, project_id, LOGIN)
    since = len(harness.standin.delivered)
    card = await invoke(harness, CUSTOMER, "ask", data, question="Which address gets the portal invitation?")
    assert "Question sent" in str(card) and "Which address gets the portal invitation?" in str(card)
    pm_cards = [c for c in private_cards(harness, PM, since) if "Question on" in str(c)]
    assert pm_cards, "the PM did not get the question"
    assert_valid_cards(pm_cards)
    answer = actions_of(pm_cards[-1])["answer"]
    await harness.post(message(PM, personal(PM), "status", harness.service_url))
    assert "Unanswered questions" in str(harness.standin.cards_in(personal(PM).id)[-1])
    since = len(harness.standin.delivered)
    reply = await invoke(harness, PM, "answer", answer, answer="The one on the signed order form.")
    assert "Answer sent" in str(reply)
    answered = [c for c in private_cards(harness, CUSTOMER, since) if "The one on the signed order form." in str(c)]
    assert answered
    refreshed = await invoke(harness, CUSTOMER, "refresh", await task_data(harness, project_id, LOGIN))
    assert "Questions" in str(refreshed) and "The one on the signed order form." in str(refreshed)
    rows = await export_rows(harness)
    assert any(r[2] == "question_asked" and "portal invitation" in r[9] for r in rows)
    assert any(r[2] == "question_answered" and "signed order form" in r[9] for r in rows)


async def test_a_question_of_ten_thousand_characters_is_capped_with_a_message(harness: Harness) -> None:
    project_id = await project(harness)
    data = await task_data(harness, project_id, LOGIN)
    card = await invoke(harness, CUSTOMER, "ask", data, question="x" * 10_000)
    assert "I cut it to 2000" in str(card)
    saved = await stored(harness, project_id)
    assert len(saved.pm_plan.questions[0].asked.text) == 2000
    assert len(str(card).encode()) < 28_000


async def test_an_empty_question_or_one_from_someone_off_the_task_changes_nothing(harness: Harness) -> None:
    project_id = await project(harness)
    data = await task_data(harness, project_id, LOGIN)
    assert "write your question" in str(await invoke(harness, CUSTOMER, "ask", data, question="   "))
    assert "Only the people on this task" in str(await invoke(harness, SIGNER, "ask", data, question="hi?"))
    assert (await stored(harness, project_id)).pm_plan.questions == []


# -- 4. dates are picked --------------------------------------------------------------------
async def test_foc_alone_offers_date_pickers_that_save_and_question_a_past_date(harness: Harness) -> None:
    project_id = await project(harness)
    chat = personal(PM)
    await harness.post(message(PM, chat, "foc", harness.service_url))
    form = harness.standin.cards_in(chat.id)[-1]
    assert [e["type"] for e in form["body"] if e.get("id") in ("foc", "port")] == ["Input.Date", "Input.Date"]
    assert_valid_cards([form])
    data = actions_of(form)["set_dates"]
    past = await invoke(harness, PM, "set_dates", data, foc="2026-11-20")
    assert "is in the past" in str(past) and (await stored(harness, project_id)).foc_date is None
    await invoke(harness, PM, "set_dates", actions_of(past)["set_dates"], foc="2026-11-20")
    assert (await stored(harness, project_id)).foc_date == date(2026, 11, 20)
    refused = await invoke(harness, CUSTOMER, "set_dates", data, foc="2027-01-05")
    assert "Only a provider project manager" in str(refused)


# -- 5. working days --------------------------------------------------------------------------
async def test_a_reminder_that_falls_on_a_saturday_moves_to_monday(harness: Harness) -> None:
    await project(harness)
    await harness.post(message(PM, TEAM, "holidays none", harness.service_url))
    admin_chat = next(c.conversation_id for c in harness.standin.created_conversations
                      if any(m["id"] == ADMIN.teams_id for m in c.members))

    def reminders() -> list[dict[str, Any]]:
        return [c for cid in (admin_chat, personal(ADMIN).id) for c in harness.standin.cards_in(cid, kinds=("send", "reply"))
                if "A reminder of your tasks" in str(c["body"][0].get("text", ""))]

    harness.clock.now = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)  # Saturday, 10:00 in New York: tasks overdue
    await harness.runtime.scheduler.run_due()
    harness.clock.now = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)  # Sunday
    await harness.runtime.scheduler.run_due()
    weekend = len(reminders())
    assert not any("overdue" in str(c) for c in reminders()[:weekend])
    harness.clock.now = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # Monday
    await harness.runtime.scheduler.run_due()
    assert len(reminders()) == weekend + 1 and "overdue" in str(reminders()[-1])


async def test_the_holiday_list_wrong_format_is_refused_and_a_good_one_is_kept(harness: Harness) -> None:
    project_id = await project(harness)
    await harness.post(message(PM, TEAM, "holidays 2026-12-24, tomorrow", harness.service_url))
    assert "I can't read “tomorrow”" in private_texts(harness, PM)
    assert (await stored(harness, project_id)).pm_plan.holidays is None
    await harness.post(message(PM, TEAM, "holidays 2026-12-24, 2026-12-31", harness.service_url))
    assert "Holidays saved: 2 days" in harness.standin.activities_in(TEAM.id)[-1]["text"]
    assert (await stored(harness, project_id)).pm_plan.holidays == (date(2026, 12, 24), date(2026, 12, 31))
    await harness.post(message(PM, personal(PM), "holidays", harness.service_url))
    assert "2026-12-24, 2026-12-31" in harness.standin.activities_in(personal(PM).id)[-1]["text"]


# -- 6. private answers -----------------------------------------------------------------------
async def test_my_tasks_in_a_channel_goes_to_the_person_and_the_channel_gets_a_pointer(harness: Harness) -> None:
    await project(harness)
    since = len(harness.standin.delivered)
    await harness.post(message(ADMIN, TEAM, "my tasks", harness.service_url))
    channel_part = [r for r in harness.standin.delivered[since:] if r.conversation_id == TEAM.id]
    assert len(channel_part) == 1 and not channel_part[0].cards
    assert "Ada Admin, I answered you in our 1:1 chat." == channel_part[0].text
    assert any("Your tasks" in str(c) and "Teams Phone Standard" in str(c) for c in private_cards(harness, ADMIN, since))


async def test_a_refusal_in_a_channel_goes_privately_and_the_status_stays_public(harness: Harness) -> None:
    await project(harness)
    since = len(harness.standin.delivered)
    await harness.post(message(STRANGER, TEAM, "export", harness.service_url))
    channel_text = " ".join(r.text or "" for r in harness.standin.delivered[since:] if r.conversation_id == TEAM.id)
    assert "not on this project" not in channel_text and "Sam Stranger, I answered you in our 1:1 chat." in channel_text
    assert "You are not on this project" in private_texts(harness, STRANGER, since)
    await harness.post(message(CUSTOMER, TEAM, "status", harness.service_url))
    assert "Activation status: Contoso" in str(harness.standin.cards_in(TEAM.id)[-1])


async def test_where_no_private_chat_can_be_opened_the_channel_gets_as_little_as_possible(harness: Harness) -> None:
    await project(harness)
    harness.standin.fail_always(kind="create_conversation", status=403, code="BotNotInConversationRoster")
    since = len(harness.standin.delivered)
    await harness.post(message(SIGNER, TEAM, "digest", harness.service_url))
    texts = [r.text for r in harness.standin.delivered[since:] if r.conversation_id == TEAM.id]
    assert texts and "can't message you privately" in texts[-1] and "Only a provider" not in texts[-1]


# -- 7. export and wording --------------------------------------------------------------------
async def export_rows(harness: Harness) -> list[list[str]]:
    await harness.post(message(PM, personal(PM), "export", harness.service_url))
    url = harness.standin.cards_in(personal(PM).id)[-1]["actions"][0]["url"]
    async with harness.session.get(harness.url + url[url.index("/api/exports/"):]) as response:
        raw = await response.read()
    assert raw[:3] == b"\xef\xbb\xbf", "no UTF-8 byte-order mark: Excel would read the file as ANSI"
    return list(csv.reader(io.StringIO(raw[3:].decode("utf-8"))))


async def test_the_csv_opens_in_excel_with_accents_formula_guard_and_iso_dates(harness: Harness) -> None:
    await create_project(harness, setup_values(CV, porting=True, customer="Telefónica Ñ"))
    project_id = await harness.runtime.service.project_for_conversation(TEAM.id)
    assert project_id
    data = await task_data(harness, project_id, PHONE)
    await invoke(harness, ADMIN, "block", data, reason="=HYPERLINK(\"http://evil\") — licencias en camino")
    rows = await export_rows(harness)
    assert rows[0][:3] == ["seq", "at", "kind"]
    blocked = next(r for r in rows if r[6] == "blocked" or r[7] == "blocked")
    assert blocked[9].startswith("'=") and "licencias en camino" in blocked[9]  # accents intact, formula neutralised
    for row in rows[1:]:
        assert datetime.fromisoformat(row[1]).tzinfo is not None  # ISO 8601 with its offset


def test_plurals_are_right_in_both_languages() -> None:
    assert t("status.days_late", "en", n=1) == "1 day late" and t("status.days_late", "en", n=2) == "2 days late"
    assert t("reminder.overdue", "es", n=1) == "vencida hace 1 día" and t("reminder.overdue", "es", n=3) == "vencida hace 3 días"
    assert t("holidays.set", "en", n=1).startswith("Holidays saved: 1 day.")
    assert t("question.capped", "es", n=2000).endswith("lo recorté a 2000.")


def test_help_audiences_and_places_are_what_the_handler_enforces() -> None:
    by_name = {spec.name: spec for spec in COMMANDS}
    assert by_name["new_project"].place is Place.CHANNEL and by_name["new_project"].audience is Audience.PM
    assert by_name["status_all"].place is Place.PERSONAL
    assert all(spec.audience is Audience.PM for spec in COMMANDS if spec.name in ("undo", "reassign", "move_due", "export"))


async def test_reassigning_to_someone_of_another_organisation_is_refused(harness: Harness) -> None:
    project_id = await project(harness)
    # Tia is on the roster, but the bot knows her as a member of another tenant (the project records one).
    await harness.runtime.service.remember_user(TECH.aad_object_id, tenant_id="22222222-2222-2222-2222-222222222222")
    card = await invoke(harness, PM, "plan_reassign", await task_data(harness, project_id, PHONE), owners=TECH.aad_object_id)
    assert "not in its organization" in str(card)
    assert (await stored(harness, project_id)).pm_plan.tasks == {}


async def test_typed_reassign_in_spanish_splits_at_the_last_a(harness: Harness) -> None:
    project_id = await project(harness)
    await harness.post(message(PM, TEAM, "reasignar Asignar números telefónicos a las Cuentas de Recursos a Tia",
                               harness.service_url, locale="es-ES"))
    assert "reasignada a Tia Tech" in harness.standin.activities_in(TEAM.id)[-1]["text"]
    assert (await stored(harness, project_id)).pm_plan.plan(f"{CV}:programming.assign_numbers").owner_ids == (TECH.aad_object_id,)
