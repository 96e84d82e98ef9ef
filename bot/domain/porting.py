"""Number porting as carriers track it: the numbers to port (parsed and validated with
`phonenumbers`, stored as E.164), grouped into port orders (one per losing carrier and billing
telephone number), and each order's lifecycle as the PM records it:

    draft -> submitted -> foc_received -> completed -> verified
    submitted | resubmitted | foc_received -> rejected -> resubmitted (counted) -> foc_received

Pure domain: no storage, no cards. A refused step raises `PortRefusal` and changes nothing.
The project holds one `PortBook` (bot/domain/project.py); bot/porting_service.py runs the use cases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

import phonenumbers

from bot.domain.roles import Role

MAX_PASTE_LINES = 1000  # ~0.3 s to parse on a busy 2-CPU machine; the problem card echoes the text (28 KB budget)
MAX_PASTE_CHARS = 16_000  # so the problems card can give the whole text back within the card budget
MAX_TEXT = 500
MAX_CARRIER = 80
DEFAULT_REGION = "US"
_SEPARATORS = re.compile(r"[,;\t|]")


class PortState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    FOC_RECEIVED = "foc_received"
    REJECTED = "rejected"
    RESUBMITTED = "resubmitted"
    COMPLETED = "completed"
    VERIFIED = "verified"


class RejectionReason(StrEnum):
    NAME_ADDRESS = "name_address"  # name or address does not match the CSR
    WRONG_BTN = "wrong_btn"
    CSR_MISSING = "csr_missing"  # the CSR lacks some of the numbers
    BILL_TOO_OLD = "bill_too_old"
    PENDING_ORDER = "pending_order"  # another order is open on the account at the losing carrier
    OTHER = "other"


# Whom each reason usually sends back to work; the PM may choose another on the card.
DEFAULT_FIXER: dict[RejectionReason, Role] = {
    RejectionReason.NAME_ADDRESS: Role.CUSTOMER_PRIMARY_CONTACT,
    RejectionReason.WRONG_BTN: Role.CUSTOMER_PRIMARY_CONTACT,
    RejectionReason.CSR_MISSING: Role.CUSTOMER_PRIMARY_CONTACT,
    RejectionReason.BILL_TOO_OLD: Role.CUSTOMER_PRIMARY_CONTACT,
    RejectionReason.PENDING_ORDER: Role.CUSTOMER_PRIMARY_CONTACT,
    RejectionReason.OTHER: Role.PROVIDER_PM,
}
FIXER_ROLES = (Role.CUSTOMER_PRIMARY_CONTACT, Role.AUTHORIZED_SIGNER, Role.CUSTOMER_ADMIN, Role.CUSTOMER_GLOBAL_ADMIN,
               Role.PROVIDER_PM, Role.SALES_REP)


class PortAction(StrEnum):
    SUBMIT = "submit"
    FOC = "foc"
    REJECT = "reject"
    RESUBMIT = "resubmit"
    COMPLETE = "complete"
    VERIFY = "verify"
    TEMP_DIDS = "temp_dids"


class Refusal(StrEnum):
    """Why a porting step changed nothing (texts: cards/porting.py REFUSAL_KEY)."""

    TOO_MANY_LINES = "too_many_lines"
    NOTHING_VALID = "nothing_valid"
    UNKNOWN_ORDER = "unknown_order"
    STALE = "stale"
    NOT_PM = "not_pm"
    NOT_ON_PROJECT = "not_on_project"
    NO_PORTING = "no_porting"
    WRONG_STATE = "wrong_state"
    FOC_BEFORE_SUBMISSION = "foc_before_submission"
    VERIFY_BEFORE_COMPLETION = "verify_before_completion"
    REASON_REQUIRED = "reason_required"
    DATE_REQUIRED = "date_required"
    DATE_INVALID = "date_invalid"
    FOC_BEFORE_SUBMITTED_DATE = "foc_before_submitted_date"
    CALLS_NOT_DONE = "calls_not_done"
    DIDS_INVALID = "dids_invalid"


class PortRefusal(Exception):
    def __init__(self, code: Refusal, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else str(code))
        self.code = code
        self.detail = detail


# Which step may follow which state (and which state it leads to).
ALLOWED_FROM: dict[PortAction, frozenset[PortState]] = {
    PortAction.SUBMIT: frozenset({PortState.DRAFT}),
    PortAction.FOC: frozenset({PortState.SUBMITTED, PortState.RESUBMITTED, PortState.FOC_RECEIVED}),
    PortAction.REJECT: frozenset({PortState.SUBMITTED, PortState.RESUBMITTED, PortState.FOC_RECEIVED}),
    PortAction.RESUBMIT: frozenset({PortState.REJECTED}),
    PortAction.COMPLETE: frozenset({PortState.FOC_RECEIVED}),
    PortAction.VERIFY: frozenset({PortState.COMPLETED}),
    PortAction.TEMP_DIDS: frozenset(set(PortState) - {PortState.VERIFIED}),
}


@dataclass(frozen=True, slots=True)
class Rejection:
    at: datetime
    reason: RejectionReason
    text: str
    fixer: Role
    by_name: str

    def to_dict(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "reason": self.reason.value, "text": self.text, "fixer": self.fixer.value,
                "byName": self.by_name}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Rejection:
        return Rejection(datetime.fromisoformat(data["at"]), RejectionReason(data["reason"]), str(data.get("text", "")),
                         Role(data["fixer"]), str(data.get("byName", "")))


@dataclass(slots=True)
class PortOrder:
    id: str
    carrier: str
    btn: str  # E.164
    numbers: tuple[str, ...]  # E.164
    created_at: datetime
    partial: bool = False  # some numbers on the account stay with the losing carrier
    state: PortState = PortState.DRAFT
    rev: int = 0
    state_since: datetime | None = None
    submitted_on: date | None = None
    requested_foc: date | None = None
    foc_at: datetime | None = None  # the carrier's confirmed date and time
    foc_moves: tuple[tuple[datetime, str, str], ...] = ()  # (when recorded, from, to) ISO dates
    rejections: tuple[Rejection, ...] = ()
    resubmissions: int = 0
    completed_at: datetime | None = None
    verified_at: datetime | None = None
    temporary_dids: tuple[str, ...] = ()  # OfficeConnect: the temporary numbers, in the order of `numbers`
    cutovers_sent: tuple[str, ...] = ()  # "eve:<foc date>", "day:<foc date>"

    @property
    def foc_date(self) -> date | None:
        return self.foc_at.date() if self.foc_at else None

    def days_in_state(self, now: datetime) -> int:
        return max(0, (now - (self.state_since or self.created_at)).days)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "carrier": self.carrier, "btn": self.btn, "numbers": list(self.numbers),
            "createdAt": self.created_at.isoformat(), "partial": self.partial, "state": self.state.value, "rev": self.rev,
            "stateSince": _iso(self.state_since), "submittedOn": _iso(self.submitted_on),
            "requestedFoc": _iso(self.requested_foc), "focAt": _iso(self.foc_at),
            "focMoves": [[at.isoformat(), before, after] for at, before, after in self.foc_moves],
            "rejections": [r.to_dict() for r in self.rejections], "resubmissions": self.resubmissions,
            "completedAt": _iso(self.completed_at), "verifiedAt": _iso(self.verified_at),
            "temporaryDids": list(self.temporary_dids), "cutoversSent": list(self.cutovers_sent),
        }

    @staticmethod
    def from_dict(data: dict[str, Any]) -> PortOrder:
        return PortOrder(
            id=data["id"], carrier=data["carrier"], btn=data["btn"], numbers=tuple(data.get("numbers", [])),
            created_at=datetime.fromisoformat(data["createdAt"]), partial=bool(data.get("partial")),
            state=PortState(data.get("state", "draft")), rev=int(data.get("rev", 0)),
            state_since=_dt(data.get("stateSince")), submitted_on=_d(data.get("submittedOn")),
            requested_foc=_d(data.get("requestedFoc")), foc_at=_dt(data.get("focAt")),
            foc_moves=tuple((datetime.fromisoformat(a), b, c) for a, b, c in data.get("focMoves", [])),
            rejections=tuple(Rejection.from_dict(r) for r in data.get("rejections", [])),
            resubmissions=int(data.get("resubmissions", 0)), completed_at=_dt(data.get("completedAt")),
            verified_at=_dt(data.get("verifiedAt")), temporary_dids=tuple(data.get("temporaryDids", [])),
            cutovers_sent=tuple(data.get("cutoversSent", [])),
        )


@dataclass(slots=True)
class PortBook:
    """A project's port orders, in the order they were made."""

    orders: list[PortOrder] = field(default_factory=list)
    next_id: int = 1

    def order(self, order_id: str) -> PortOrder:
        for order in self.orders:
            if order.id == order_id:
                return order
        raise PortRefusal(Refusal.UNKNOWN_ORDER, order_id)

    def owner_of(self) -> dict[str, str]:
        """Every number already in an order -> that order's id."""
        return {number: order.id for order in self.orders for number in order.numbers}

    def all_verified(self) -> bool:
        """True when no order is still to be verified (no orders: nothing holds anything back)."""
        return all(order.state is PortState.VERIFIED for order in self.orders)

    def latest_foc(self) -> date | None:
        dates = [o.foc_date for o in self.orders if o.foc_date is not None]
        return max(dates) if dates else None

    def to_dict(self) -> dict[str, Any]:
        return {"orders": [o.to_dict() for o in self.orders], "nextId": self.next_id}

    @staticmethod
    def from_dict(data: dict[str, Any] | None) -> PortBook:
        if not data:
            return PortBook()
        return PortBook([PortOrder.from_dict(o) for o in data.get("orders", [])], int(data.get("nextId", 1)))


