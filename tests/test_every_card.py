"""Every card the bot can send, in both languages, is valid Adaptive Card 1.5 (the official
schema and the official SDK) and under 28 KB: every task of both playbooks in every state, as
the PM, an owner and an outsider see it, and every other card."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.authorization import Actor
from bot.domain.catalogue import STRINGS, t
from bot.domain.project import ConversationTarget, Person, ProjectOptions, TaskState
from bot.domain.roles import Role
from bot.domain.text import Plural
from bot.domain.transitions import new_project
from cards.base import card, text
from cards.export import export_card
from cards.help import help_card, welcome_card
from cards.reminder import ReminderLine, reminder_card
from cards.setup import RosterMember, SetupView, setup_card
from cards.status import dates_card, my_tasks_card, portfolio_card, status_card
from cards.task import task_card
from cards.views import status_view, task_view
from tests.conftest import TENANT, pm_actor
from tests.support.card_validation import MAX_CARD_BYTES, cards_problems

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
LANGUAGES = ("en", "es")
CUSTOMER = Person("cust", "Cam <at>Customer</at> [x](http://evil)", "29:cust")


def full_project(library):
    people = {role: [CUSTOMER] for role in Role if role is not Role.PROVIDER_PM}
    project, _ = new_project(library, actor=pm_actor(), customer_name="Contoso **Pharma**", tenant_id=TENANT,
                             products=("cloud_voice_teams", "officeconnect_ucaas"),
                             options=ProjectOptions(porting=True, provider_circuit=True, hardware="bought"),
                             kickoff=NOW.date(), timezone="America/New_York", language="en", now=NOW,
                             requested_port_date=NOW.date() + timedelta(days=40), people=people,
                             channel=ConversationTarget("19:c@thread.tacv2", "http://127.0.0.1:1/", TENANT))
    return project


def test_every_task_card_in_every_state_for_every_viewer_is_valid(library) -> None:
    project = full_project(library)
    viewers = [pm_actor(), Actor("cust", "Cam", TENANT), Actor("x", "Stranger", TENANT), None]
    cards = []
    states = [TaskState.READY, TaskState.BLOCKED, TaskState.DONE, TaskState.REOPENED, TaskState.NOT_APPLICABLE]
    for index, key in enumerate(project.tasks):
        record = project.tasks[key]
        record.state = states[index % len(states)]
        record.changed_at, record.changed_by_name = NOW, "Pat <b>PM</b>"
        record.blocked_reason = "Waiting on [the bill](http://x) <at>Finance</at>" if record.state is TaskState.BLOCKED else None
    for key, viewer, language in itertools.product(project.tasks, viewers, LANGUAGES):
        cards.append(task_card(task_view(project, library, key, viewer=viewer, language=language, now=NOW,
                                         mention_owners=viewer is None, checks=["Cam: Teams Phone Standard ✓"])))
    assert len(cards) == len(project.tasks) * 8
    _assert_all_valid(cards)


def test_every_other_card_in_both_languages_is_valid(library) -> None:
    project = full_project(library)
    roster = [RosterMember(f"id-{i}", f"Member {i}", f"29:{i}") for i in range(40)]
    cards = []
    for language in LANGUAGES:
        view = status_view(project, library, language=language, now=NOW + timedelta(days=30))
        lines = [ReminderLine("Contoso", "Provide the CSR", "due_tomorrow", 0), ReminderLine("Contoso", "Sign the LOA", "overdue", 4)]
        cards += [
            welcome_card(language), help_card(language, True), help_card(language, False),
            setup_card(SetupView(language, [("cloud_voice_teams", "Cloud Voice"), ("officeconnect_ucaas", "OfficeConnect")],
                                 roster, ["The customer name is missing."], "2026-11-26")),
            status_card(view), portfolio_card([view, view], language), portfolio_card([], language),
            my_tasks_card([("Provide the CSR", "Contoso · Ready")] * 30, language), my_tasks_card([], language),
            dates_card("Contoso", date(2027, 1, 15), [("Provide the CSR", "December 25, 2026")], language),
            reminder_card(lines, lines, language), reminder_card([], lines, language),
            export_card("Contoso", "https://bot.example.com/api/exports/abc.def", language),
            card([text(t("unreachable", language, name="Cam"))]), card([text(t("reminder.snoozed", language))]),
        ]
    _assert_all_valid(cards)


def test_every_cross_organisation_card_in_both_languages_is_valid() -> None:
    """Issue 15: the staff roster (with and without people and candidates), the link code card and
    the shared-channel assignment card (with and without the other organisation's members)."""
    from cards.staff import SharedView, StaffLine, StaffView, link_code_card, shared_channel_card, staff_card

    lines = [StaffLine("t/a", "Ada <at>Admin</at>", "ada@p.example", "admin"), StaffLine("*/b", "b", "", "pm", True),
             *(StaffLine(f"t/{i}", f"PM {i}", f"pm{i}@p.example", "pm") for i in range(30))]
    candidates = [(f"t/{i}", f"Member **{i}**") for i in range(120)]
    members = [(f"c/{i}", f"Customer [{i}](http://x)") for i in range(40)]
    cards = []
    for language in LANGUAGES:
        cards += [
            staff_card(StaffView(language, lines, candidates, "Nia is now PM.")), staff_card(StaffView(language, [], [])),
            link_code_card("ABCD2345", 10, language),
            shared_channel_card(SharedView(language, "p-1", "Contoso **Pharma**", "Contoso IT", members)),
            shared_channel_card(SharedView(language, "p-1", "Contoso", "Contoso IT", [])),
            card([text(t("channel_only", language, name="Cam"))]), card([text(t("identity.refused", language, ref="abc12345"))]),
        ]
    _assert_all_valid(cards)


def test_every_string_exists_in_both_languages() -> None:
    for key, value in STRINGS.items():
        for form in value.forms if isinstance(value, Plural) else (value,):
            assert form.es.strip() and form.en.strip(), key


def _assert_all_valid(cards: list[dict]) -> None:
    for index, built in enumerate(cards):
        size = len(json.dumps(built, ensure_ascii=False).encode())
        assert size < MAX_CARD_BYTES, (index, size)
    problems = [(i, p) for i, p in enumerate(cards_problems(cards)) if p]
    assert problems == []


def test_every_document_card_in_both_languages_is_valid(library) -> None:
    """Document sections on the task cards (every review state, every viewer) and every document card."""
    from bot.domain.documents import DocumentKind, DocumentUpload, ReviewState
    from bot.domain.project import OutboxItem, OutboxKind, Target
    from cards.documents import (
        FilingChoice,
        FilingView,
        document_outbox_card,
        filed_card,
        filing_card,
        link_card,
        refused_card,
        upload_prompt_card,
    )

    project = full_project(library)
    document_keys = [k for k in project.tasks if library[k.split(":")[0]].task(k.split(":")[1]).documents]
    assert len(document_keys) >= 8
    states = [ReviewState.PENDING, ReviewState.ACCEPTED, ReviewState.REJECTED]
    for index, key in enumerate(document_keys):
        project.tasks[key].state = TaskState.READY
        spec = library[key.split(":")[0]].task(key.split(":")[1])
        for number, document in enumerate(spec.documents):
            for version in range(index % 5):  # 0 to 4 versions, more than the card shows
                project.documents.append(DocumentUpload(
                    f"u{index}{number}{version}", key, document.id, "Bill *[x](http://evil)* <at>Finance</at>.pdf",
                    DocumentKind.PDF, 123_456 * (version + 1), "0" * 64, f"t/p/{key}/{document.id}/u", "cust",
                    "Cam <at>Customer</at>", NOW, states[(index + version) % 3], "Pat PM", NOW,
                    "Page 2 **missing** [x](http://evil)" if states[(index + version) % 3] is ReviewState.REJECTED else None))
    viewers = [pm_actor(), Actor("cust", "Cam", TENANT), Actor("x", "Stranger", TENANT), None]
    cards = [task_card(task_view(project, library, key, viewer=viewer, language=language, now=NOW))
             for key, viewer, language in itertools.product(document_keys, viewers, LANGUAGES)]
    for upload, language in itertools.product(project.documents[:12], LANGUAGES):
        for kind in (OutboxKind.DOCUMENT_REVIEW, OutboxKind.DOCUMENT_REJECTED):
            built = document_outbox_card(project, library, OutboxItem("i", kind, Target.person("pm"), NOW,
                                                                      {"upload": upload.upload_id}), language)
            if built is not None:
                cards.append(built)
    for language in LANGUAGES:
        choices = [FilingChoice(f"p|k|d{i}", f"Contoso · Task {i} · Document {i}") for i in range(12)]
        cards += [
            filing_card(FilingView("s1", "bill.pdf", "1.2 MB", choices, language)),
            filing_card(FilingView("s1", "bill.pdf", "1.2 MB", choices, language, filed="Contoso · Task · Bill")),
            filed_card("bill <at>x</at>.pdf", "Contoso · Task · Bill", language),
            upload_prompt_card("Current phone bill", "Provide the CSR", language, personal=True),
            upload_prompt_card("Current phone bill", "Provide the CSR", language, personal=False),
            refused_card(t("documents.refused.type", language)),
            link_card("bill.pdf", "https://bot.example.com/api/documents/abc.def", 15, language),
        ]
    for language in LANGUAGES:
        status = status_card(status_view(project, library, language=language, now=NOW))
        assert "Documents outstanding" in str(status) or "Documentos pendientes" in str(status)
        cards.append(status)
    assert len(cards) > len(document_keys) * 8
    _assert_all_valid(cards)


def test_every_porting_card_in_both_languages_is_valid(library) -> None:
    """Issue 17: the numbers card (with the largest paste it echoes), port orders, rejection and cutover cards, glossary."""
    from bot.domain.glossary import TERMS
    from bot.domain.porting import MAX_PASTE_CHARS, MAX_PASTE_LINES, PortAction, PortStep, RejectionReason, add_numbers, apply_step, parse_paste
    from cards.glossary import glossary_card, term_card
    from cards.porting import cutover_card, order_card, orders_card, paste_card, rejection_card

    project = full_project(library)
    largest = "\n".join(f"x{i:013d}" for i in range(MAX_PASTE_LINES))  # every line a problem
    assert len(largest) <= MAX_PASTE_CHARS
    problems = parse_paste(largest, region="US", carrier="", btn="", taken={})
    assert len(problems.problems) == MAX_PASTE_LINES
    numbers = parse_paste("\n".join(f"212-555-{i:04d}" for i in range(500)), region="US", carrier="Verizon", btn="", taken={})
    add_numbers(project.port_book, numbers, now=NOW, partial=True)
    order = project.port_book.orders[0]
    for step in (PortStep(PortAction.SUBMIT, on_date=NOW.date()),
                 PortStep(PortAction.REJECT, reason=RejectionReason.OTHER, text="x" * 500, fixer=Role.AUTHORIZED_SIGNER),
                 PortStep(PortAction.RESUBMIT, on_date=NOW.date()),
                 PortStep(PortAction.FOC, foc_at=NOW + timedelta(days=30)),
                 PortStep(PortAction.TEMP_DIDS, dids=numbers_of(500))):
        apply_step(order, step, now=NOW, actor_name="Pat")
    cards = []
    for language in LANGUAGES:
        cards += [paste_card(project, "US", language), paste_card(project, "US", language, paste=problems, typed=largest, carrier="C" * 80),
                  order_card(project, order, language, NOW, pm=True), order_card(project, order, language, NOW, pm=False),
                  orders_card(project, language, NOW), rejection_card(project, order, language),
                  cutover_card(project, order, language, eve=True), cutover_card(project, order, language, eve=False),
                  glossary_card(language), term_card(TERMS[0], language)]
    _assert_all_valid(cards)


def numbers_of(count: int) -> tuple[str, ...]:
    return tuple(f"+1646555{i:04d}" for i in range(count))
@pytest.mark.pmtools
def test_every_pm_tools_card_in_both_languages_is_valid(library) -> None:
    """Issue 18's cards: a task with a moved date, new owners and a long thread; the question card;
    the porting date pickers; help per place (cards/plan.py, question.py, dates.py, help.py)."""
    from bot.domain.plan import move_due, reassign
    from bot.domain.questions import answer, ask
    from cards.dates import porting_dates_card
    from cards.plan import plan_view
    from cards.question import question_card

    project = full_project(library)
    key = next(iter(project.tasks))
    project.tasks[key].state = TaskState.READY
    reassign(project, library, actor=pm_actor(), key=key, person_ids=["cust"], now=NOW)
    move_due(project, library, actor=pm_actor(), key=key, due=NOW.date() + timedelta(days=20), reason="<at>x</at> late", now=NOW)
    customer = Actor("cust", "Cam", TENANT)
    for i in range(12):
        _, question, _ = ask(project, library, actor=customer, key=key, text=f"Question {i} " + "¿ñ? " * 400, now=NOW)
        answer(project, library, actor=pm_actor(), question_id=question.id, text="An answer **bold** [x](http://e)", now=NOW)
    cards = []
    for language in LANGUAGES:
        for viewer in (pm_actor(), customer, None):
            cards.append(task_card(task_view(project, library, key, viewer=viewer, language=language, now=NOW)))
        view = plan_view(project, library, key, viewer=pm_actor(), language=language, due_iso="", data={"p": project.id, "k": key})
        cards += [question_card(view, project.customer_name, "Task", project.pm_plan.questions[0].id, can_answer=True,
                                notice="notice"),
                  question_card(view, project.customer_name, "Task", project.pm_plan.questions[0].id, can_answer=False),
                  porting_dates_card(language, {"p": project.id}, foc=None, port=date(2027, 1, 15), minimum=NOW.date()),
                  porting_dates_card(language, {"p": project.id, "c": "foc:2026-11-01"}, foc=date(2026, 11, 1), port=None,
                                     minimum=NOW.date(), notice="past"),
                  help_card(language, True, personal=False, in_channel=True), help_card(language, False, personal=False,
                                                                                         in_channel=True)]
    _assert_all_valid(cards)


def test_every_custom_task_card_in_both_languages_is_valid(library) -> None:
    """Issue 18's custom tasks: an added task (long titles, markup) as the PM, its owner and the channel
    see it, with the PM menu's Remove and Add a task; the line its owner gets once it is removed."""
    from bot.domain.custom_tasks import add_custom_task

    project = full_project(library)
    after = next(iter(project.tasks))
    _, key = add_custom_task(project, library, actor=pm_actor(), playbook_id=after.split(":", 1)[0],
                             phase=library[after.split(":", 1)[0]].phases[0].id, title_es="Revisar <at>x</at> " + "ñ" * 190,
                             title_en="Review **the** [plan](http://e) " + "x" * 170, owner_ids=["cust"], due=None,
                             depends_on=[after], now=NOW)
    cards = []
    for language in LANGUAGES:
        for viewer in (pm_actor(), Actor("cust", "Cam", TENANT), None):
            cards.append(task_card(task_view(project, library, key, viewer=viewer, language=language, now=NOW)))
        cards.append(card([text(t("plan.told.custom_removed", language, by="Pat", task="Review"))]))
    assert any("plan_remove" in json.dumps(c) and "plan_add" in json.dumps(c) for c in cards)
    _assert_all_valid(cards)
