"""Number porting cards: the numbers paste card (and its line-by-line problems), a port order
with the PM's lifecycle steps, the rejection card to whoever must fix it, the cutover cards,
and the porting section of status, digest and export. Pure functions of the project.

Input ids are unique per card (one ShowCard per step); verbs: PASTE_VERB, STEP_VERB.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from bot.domain.catalogue import t
from bot.domain.porting import (
    ALLOWED_FROM,
    FIXER_ROLES,
    MAX_PASTE_CHARS,
    MAX_PASTE_LINES,
    LineProblem,
    Paste,
    PortAction,
    PortOrder,
    PortState,
    Refusal,
    RejectionReason,
    display,
)
from bot.domain.project import Project
from bot.domain.roles import Role
from bot.domain.text import Language
from cards.base import Card, Element, bullets, card, execute, facts, heading, plain, show_card, text, title
from cards.dates import format_date, format_moment
from cards.glossary import with_terms

PASTE_VERB = "port_paste"
STEP_VERB = "port_step"
PORTING_VERBS = frozenset({PASTE_VERB, STEP_VERB})
MAX_PROBLEM_LINES = 25
MAX_NUMBERS_SHOWN = 40

STATE_KEY: dict[PortState, str] = {
    PortState.DRAFT: "porting.state.draft",
    PortState.SUBMITTED: "porting.state.submitted",
    PortState.FOC_RECEIVED: "porting.state.foc_received",
    PortState.REJECTED: "porting.state.rejected",
    PortState.RESUBMITTED: "porting.state.resubmitted",
    PortState.COMPLETED: "porting.state.completed",
    PortState.VERIFIED: "porting.state.verified",
}
REASON_KEY: dict[RejectionReason, str] = {
    RejectionReason.NAME_ADDRESS: "porting.reason.name_address",
    RejectionReason.WRONG_BTN: "porting.reason.wrong_btn",
    RejectionReason.CSR_MISSING: "porting.reason.csr_missing",
    RejectionReason.BILL_TOO_OLD: "porting.reason.bill_too_old",
    RejectionReason.PENDING_ORDER: "porting.reason.pending_order",
    RejectionReason.OTHER: "porting.reason.other",
}
BRING_KEY: dict[RejectionReason, str] = {
    RejectionReason.NAME_ADDRESS: "porting.bring.name_address",
    RejectionReason.WRONG_BTN: "porting.bring.wrong_btn",
    RejectionReason.CSR_MISSING: "porting.bring.csr_missing",
    RejectionReason.BILL_TOO_OLD: "porting.bring.bill_too_old",
    RejectionReason.PENDING_ORDER: "porting.bring.pending_order",
    RejectionReason.OTHER: "porting.bring.other",
}
PROBLEM_KEY: dict[LineProblem, str] = {
    LineProblem.INVALID: "porting.problem.invalid",
    LineProblem.DUPLICATE: "porting.problem.duplicate",
    LineProblem.IN_ORDER: "porting.problem.in_order",
    LineProblem.FOREIGN: "porting.problem.foreign",
    LineProblem.NO_CARRIER: "porting.problem.no_carrier",
    LineProblem.BAD_BTN: "porting.problem.bad_btn",
}
REFUSAL_KEY: dict[Refusal, str] = {
    Refusal.TOO_MANY_LINES: "porting.refused.too_many_lines",
    Refusal.NOTHING_VALID: "porting.refused.nothing_valid",
    Refusal.UNKNOWN_ORDER: "porting.refused.unknown_order",
    Refusal.STALE: "porting.refused.stale",
    Refusal.NOT_PM: "porting.refused.not_pm",
    Refusal.NOT_ON_PROJECT: "porting.refused.not_on_project",
    Refusal.NO_PORTING: "porting.refused.no_porting",
    Refusal.WRONG_STATE: "porting.refused.wrong_state",
    Refusal.FOC_BEFORE_SUBMISSION: "porting.refused.foc_before_submission",
    Refusal.VERIFY_BEFORE_COMPLETION: "porting.refused.verify_before_completion",
    Refusal.REASON_REQUIRED: "porting.refused.reason_required",
    Refusal.DATE_REQUIRED: "porting.refused.date_required",
    Refusal.DATE_INVALID: "porting.refused.date_invalid",
    Refusal.FOC_BEFORE_SUBMITTED_DATE: "porting.refused.foc_before_submitted_date",
    Refusal.CALLS_NOT_DONE: "porting.refused.calls_not_done",
    Refusal.DIDS_INVALID: "porting.refused.dids_invalid",
}
ACTION_KEY: dict[PortAction, str] = {
    PortAction.SUBMIT: "porting.action.submit",
    PortAction.FOC: "porting.action.foc",
    PortAction.REJECT: "porting.action.reject",
    PortAction.RESUBMIT: "porting.action.resubmit",
    PortAction.COMPLETE: "porting.action.complete",
    PortAction.VERIFY: "porting.action.verify",
    PortAction.TEMP_DIDS: "porting.action.temp_dids",
}
CHECKLIST_KEYS = ("porting.check.inbound", "porting.check.outbound", "porting.check.aa", "porting.check.cq")


def refusal_text(code: Refusal, language: Language, *, value: str = "", lines: int = 0, chars: int = 0) -> str:
    if code is Refusal.WRONG_STATE and value in {s.value for s in PortState}:
        value = t(STATE_KEY[PortState(value)], language)
    return t(REFUSAL_KEY[code], language, value=plain(value), state=plain(value), lines=lines, chars=chars, max=MAX_PASTE_LINES,
             max_chars=MAX_PASTE_CHARS)


# -- paste --------------------------------------------------------------------------------
def paste_card(project: Project, region: str, language: Language, *, paste: Paste | None = None, typed: str = "",
               carrier: str = "", btn: str = "", partial: bool = False, notice: str | None = None) -> Card:
    """The numbers card; with `paste`, its problems line by line and the typed text kept."""
    data = {"p": project.id}
    body: list[Element] = [
        title(t("porting.paste.title", language, customer=plain(project.customer_name))),
        text(t("porting.paste.intro", language, max=MAX_PASTE_LINES), subtle=True),
        text(t("porting.paste.region", language, region=region), subtle=True),
    ]
    if notice:
        body.append(text(notice, color="Warning"))
    actions: list[Element] = [execute(PASTE_VERB, t("porting.paste.check", language), data, style="positive",
                                      associated_inputs="auto")]
    if paste is not None and paste.problems:
        problems = paste.problems
        body.append(text(t("porting.problems.title", language, n=len(problems)), color="Attention", size="Medium"))
        body.append(text(t("porting.problems.fix", language)))
        body.append(bullets([_problem_line(line.line_no, line.raw, line.problem, line.detail, region, language)
                             for line in problems[:MAX_PROBLEM_LINES] if line.problem is not None]))
        if len(problems) > MAX_PROBLEM_LINES:
            body.append(text(t("porting.problems.more", language, n=len(problems) - MAX_PROBLEM_LINES), subtle=True))
        if paste.valid:
            actions.append(execute(PASTE_VERB, t("porting.problems.confirm", language, n=len(paste.valid)),
                                   {**data, "confirm": True}, associated_inputs="auto"))
    body += [
        {"type": "Input.Text", "id": "numbers", "label": t("porting.paste.numbers", language), "isMultiline": True,
         "value": typed, "placeholder": "(212) 555-0123, Verizon, 212-555-0100"},
        {"type": "Input.Text", "id": "carrier", "label": t("porting.paste.carrier", language), "value": carrier, "maxLength": 80},
        {"type": "Input.Text", "id": "btn", "label": t("porting.paste.btn", language), "value": btn, "maxLength": 40},
        {"type": "Input.Toggle", "id": "partial", "title": t("porting.paste.partial", language),
         "value": "true" if partial else "false", "valueOn": "true", "valueOff": "false"},
    ]
    return with_terms(card(body, actions, fallback_text=t("porting.paste.title", language, customer=plain(project.customer_name))),
                      language)


def _problem_line(line_no: int, raw: str, problem: LineProblem | None, detail: str, region: str, language: Language) -> str:
    assert problem is not None
    return t(PROBLEM_KEY[problem], language, line=line_no, raw=plain(raw), detail=plain(detail), region=region)


# -- orders -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class OrderSummary:
    """One order as status, digest and export show it."""

    id: str
    carrier: str
    numbers: int
    state: str
    requested: str
    confirmed: str
    rejections: int
    resubmissions: int
    days_in_state: int


def order_summary(project: Project, order: PortOrder, language: Language, now: datetime) -> OrderSummary:
    return OrderSummary(
        id=order.id, carrier=plain(order.carrier), numbers=len(order.numbers), state=t(STATE_KEY[order.state], language),
        requested=format_date(order.requested_foc, language) if order.requested_foc else "—",
        confirmed=format_moment(order.foc_at, language, project.timezone) if order.foc_at else "—",
        rejections=len(order.rejections), resubmissions=order.resubmissions, days_in_state=order.days_in_state(now),
    )


def summary_line(summary: OrderSummary, language: Language) -> tuple[str, str]:
    parts = [
        t("porting.order.numbers", language, n=summary.numbers),
        summary.state,
        t("porting.section.requested", language, date=summary.requested),
        t("porting.section.confirmed", language, date=summary.confirmed),
        t("porting.order.rejections", language, n=summary.rejections),
        t("porting.order.resubmissions", language, n=summary.resubmissions),
        t("porting.order.days", language, n=summary.days_in_state),
    ]
    return f"{summary.id} · {summary.carrier}", " · ".join(parts)


def order_card(project: Project, order: PortOrder, language: Language, now: datetime, *, pm: bool,
               notice: str | None = None) -> Card:
    """One port order: its facts and, for the PM, the steps its state allows."""
    summary = order_summary(project, order, language, now)
    body: list[Element] = []
    if notice:
        body.append(text(notice, color="Warning"))
    body += [
        text(plain(project.customer_name), subtle=True),
        title(t("porting.order.title", language, id=order.id, carrier=plain(order.carrier))),
        facts([
            (t("porting.order.state", language), f"{summary.state} · {t('porting.order.days', language, n=summary.days_in_state)}"),
            (t("porting.order.list", language), t("porting.order.numbers", language, n=summary.numbers)),
            (t("porting.order.btn", language), display(order.btn)),
            (t("porting.order.submitted", language), format_date(order.submitted_on, language) if order.submitted_on else "—"),
            (t("porting.order.requested", language), summary.requested),
            (t("porting.order.confirmed", language), summary.confirmed),
            (t("porting.order.history", language), f"{t('porting.order.rejections', language, n=summary.rejections)} · "
                                                   f"{t('porting.order.resubmissions', language, n=summary.resubmissions)}"),
        ]),
    ]
    if order.partial:
        body.append(text(t("porting.order.partial", language), color="Warning"))
    if order.rejections:
        last = order.rejections[-1]
        detail = t(REASON_KEY[last.reason], language) + (f": {plain(last.text)}" if last.text else "")
        body.append(facts([(t("porting.order.last_rejection", language), detail)]))
    shown = [display(n) for n in order.numbers[:MAX_NUMBERS_SHOWN]]
    body += [heading(t("porting.order.list", language)), text(", ".join(shown) + (" …" if len(order.numbers) > len(shown) else ""))]
    if order.temporary_dids:
        body += [heading(t("porting.order.dids", language)), text(", ".join(display(d) for d in order.temporary_dids[:MAX_NUMBERS_SHOWN]))]
    actions = _step_actions(project, order, language) if pm else []
    if not pm and order.state is not PortState.VERIFIED:
        body.append(text(t("porting.order.readonly", language), subtle=True))
    title_text = t("porting.order.title", language, id=order.id, carrier=plain(order.carrier))
    return with_terms(card(body, actions, fallback_text=title_text), language)


def _step_actions(project: Project, order: PortOrder, language: Language) -> list[Element]:
    def data(action: PortAction) -> dict[str, object]:
        return {"p": project.id, "o": order.id, "r": order.rev, "a": action.value}

    def save(action: PortAction) -> list[Element]:
        return [execute(STEP_VERB, t("porting.action.save", language), data(action), associated_inputs="auto")]

    def date_input(input_id: str, label_key: str, value: str = "") -> Element:
        element: Element = {"type": "Input.Date", "id": input_id, "label": t(label_key, language)}
        if value:
            element["value"] = value
        return element

    requested = project.requested_port_date.isoformat() if project.requested_port_date else ""
    actions: list[Element] = []
    for action in PortAction:
        if order.state not in ALLOWED_FROM[action] or (action is PortAction.TEMP_DIDS and not _is_officeconnect(project)):
            continue
        label = t(ACTION_KEY[action], language)
        if action is PortAction.FOC and order.state is PortState.FOC_RECEIVED:
            label = t("porting.action.move_foc", language)
        if action is PortAction.SUBMIT:
            inputs = [date_input("submit_date", "porting.input.date"), date_input("requested", "porting.input.requested", requested)]
        elif action is PortAction.RESUBMIT:
            inputs = [date_input("resubmit_date", "porting.input.date")]
        elif action is PortAction.FOC:
            inputs = [date_input("foc_date", "porting.input.foc_date", order.foc_date.isoformat() if order.foc_date else ""),
                      {"type": "Input.Time", "id": "foc_time", "label": t("porting.input.foc_time", language), "value": "10:00"}]
        elif action is PortAction.REJECT:
            inputs = [
                {"type": "Input.ChoiceSet", "id": "reason", "label": t("porting.input.reason", language), "isRequired": True,
                 "errorMessage": t("porting.refused.reason_required", language),
                 "choices": [{"title": t(REASON_KEY[r], language), "value": r.value} for r in RejectionReason]},
                {"type": "Input.Text", "id": "reject_text", "label": t("porting.input.text", language), "isMultiline": True,
                 "maxLength": 500},
                {"type": "Input.ChoiceSet", "id": "fixer", "label": t("porting.input.fixer", language),
                 "choices": [{"title": r.label.get(language), "value": r.value} for r in FIXER_ROLES]},
            ]
        elif action is PortAction.VERIFY:
            inputs = [{"type": "Input.Toggle", "id": "calls", "title": t("porting.input.calls", language), "value": "false",
                       "valueOn": "true", "valueOff": "false"}]
        elif action is PortAction.TEMP_DIDS:
            inputs = [{"type": "Input.Text", "id": "dids", "label": t("porting.input.dids", language), "isMultiline": True,
                       "value": "\n".join(order.temporary_dids)}]
        else:  # complete: nothing to enter
            actions.append(execute(STEP_VERB, label, data(action), style="positive"))
            continue
        actions.append(show_card(label, inputs, save(action)))
    return actions[:5]


def _is_officeconnect(project: Project) -> bool:
    return "officeconnect_ucaas" in project.products


def orders_card(project: Project, language: Language, now: datetime) -> Card:
    """Every order in one line each (the PM gets each order's own card beside it)."""
    body: list[Element] = [title(t("porting.orders.title", language, customer=plain(project.customer_name)))]
    lines = [summary_line(order_summary(project, o, language, now), language) for o in project.port_book.orders]
    body.append(facts(lines[:30]) if lines else text(t("porting.orders.none", language), subtle=True))
    return with_terms(card(body, fallback_text=t("porting.orders.title", language, customer=plain(project.customer_name))), language)


# -- rejection and cutover ----------------------------------------------------------------
def rejection_card(project: Project, order: PortOrder, language: Language) -> Card:
    """To whoever must fix a rejection: the reason in plain words and what to bring."""
    last = order.rejections[-1]
    pm = ", ".join(plain(p.name) for p in project.people_in((Role.PROVIDER_PM,))) or "PM"
    title_text = t("porting.rejection.title", language, carrier=plain(order.carrier), id=order.id)
    body: list[Element] = [
        title(title_text),
        text(t("porting.rejection.intro", language, customer=plain(project.customer_name))),
        facts([(t("porting.rejection.reason", language), t(REASON_KEY[last.reason], language)),
               (t("porting.order.btn", language), display(order.btn)),
               (t("porting.order.list", language), t("porting.order.numbers", language, n=len(order.numbers)))]),
        heading(t("porting.rejection.bring", language)),
        text(t(BRING_KEY[last.reason], language)),
    ]
    if last.text:
        body += [heading(t("porting.rejection.details", language)), text(plain(last.text))]
    body.append(text(t("porting.rejection.next", language, pm=pm), subtle=True))
    return with_terms(card(body, fallback_text=title_text), language)


def cutover_card(project: Project, order: PortOrder, language: Language, *, eve: bool) -> Card:
    """The day before (`eve`) and the day of the FOC: what happens, the change lock, the test calls,
    and for OfficeConnect the temporary DIDs and the forwarding to them."""
    assert order.foc_at is not None
    key = "porting.cutover.title_eve" if eve else "porting.cutover.title_day"
    title_text = t(key, language, id=order.id, carrier=plain(order.carrier))
    body: list[Element] = [
        text(plain(project.customer_name), subtle=True),
        title(title_text),
        text(t("porting.cutover.when", language, when=format_moment(order.foc_at, language, project.timezone)), size="Medium"),
        text(t("porting.cutover.what", language)),
        text(t("porting.cutover.lock", language), color="Warning"),
        heading(t("porting.cutover.numbers", language)),
        text(", ".join(display(n) for n in order.numbers[:MAX_NUMBERS_SHOWN]) + (" …" if len(order.numbers) > MAX_NUMBERS_SHOWN else "")),
        heading(t("porting.cutover.checklist", language)),
        bullets([t(k, language) for k in CHECKLIST_KEYS]),
    ]
    if order.partial:
        body.append(text(t("porting.order.partial", language), color="Warning"))
    if _is_officeconnect(project):
        body.append(heading(t("porting.cutover.forwarding", language)))
        if order.temporary_dids:
            pairs = [f"{display(n)} → {display(d)}" for n, d in zip(order.numbers, order.temporary_dids, strict=False)]
            body += [text(t("porting.cutover.forward_intro", language)), bullets(pairs[:MAX_NUMBERS_SHOWN])]
        else:
            body.append(text(t("porting.cutover.no_dids", language), subtle=True))
    return with_terms(card(body, fallback_text=title_text), language)


# -- status, digest, export -----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PortingView:
    """The porting section of status and digest: one line per order, and the FOCs that moved."""

    language: Language
    orders: list[tuple[str, str]]
    moved: list[tuple[str, str]]


def porting_view(project: Project, language: Language, now: datetime, *, moved_since: timedelta = timedelta(days=7)) -> PortingView | None:
    """None when the project has no port orders (the cards then show no section)."""
    if not project.port_book.orders:
        return None
    lines = [summary_line(order_summary(project, o, language, now), language) for o in project.port_book.orders]
    moved = []
    for order in project.port_book.orders:
        for at, before, after in order.foc_moves:
            if now - at <= moved_since:
                moved.append((t("porting.digest.foc_moved", language, id=order.id),
                              f"{format_date(date.fromisoformat(before), language)} → {format_date(date.fromisoformat(after), language)}"))
    return PortingView(language, lines[:30], moved[:10])


def porting_moved(project: Project, language: Language, now: datetime) -> list[Any]:
    """The digest's "dates that moved" lines for the FOCs moved in the last week (its TaskLines)."""
    from cards.views import TaskLine  # views builds on this module: imported when called

    view = porting_view(project, language, now)
    return [TaskLine(f"foc:{label}", label, detail) for label, detail in view.moved] if view else []


def porting_section(view: PortingView | None) -> list[Element]:
    """What status and digest cards add: one line per order; nothing without orders."""
    if view is None:
        return []
    return [heading(t("porting.section", view.language)), facts(view.orders)]


def porting_csv_rows(project: Project, now: datetime) -> list[list[str]]:
    """Rows for the export (its COLUMNS): one "port_order" row per order, its figures as details."""
    rows = []
    for order in project.port_book.orders:
        details = {"numbers": len(order.numbers), "carrier": order.carrier, "btn": order.btn, "state": order.state.value,
                   "requestedFoc": order.requested_foc.isoformat() if order.requested_foc else None,
                   "confirmedFoc": order.foc_at.isoformat() if order.foc_at else None,
                   "rejections": len(order.rejections), "resubmissions": order.resubmissions,
                   "daysInState": order.days_in_state(now), "partial": order.partial}
        carrier = "'" + order.carrier if order.carrier[:1] in ("=", "+", "-", "@") else order.carrier
        rows.append(["", now.isoformat(), "port_order", "", order.id, carrier, "", order.state.value, "", "",
                     json.dumps(details, ensure_ascii=False, sort_keys=True)])
    return rows