# -- numbers --------------------------------------------------------------------------------
class LineProblem(StrEnum):
    INVALID = "invalid"
    DUPLICATE = "duplicate"  # earlier in the same paste
    IN_ORDER = "in_order"  # already in a port order
    FOREIGN = "foreign"  # a number of another country
    NO_CARRIER = "no_carrier"
    BAD_BTN = "bad_btn"


@dataclass(frozen=True, slots=True)
class ParsedLine:
    line_no: int
    raw: str
    number: str | None  # E.164 when valid
    carrier: str
    btn: str | None
    problem: LineProblem | None = None
    detail: str = ""  # the other order's id, the other country, the earlier line number


@dataclass(frozen=True, slots=True)
class Paste:
    lines: tuple[ParsedLine, ...]
    region: str
    line_count: int
    too_many: bool = False

    @property
    def problems(self) -> list[ParsedLine]:
        return [line for line in self.lines if line.problem is not None]

    @property
    def valid(self) -> list[ParsedLine]:
        return [line for line in self.lines if line.problem is None]


@cache
def _zone_countries() -> dict[str, str]:
    """Time zone -> ISO country, from tzdata's zone.tab (read once, on first use)."""
    table: dict[str, str] = {}
    text = (resources.files("tzdata") / "zoneinfo" / "zone.tab").read_text(encoding="utf-8")
    for row in text.splitlines():
        if row and not row.startswith("#"):
            parts = row.split("\t")
            if len(parts) >= 3:
                table.setdefault(parts[2], parts[0])
    return table


