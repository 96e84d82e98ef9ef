"""Number porting in the domain and on cards: numbers parsed with phonenumbers (any common
format, the project's country, E.164), problems line by line, grouping into port orders, the
lifecycle and its refusals, the old carrier's cancellation gated on verification, cutover
moments, the glossary, and every porting card valid in both languages."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.commands import parse_command
from bot.domain.catalogue import STRINGS, t
from bot.domain.glossary import ABBREVIATIONS, TERMS, lookup, terms_in
from bot.domain.porting import (
    MAX_PASTE_LINES,
    LineProblem,
    PortAction,
    PortBook,
    PortRefusal,
    PortState,
    PortStep,
    Refusal,
    RejectionReason,
    add_numbers,
    apply_step,
    parse_paste,
    region_for_timezone,
)
from bot.domain.project import Person, Project, ProjectOptions, TaskState
from bot.domain.roles import Role
from bot.domain.transitions import _refresh_readiness, new_project
from bot.porting_service import _owe_cutovers, next_cutover_at
from cards.glossary import glossary_card, term_card, with_terms
from cards.porting import (
    REFUSAL_KEY,
    cutover_card,
    order_card,
    orders_card,
    paste_card,
    porting_csv_rows,
    porting_section,
    porting_view,
    rejection_card,
)
from tests.conftest import TENANT, pm_actor
from tests.support.card_validation import cards_problems

pytestmark = pytest.mark.porting
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
NY = ZoneInfo("America/New_York")


def paste(text: str, *, carrier: str = "Verizon", btn: str = "", book: PortBook | None = None):
    return parse_paste(text, region="US", carrier=carrier, btn=btn, taken=(book or PortBook()).owner_of())


def project_with(library, product: str = "cloud_voice_teams") -> Project:
    people = {Role.CUSTOMER_PRIMARY_CONTACT: [Person("cust", "Cam Customer", "29:cust")],
              Role.AUTHORIZED_SIGNER: [Person("signer", "Sid Signer", "29:signer")]}
    project, _ = new_project(library, actor=pm_actor(), customer_name="Contoso", tenant_id=TENANT, products=(product,),
                             options=ProjectOptions(porting=True), kickoff=NOW.date(), timezone="America/New_York",
                             language="en", now=NOW, requested_port_date=date(2027, 1, 15), people=people)
    return project


# -- numbers ----------------------------------------------------------------------------------
def test_any_common_format_is_stored_as_e164() -> None:
    result = paste("(212) 555-0123\n212.555.0124\n+1 212 555 0125\n1-212-555-0126\n2125550127")
    assert [line.number for line in result.valid] == ["+12125550123", "+12125550124", "+12125550125", "+12125550126", "+12125550127"]
    assert result.problems == []


def test_invalid_duplicate_and_foreign_lines_are_listed_line_by_line() -> None:
    result = paste("212-555-0123\nnot a number\n(212) 555-0123\n+52 55 1234 5678\n12345")
    problems = {(line.line_no, line.problem, line.detail) for line in result.problems}
    assert problems == {(2, LineProblem.INVALID, ""), (3, LineProblem.DUPLICATE, "1"), (4, LineProblem.FOREIGN, "MX"),
                        (5, LineProblem.INVALID, "")}
    assert [line.number for line in result.valid] == ["+12125550123"]


def test_a_header_line_is_skipped_and_lines_may_name_carrier_and_btn() -> None:
    result = paste("Number,Carrier,BTN\n212-555-0123, AT&T, 212-555-0100\n212-555-0124\t AT&T \t2125550100\n212-555-0125", carrier="")
    assert [(line.number, line.carrier, line.btn) for line in result.valid] == [
        ("+12125550123", "AT&T", "+12125550100"), ("+12125550124", "AT&T", "+12125550100")]
    assert [(line.line_no, line.problem) for line in result.problems] == [(4, LineProblem.NO_CARRIER)]


def test_numbers_are_grouped_per_carrier_and_btn_and_numbers_in_an_order_are_flagged() -> None:
    book = PortBook()
    first = paste("212-555-0123, Verizon, 212-555-0100\n212-555-0124, verizon, 212-555-0100\n212-555-0125, AT&T\n212-555-0126, AT&T")
    orders = add_numbers(book, first, now=NOW, partial=True)
    assert [(o.id, o.carrier, o.btn, o.numbers) for o in orders] == [
        ("PO1", "Verizon", "+12125550100", ("+12125550123", "+12125550124")),
        ("PO2", "AT&T", "+12125550125", ("+12125550125", "+12125550126")),  # no BTN: the group's first number
    ]
    assert all(o.partial for o in orders)
    again = paste("212-555-0124\n212-555-0199, Verizon, 212-555-0100", book=book)
    assert [(line.problem, line.detail) for line in again.problems] == [(LineProblem.IN_ORDER, "PO1")]
    add_numbers(book, again, now=NOW, partial=False)
    assert book.order("PO1").numbers[-1] == "+12125550199"  # a draft order of the same carrier and BTN grows
    assert len(book.orders) == 2


def test_a_submitted_order_does_not_grow_a_new_order_is_made() -> None:
    book = PortBook()
    add_numbers(book, paste("212-555-0123, Verizon, 212-555-0100"), now=NOW, partial=False)
    apply_step(book.order("PO1"), PortStep(PortAction.SUBMIT, on_date=NOW.date()), now=NOW, actor_name="Pat")
    add_numbers(book, paste("212-555-0124, Verizon, 212-555-0100", book=book), now=NOW, partial=False)
    assert [o.numbers for o in book.orders] == [("+12125550123",), ("+12125550124",)]


def test_ten_thousand_lines_are_refused_with_the_limit_in_well_under_a_second(capsys) -> None:
    huge = "\n".join(f"(212) 555-{i % 10000:04d}" for i in range(10_000))
    started = time.perf_counter()
    result = paste(huge)
    refused_in = time.perf_counter() - started
    assert result.too_many and result.line_count == 10_000 and result.lines == ()
    assert refused_in < 0.5
    largest = "\n".join(f"(212) 555-{i:04d}" for i in range(MAX_PASTE_LINES))
    started = time.perf_counter()
    handled = paste(largest)
    parsed_in = time.perf_counter() - started
    assert len(handled.valid) == MAX_PASTE_LINES and not handled.too_many
    assert parsed_in < 2.0  # generous: two CPUs shared by six engineers
    with capsys.disabled():
        print(f"\n[porting] 10,000 lines refused in {refused_in * 1000:.2f} ms; {MAX_PASTE_LINES} lines parsed in {parsed_in * 1000:.0f} ms")


def test_the_projects_country_comes_from_its_time_zone() -> None:
    assert region_for_timezone("America/New_York") == "US"
    assert region_for_timezone("America/Mexico_City") == "MX"
    assert region_for_timezone("Europe/Madrid") == "ES"
    assert region_for_timezone("Nowhere/Else") == "US"
    mexican = parse_paste("55 1234 5678\n+1 212-555-0123", region="MX", carrier="Telmex", btn="", taken={})
    assert [line.number for line in mexican.valid] == ["+525512345678"]
    assert mexican.problems[0].problem is LineProblem.FOREIGN and mexican.problems[0].detail == "US"


# -- lifecycle -----------------------------------------------------------------------------------
def an_order():
    book = PortBook()
    add_numbers(book, paste("212-555-0123\n212-555-0124"), now=NOW, partial=False)
    return book.order("PO1")


def test_the_whole_lifecycle_with_a_rejection_and_a_resubmission() -> None:
    order = an_order()
    apply_step(order, PortStep(PortAction.SUBMIT, on_date=date(2026, 12, 1), requested=date(2027, 1, 15)), now=NOW, actor_name="Pat")
    apply_step(order, PortStep(PortAction.REJECT, reason=RejectionReason.BILL_TOO_OLD), now=NOW, actor_name="Pat")
    assert order.state is PortState.REJECTED and order.rejections[-1].fixer is Role.CUSTOMER_PRIMARY_CONTACT
    apply_step(order, PortStep(PortAction.RESUBMIT, on_date=date(2026, 12, 3)), now=NOW, actor_name="Pat")
    foc = datetime(2027, 1, 14, 10, 0, tzinfo=NY)
    apply_step(order, PortStep(PortAction.FOC, foc_at=foc), now=NOW, actor_name="Pat")
    moved = datetime(2027, 1, 16, 9, 0, tzinfo=NY)
    apply_step(order, PortStep(PortAction.FOC, foc_at=moved), now=NOW + timedelta(days=1), actor_name="Pat")
    apply_step(order, PortStep(PortAction.COMPLETE), now=NOW, actor_name="Pat")
    apply_step(order, PortStep(PortAction.VERIFY, calls_done=True), now=NOW, actor_name="Pat")
    assert order.state is PortState.VERIFIED
    assert (order.resubmissions, len(order.rejections), order.requested_foc) == (1, 1, date(2027, 1, 15))
    assert order.foc_moves[0][1:] == ("2027-01-14", "2027-01-16")
    assert order.rev == 7


@pytest.mark.parametrize(("steps", "attempt", "code"), [
    ([], PortStep(PortAction.FOC, foc_at=datetime(2027, 1, 14, 10, tzinfo=NY)), Refusal.FOC_BEFORE_SUBMISSION),
    ([PortStep(PortAction.SUBMIT, on_date=date(2026, 12, 1))], PortStep(PortAction.VERIFY, calls_done=True),
     Refusal.VERIFY_BEFORE_COMPLETION),
    ([PortStep(PortAction.SUBMIT, on_date=date(2026, 12, 1))], PortStep(PortAction.REJECT), Refusal.REASON_REQUIRED),
    ([PortStep(PortAction.SUBMIT, on_date=date(2026, 12, 1))], PortStep(PortAction.REJECT, reason=RejectionReason.OTHER, text="  "),
     Refusal.REASON_REQUIRED),
    ([PortStep(PortAction.SUBMIT, on_date=date(2026, 12, 10))], PortStep(PortAction.FOC, foc_at=datetime(2026, 12, 9, 10, tzinfo=NY)),
     Refusal.FOC_BEFORE_SUBMITTED_DATE),
    ([PortStep(PortAction.SUBMIT, on_date=date(2026, 12, 1)), PortStep(PortAction.FOC, foc_at=datetime(2027, 1, 4, 10, tzinfo=NY)),
      PortStep(PortAction.COMPLETE)], PortStep(PortAction.VERIFY), Refusal.CALLS_NOT_DONE),
    ([], PortStep(PortAction.RESUBMIT, on_date=date(2026, 12, 1)), Refusal.WRONG_STATE),
    ([], PortStep(PortAction.SUBMIT), Refusal.DATE_REQUIRED),
], ids=["foc_before_submission", "verify_before_completion", "reject_without_reason", "other_without_text",
        "foc_before_submitted_date", "verify_without_calls", "resubmit_a_draft", "submit_without_date"])
def test_bad_steps_are_refused_and_change_nothing(steps, attempt, code) -> None:
    order = an_order()
    for step in steps:
        apply_step(order, step, now=NOW, actor_name="Pat")
    before = order.to_dict()
    with pytest.raises(PortRefusal) as refused:
        apply_step(order, attempt, now=NOW, actor_name="Pat")
    assert refused.value.code is code
    assert order.to_dict() == before


def test_every_refusal_has_its_text_in_both_languages() -> None:
    assert set(REFUSAL_KEY) == set(Refusal)
    for key in REFUSAL_KEY.values():
        assert key in STRINGS


def test_the_port_book_survives_the_project_document(library) -> None:
    project = project_with(library)
    add_numbers(project.port_book, paste("212-555-0123\n212-555-0124"), now=NOW, partial=True)
    order = project.port_book.order("PO1")
    apply_step(order, PortStep(PortAction.SUBMIT, on_date=date(2026, 12, 1)), now=NOW, actor_name="Pat")
    apply_step(order, PortStep(PortAction.REJECT, reason=RejectionReason.WRONG_BTN, text="BTN is 212-555-0100",
                               fixer=Role.AUTHORIZED_SIGNER), now=NOW, actor_name="Pat")
    again = Project.from_dict(project.to_dict())
    assert again.port_book.to_dict() == project.port_book.to_dict()
    assert again.port_book.order("PO1").rejections[0].fixer is Role.AUTHORIZED_SIGNER
    assert Project.from_dict(project_with(library).to_dict()).port_book.orders == []  # projects before issue 17 read as empty


def test_cancelling_the_old_carrier_waits_for_every_order_to_be_verified(library) -> None:
    project = project_with(library, "officeconnect_ucaas")
    add_numbers(project.port_book, paste("212-555-0123\n212-555-0124, AT&T"), now=NOW, partial=False)
    for record in project.tasks.values():
        if not record.key.endswith("cancel_prior_service"):
            record.state = TaskState.DONE
    from bot.domain.transitions import Change

    change = Change()
    _refresh_readiness(project, library, change, pm_actor(), NOW)
    cancel = next(k for k in project.tasks if k.endswith("cancel_prior_service"))
    assert project.tasks[cancel].state is TaskState.WAITING  # every dependency done, the port not verified
    for order in project.port_book.orders:
        order.state = PortState.VERIFIED
    _refresh_readiness(project, library, change, pm_actor(), NOW)
    assert project.tasks[cancel].state is TaskState.READY and cancel in change.became_ready


def test_cutover_cards_fall_due_the_day_before_and_on_the_day(library) -> None:
    project = project_with(library)
    add_numbers(project.port_book, paste("212-555-0123"), now=NOW, partial=False)
    order = project.port_book.order("PO1")
    apply_step(order, PortStep(PortAction.SUBMIT, on_date=date(2026, 12, 1)), now=NOW, actor_name="Pat")
    apply_step(order, PortStep(PortAction.FOC, foc_at=datetime(2027, 1, 14, 10, 0, tzinfo=NY)), now=NOW, actor_name="Pat")
    eve = datetime(2027, 1, 13, 9, 0, tzinfo=NY)
    assert next_cutover_at(project, NOW) == eve
    assert not _owe_cutovers(project, eve - timedelta(minutes=1))
    assert _owe_cutovers(project, eve + timedelta(minutes=5))
    assert not _owe_cutovers(project, eve + timedelta(hours=1))  # once
    assert next_cutover_at(project, eve + timedelta(hours=1)) == datetime(2027, 1, 14, 8, 0, tzinfo=NY)
    assert _owe_cutovers(project, datetime(2027, 1, 14, 8, 1, tzinfo=NY))
    targets = sorted({(item.target.person_id, item.params["phase"]) for item in project.outbox})
    assert targets == [("cust", "day"), ("cust", "eve"), ("pm-1", "day"), ("pm-1", "eve")]
    assert next_cutover_at(project, datetime(2027, 1, 14, 9, 0, tzinfo=NY)) is None


# -- glossary --------------------------------------------------------------------------------------
@pytest.mark.parametrize("abbreviation", ["CSR", "LOA", "FOC", "DID", "RESPORG", "BTN", "MPOE", "NRC", "SSA", "COI", "DIA", "PoE",
                                          "QoS", "VLAN", "CNAM", "AA", "CQ", "UPM", "T1", "MPLS"])
def test_every_abbreviation_the_issue_names_is_explained_in_both_languages(abbreviation: str) -> None:
    term = lookup(abbreviation.lower())
    assert term is not None and term.abbreviation == abbreviation
    assert term.name.es and term.name.en and term.meaning.es and term.meaning.en and term.meaning.es != term.meaning.en


def test_lookup_reads_what_people_type() -> None:
    assert lookup("LOA?").abbreviation == "LOA"
    assert lookup("CAT5e").abbreviation == "CAT5"
    assert lookup("xyz") is None
    assert parse_command("¿Qué es LOA?").name == "what_is" and lookup(parse_command("¿Qué es LOA?").argument).abbreviation == "LOA"
    assert parse_command("what is CSR").argument == "CSR"  # as typed
    assert parse_command("glosario").name == parse_command("glossary").name == "glossary"
    assert len(TERMS) == len(ABBREVIATIONS) >= 20


def test_each_term_is_explained_once_on_the_card_where_it_appears() -> None:
    assert [term.abbreviation for term in terms_in(["Send the LOA and the CSR", "the CSR again", "IPv6 CSRs"])] == ["LOA", "CSR"]
    decorated = with_terms({"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "FOC date"}]}, "es")
    footer = decorated["body"][-1]["items"]
    assert footer[0]["text"] == t("glossary.on_card", "es")
    assert footer[1]["text"] == "- FOC: Firm Order Commitment (compromiso de orden firme)"
    plain_card = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Hello"}]}
    assert with_terms(plain_card, "en") is plain_card


# -- every porting card ---------------------------------------------------------------------------------
@pytest.mark.parametrize("language", ["en", "es"])
def test_every_porting_card_is_valid(library, language) -> None:
    project = project_with(library, "officeconnect_ucaas")
    project.products = ("cloud_voice_teams", "officeconnect_ucaas")
    add_numbers(project.port_book, paste("\n".join(f"212-555-{i:04d}" for i in range(60))), now=NOW, partial=True)
    order = project.port_book.order("PO1")
    cards = [paste_card(project, "US", language), orders_card(project, language, NOW),
             paste_card(project, "US", language, paste=paste("bad\n" * 40 + "212-555-0100"), typed="bad\n" * 40)]
    for step in (PortStep(PortAction.SUBMIT, on_date=date(2026, 12, 1)),
                 PortStep(PortAction.REJECT, reason=RejectionReason.CSR_MISSING, text="<at>x</at> **missing** 0199"),
                 PortStep(PortAction.RESUBMIT, on_date=date(2026, 12, 2)),
                 PortStep(PortAction.FOC, foc_at=datetime(2027, 1, 14, 10, tzinfo=NY)),
                 PortStep(PortAction.TEMP_DIDS, dids=tuple(f"+1646555{i:04d}" for i in range(60))),
                 PortStep(PortAction.COMPLETE), PortStep(PortAction.VERIFY, calls_done=True)):
        cards += [order_card(project, order, language, NOW, pm=True), order_card(project, order, language, NOW, pm=False)]
        apply_step(order, step, now=NOW, actor_name="Pat")
        if step.action is PortAction.REJECT:
            cards.append(rejection_card(project, order, language))
        if order.foc_at:
            cards += [cutover_card(project, order, language, eve=True), cutover_card(project, order, language, eve=False)]
    cards += [order_card(project, order, language, NOW, pm=True), glossary_card(language), term_card(TERMS[0], language)]
    view = porting_view(project, language, NOW + timedelta(days=1))
    assert view is not None and view.moved == [] and len(view.orders) == 1
    cards.append({"type": "AdaptiveCard", "version": "1.5", "body": porting_section(view)})
    assert [p for p in cards_problems(cards) if p] == []
    rejection = str(rejection_card(project, order, language))
    assert t("porting.bring.csr_missing", language) in rejection and "<at>x" not in rejection


def test_the_porting_sections_show_each_order(library) -> None:
    project = project_with(library)
    add_numbers(project.port_book, paste("212-555-0123\n212-555-0124"), now=NOW, partial=False)
    order = project.port_book.order("PO1")
    apply_step(order, PortStep(PortAction.SUBMIT, on_date=date(2026, 12, 1), requested=date(2027, 1, 15)), now=NOW, actor_name="Pat")
    apply_step(order, PortStep(PortAction.FOC, foc_at=datetime(2027, 1, 14, 10, tzinfo=NY)), now=NOW, actor_name="Pat")
    apply_step(order, PortStep(PortAction.FOC, foc_at=datetime(2027, 1, 18, 10, tzinfo=NY)), now=NOW + timedelta(days=2),
               actor_name="Pat")
    view = porting_view(project, "en", NOW + timedelta(days=5))
    assert view is not None
    (label, line), = view.orders
    assert label == "PO1 · Verizon"
    assert line == ("2 numbers · FOC received · requested January 15, 2027 · confirmed January 18, 2027 10:00 (EST) · "
                    "0 rejections · 0 resubmissions · 5 days in this state")  # FOC received on day 0; moving it keeps the state
    assert view.moved == [("FOC of port order PO1", "January 14, 2027 → January 18, 2027")]
    assert porting_view(project, "en", NOW + timedelta(days=30)).moved == []  # a week later it moved no more
    (row,) = porting_csv_rows(project, NOW + timedelta(days=5))
    assert row[2] == "port_order" and row[4] == "PO1" and '"numbers": 2' in row[-1] and '"resubmissions": 0' in row[-1]


def test_the_export_has_a_row_per_port_order(library) -> None:
    from bot.export import history_csv

    project = project_with(library)
    add_numbers(project.port_book, paste("212-555-0123\n212-555-0124; =HYPERLINK(x)"), now=NOW, partial=False)
    rows = history_csv(project, [], library).splitlines()
    assert rows[0].lstrip("\ufeff").startswith("seq,at,kind")  # a BOM first, for Excel
    assert [r.split(",")[2] for r in rows[1:]] == ["port_order", "port_order"]
    assert rows[1].split(",")[4:6] == ["PO1", "Verizon"]
    assert rows[2].split(",")[4:6] == ["PO2", "'=HYPERLINK(x)"]  # a formula in a carrier's name is neutralised