def region_for_timezone(timezone: str) -> str:
    """The project's country, as phonenumbers' default region: the country of its time zone."""
    return _zone_countries().get(timezone, DEFAULT_REGION)


def normalise(raw: str, region: str) -> tuple[str | None, str | None]:
    """(E.164, None) for a valid number of `region`; (None, other region) for a valid number of
    another country; (None, None) when it is no valid number at all."""
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None, None
    if not phonenumbers.is_valid_number(parsed):
        return None, None
    country = phonenumbers.region_code_for_number(parsed)
    if country != region:
        return None, country or "?"
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), None


def display(e164: str) -> str:
    """A stored number as people read it in its country: +12125550123 -> +1 212-555-0123."""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164


def count_lines(text: str) -> int:
    return text.count("\n") + 1 if text.strip() else 0


def parse_paste(text: str, *, region: str, carrier: str, btn: str, taken: dict[str, str]) -> Paste:
    """Read pasted lines, "number[, carrier[, BTN]]" (comma, semicolon, tab or |), in any common
    format. A first line without digits is a header. Lines past MAX_PASTE_LINES are not read:
    the paste is refused whole (`too_many`), before any parsing, so it costs nothing."""
    lines_total = count_lines(text)
    if lines_total > MAX_PASTE_LINES or len(text) > MAX_PASTE_CHARS:
        return Paste((), region, lines_total, too_many=True)
    default_carrier = carrier.strip()[:MAX_CARRIER]
    default_btn, _ = normalise(btn, region) if btn.strip() else (None, None)
    seen: dict[str, int] = {}
    parsed: list[ParsedLine] = []
    for index, row in enumerate(text.splitlines(), start=1):
        raw = row.strip()
        if not raw or (index == 1 and not any(c.isdigit() for c in raw)):
            continue
        cells = [c.strip() for c in _SEPARATORS.split(raw)]
        line_carrier = (cells[1] if len(cells) > 1 and cells[1] else default_carrier)[:MAX_CARRIER]
        line_btn = default_btn
        problem: LineProblem | None = None
        detail = ""
        if len(cells) > 2 and cells[2]:
            line_btn, _ = normalise(cells[2], region)
            if line_btn is None:
                problem, detail = LineProblem.BAD_BTN, cells[2][:40]
        number, foreign = normalise(cells[0], region)
        if number is None:
            problem, detail = (LineProblem.FOREIGN, foreign) if foreign else (LineProblem.INVALID, "")
        elif number in seen:
            problem, detail = LineProblem.DUPLICATE, str(seen[number])
        elif number in taken:
            problem, detail = LineProblem.IN_ORDER, taken[number]
        elif not line_carrier:
            problem = LineProblem.NO_CARRIER
        if number is not None and number not in seen:
            seen[number] = index
        parsed.append(ParsedLine(index, raw[:80], number, line_carrier, line_btn, problem, detail))
    return Paste(tuple(parsed), region, lines_total)


def add_numbers(book: PortBook, paste: Paste, *, now: datetime, partial: bool) -> list[PortOrder]:
    """Group the paste's valid lines by (losing carrier, BTN) into orders: into a draft order of
    the same carrier and BTN when there is one, else a new one (a missing BTN is the group's first
    number). Returns the orders that changed."""
    groups: dict[tuple[str, str | None], list[str]] = {}
    names: dict[str, str] = {}
    for line in paste.valid:
        assert line.number is not None
        folded = " ".join(line.carrier.split()).casefold()
        names.setdefault(folded, " ".join(line.carrier.split()))
        groups.setdefault((folded, line.btn), []).append(line.number)
    changed: list[PortOrder] = []
    for (folded, btn), numbers in groups.items():
        billing = btn or numbers[0]
        existing = next((o for o in book.orders if o.state is PortState.DRAFT and o.btn == billing
                         and o.carrier.casefold() == folded), None)
        if existing is not None:
            existing.numbers = (*existing.numbers, *numbers)
            existing.partial = existing.partial or partial
            existing.rev += 1
            changed.append(existing)
            continue
        order = PortOrder(id=f"PO{book.next_id}", carrier=names[folded], btn=billing, numbers=tuple(numbers), created_at=now,
                          partial=partial, state_since=now)
        book.next_id += 1
        book.orders.append(order)
        changed.append(order)
    return changed


# -- lifecycle ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PortStep:
    """What the PM entered on the order card for one step."""

    action: PortAction
    on_date: date | None = None  # submitted / resubmitted on, the FOC date
    foc_at: datetime | None = None  # the FOC date and time (in the project's zone)
    requested: date | None = None  # the requested FOC date, at submission
    reason: RejectionReason | None = None
    text: str = ""
    fixer: Role | None = None
    calls_done: bool = False
    dids: tuple[str, ...] = ()


def apply_step(order: PortOrder, step: PortStep, *, now: datetime, actor_name: str) -> PortState:
    """Apply one lifecycle step to the order; the state it was in before. Refused: nothing changed."""
    if order.state not in ALLOWED_FROM[step.action]:
        if step.action is PortAction.FOC and order.state is PortState.DRAFT:
            raise PortRefusal(Refusal.FOC_BEFORE_SUBMISSION)
        if step.action is PortAction.VERIFY and order.state is not PortState.VERIFIED:
            raise PortRefusal(Refusal.VERIFY_BEFORE_COMPLETION)
        raise PortRefusal(Refusal.WRONG_STATE, order.state.value)
    before = order.state
    if step.action in (PortAction.SUBMIT, PortAction.RESUBMIT):
        if step.on_date is None:
            raise PortRefusal(Refusal.DATE_REQUIRED)
        order.submitted_on = step.on_date
        if step.action is PortAction.SUBMIT:
            order.requested_foc = step.requested
            order.state = PortState.SUBMITTED
        else:
            order.resubmissions += 1
            order.state = PortState.RESUBMITTED
    elif step.action is PortAction.FOC:
        if step.foc_at is None:
            raise PortRefusal(Refusal.DATE_REQUIRED)
        if order.submitted_on is not None and step.foc_at.date() < order.submitted_on:
            raise PortRefusal(Refusal.FOC_BEFORE_SUBMITTED_DATE, order.submitted_on.isoformat())
        if order.foc_at is not None and order.foc_at.date() != step.foc_at.date():
            order.foc_moves = (*order.foc_moves, (now, order.foc_at.date().isoformat(), step.foc_at.date().isoformat()))
        order.foc_at = step.foc_at
        order.state = PortState.FOC_RECEIVED
    elif step.action is PortAction.REJECT:
        text = step.text.strip()[:MAX_TEXT]
        if step.reason is None or (step.reason is RejectionReason.OTHER and not text):
            raise PortRefusal(Refusal.REASON_REQUIRED)
        fixer = step.fixer or DEFAULT_FIXER[step.reason]
        order.rejections = (*order.rejections, Rejection(now, step.reason, text, fixer, actor_name))
        order.state = PortState.REJECTED
    elif step.action is PortAction.COMPLETE:
        order.completed_at = now
        order.state = PortState.COMPLETED
    elif step.action is PortAction.VERIFY:
        if not step.calls_done:
            raise PortRefusal(Refusal.CALLS_NOT_DONE)
        order.verified_at = now
        order.state = PortState.VERIFIED
    elif step.action is PortAction.TEMP_DIDS:
        order.temporary_dids = step.dids
    if order.state is not before:
        order.state_since = now
    order.rev += 1
    return before


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
