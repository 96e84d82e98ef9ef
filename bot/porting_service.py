"""Number porting use cases: paste numbers, record a port order's steps, send the rejection
and cutover cards. SDK-free; every change goes through `update_project` (by way of
`ActivationService.change_project`, so reminders and due-date notices follow as for `foc`).

The cutover cards are due at known moments (09:00 local the day before the FOC, 08:00 on the
day): one directory document, CUTOVER_KEY, maps each project to its next such moment, so the
scheduler reads one document per tick instead of loading projects.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.authorization import Action, Actor, decide
from bot.domain.catalogue import t
from bot.domain.events import Event
from bot.domain.porting import (
    DEFAULT_FIXER,
    MAX_PASTE_CHARS,
    MAX_PASTE_LINES,
    PortAction,
    PortOrder,
    PortRefusal,
    PortState,
    PortStep,
    Refusal,
    RejectionReason,
    add_numbers,
    apply_step,
    count_lines,
    normalise,
    parse_paste,
    region_for_timezone,
)
from bot.domain.project import OutboxItem, OutboxKind, Project, Target
from bot.domain.roles import Role
from bot.domain.text import Language
from bot.domain.transitions import Change, Refused, _refresh_readiness, set_foc_date
from bot.service import ActivationService
from bot.storage.contract import AlreadyExists, ConcurrencyConflict, ProjectNotFound, Store, update_project, user_key
from cards.base import Card
from cards.porting import STATE_KEY, order_card, orders_card, paste_card, refusal_text

log = logging.getLogger(__name__)
CUTOVER_KEY = user_key("porting", "cutovers")
EVE_AT = time(9, 0)
DAY_AT = time(8, 0)
CUTOVER_ROLES = (Role.PROVIDER_PM, Role.CUSTOMER_PRIMARY_CONTACT)


@dataclass(frozen=True, slots=True)
class PortingReply:
    """What the person who acted should now see, and whether the project owes messages."""

    cards: list[Card]
    deliver: bool = False
    text: str | None = None


class PortingService:
    def __init__(self, service: ActivationService) -> None:
        self.service = service
        self.store = service.store
        self.library = service.library
        self.clock = service.clock

    # -- reading --------------------------------------------------------------------------
    async def _project(self, actor: Actor, project_id: str) -> Project:
        project = await self.service.visible_project(actor, project_id)  # tenant and membership
        if not project.options.porting:
            raise PortRefusal(Refusal.NO_PORTING)
        return project

    @staticmethod
    def region(project: Project) -> str:
        return region_for_timezone(project.timezone)

    async def numbers_card(self, actor: Actor, project_id: str, language: Language) -> PortingReply:
        try:
            project = await self._project(actor, project_id)
        except PortRefusal as refusal:
            return PortingReply([], text=refusal_text(refusal.code, language))
        return PortingReply([paste_card(project, self.region(project), language)])

    async def orders(self, actor: Actor, project_id: str, language: Language) -> PortingReply:
        try:
            project = await self._project(actor, project_id)
        except PortRefusal as refusal:
            return PortingReply([], text=refusal_text(refusal.code, language))
        now = self.clock()
        pm = decide(actor, Action.SET_FOC, project)
        cards = [orders_card(project, language, now)]
        cards += [order_card(project, order, language, now, pm=pm) for order in project.port_book.orders[:10]]
        return PortingReply(cards)

    # -- numbers ------------------------------------------------------------------------
    async def paste(self, actor: Actor, project_id: str, values: dict[str, Any], language: Language) -> PortingReply:
        """Check pasted numbers; save them only when every line is valid or the person confirms."""
        typed = _text(values, "numbers")
        carrier = _text(values, "carrier")
        btn = _text(values, "btn")
        partial = str(values.get("partial", "")).lower() == "true"
        confirm = values.get("confirm") is True or str(values.get("confirm", "")).lower() == "true"
        try:
            project = await self._project(actor, project_id)
        except PortRefusal as refusal:
            return PortingReply([], text=refusal_text(refusal.code, language))
        region = self.region(project)
        if not (project.roles_of(actor.id) or actor.is_staff_pm):
            return PortingReply([], text=refusal_text(Refusal.NOT_ON_PROJECT, language))
        lines = count_lines(typed)
        if lines > MAX_PASTE_LINES or len(typed) > MAX_PASTE_CHARS:
            # Refused before anything is parsed; the text is not echoed (it would not fit a card).
            notice = refusal_text(Refusal.TOO_MANY_LINES, language, lines=lines, chars=len(typed))
            return PortingReply([paste_card(project, region, language, carrier=carrier, btn=btn, partial=partial, notice=notice)])
        paste = parse_paste(typed, region=region, carrier=carrier, btn=btn, taken=project.port_book.owner_of())
        if not paste.valid:
            notice = refusal_text(Refusal.NOTHING_VALID, language)
            return PortingReply([paste_card(project, region, language, paste=paste, typed=typed, carrier=carrier, btn=btn,
                                            partial=partial, notice=notice)])
        if paste.problems and not confirm:
            return PortingReply([paste_card(project, region, language, paste=paste, typed=typed, carrier=carrier, btn=btn,
                                            partial=partial)])
        changed_ids: list[str] = []
        saved_count = 0

        def mutate(current: Project) -> Change:
            nonlocal saved_count
            now = self.clock()
            # Decided again on the project as it is now: another paste may have taken numbers meanwhile.
            fresh = parse_paste(typed, region=region, carrier=carrier, btn=btn, taken=current.port_book.owner_of())
            if not fresh.valid:
                raise PortRefusal(Refusal.NOTHING_VALID)
            orders = add_numbers(current.port_book, fresh, now=now, partial=partial)
            changed_ids[:] = [o.id for o in orders]
            saved_count = len(fresh.valid)
            return _event(current, actor, now, "port_numbers_added",
                          {"orders": list(changed_ids), "numbers": saved_count, "skipped": len(fresh.problems)})

        try:
            saved = await self.service.change_project(actor, project_id, mutate)
        except PortRefusal as refusal:
            return PortingReply([paste_card(project, region, language, typed=typed, notice=refusal_text(refusal.code, language))])
        now = self.clock()
        message = t("porting.saved", language, n=saved_count, orders=", ".join(changed_ids))
        cards = [order_card(saved, saved.port_book.order(o), language, now, pm=decide(actor, Action.SET_FOC, saved))
                 for o in changed_ids[:5]]
        return PortingReply(cards, deliver=True, text=message)

    # -- lifecycle --------------------------------------------------------------------------
    async def step(self, actor: Actor, project_id: str, values: dict[str, Any], language: Language) -> PortingReply | None:
        """One lifecycle step from an order card. None for data no card of ours sends."""
        order_id, rev, raw_action = values.get("o"), values.get("r"), values.get("a")
        if not isinstance(order_id, str) or len(order_id) > 20 or not isinstance(rev, int) or isinstance(rev, bool):
            return None
        try:
            action = PortAction(str(raw_action))
        except ValueError:
            return None
        try:
            project = await self._project(actor, project_id)
            order = project.port_book.order(order_id)
        except PortRefusal as refusal:
            return PortingReply([], text=refusal_text(refusal.code, language))
        now = self.clock()
        if not decide(actor, Action.SET_FOC, project):
            return PortingReply([order_card(project, order, language, now, pm=False,
                                            notice=refusal_text(Refusal.NOT_PM, language))])
        try:
            step = _read_step(action, values, project)
        except PortRefusal as refusal:
            return PortingReply([order_card(project, order, language, now, pm=True,
                                            notice=refusal_text(refusal.code, language, value=refusal.detail))])

        def mutate(current: Project) -> Change:
            at = self.clock()
            target = current.port_book.order(order_id)
            if target.rev != rev:
                raise PortRefusal(Refusal.STALE)
            before = apply_step(target, step, now=at, actor_name=actor.name)
            change = _event(current, actor, at, "port_order_changed",
                            {"order": target.id, "action": action.value, "from": before.value, "to": target.state.value})
            if action is PortAction.REJECT:
                _owe_rejection(current, target, change, at)
            if action is PortAction.VERIFY:
                _refresh_readiness(current, self.library, change, actor, at)  # e.g. cancelling the old carrier
            latest = current.port_book.latest_foc()
            if action is PortAction.FOC and latest is not None and latest != current.foc_date:
                try:
                    dated = set_foc_date(current, self.library, actor=actor, foc_date=latest, now=at, confirmed=True)
                except Refused as refused:
                    raise PortRefusal(Refusal.DATE_INVALID, refused.detail) from None
                change.events.extend(dated.events)  # last: due dates of open tasks are sent again, as for `foc`
            return change

        try:
            saved = await self.service.change_project(actor, project_id, mutate)
        except PortRefusal as refusal:  # nothing changed: the order as it is now, and why
            current = await self.service.load(project_id) or project
            return PortingReply([order_card(current, current.port_book.order(order_id), language, self.clock(), pm=True,
                                            notice=refusal_text(refusal.code, language, value=refusal.detail))])
        if action is PortAction.FOC:
            await self.plan_cutover(saved)
        updated = saved.port_book.order(order_id)
        notice = t("porting.step.done", language, state=t(STATE_KEY[updated.state], language))
        return PortingReply([order_card(saved, updated, language, self.clock(), pm=True, notice=notice)], deliver=True)

    # -- cutover -----------------------------------------------------------------------------
    async def plan_cutover(self, project: Project) -> None:
        """Record when the project's next cutover card is due (or that none is)."""
        await set_cutover_due(self.store, project.id, next_cutover_at(project, self.clock()))


async def set_cutover_due(store: Store, project_id: str, moment: datetime | None) -> None:
    for _ in range(8):
        current = await store.read_document(CUTOVER_KEY)
        due = dict(current.value.get("due", {})) if current else {}
        if moment is None:
            if project_id not in due:
                return
            due.pop(project_id)
        else:
            due[project_id] = moment.astimezone(UTC).isoformat()
        try:
            await store.write_document(CUTOVER_KEY, {"due": due}, current.etag if current else "")
            return
        except (ConcurrencyConflict, AlreadyExists):
            continue
    log.warning("cutover schedule of project %s not recorded: the document kept changing", project_id)


async def owe_cutovers(store: Store, now: datetime) -> int:
    """Owe the cutover cards whose moment has come (the outbox delivers them); how many projects.
    Called by the scheduler on every tick: one document read when nothing is due."""
    current = await store.read_document(CUTOVER_KEY)
    due = dict(current.value.get("due", {})) if current else {}
    count = 0
    for project_id, at in sorted(due.items()):
        if datetime.fromisoformat(at) > now:
            continue
        try:
            _, saved = await update_project(store, project_id, lambda p: _owe_cutovers(p, now), lambda _: [], write_if=bool)
        except ProjectNotFound:
            await set_cutover_due(store, project_id, None)
            continue
        count += 1
        await set_cutover_due(store, project_id, next_cutover_at(saved.value, now + timedelta(seconds=1)))
    return count


# -- helpers -----------------------------------------------------------------------------------
def _event(project: Project, actor: Actor, now: datetime, kind: str, data: dict[str, Any]) -> Change:
    event_id, seq = project.next_event_id()
    project.next_reminder_at = now
    return Change(events=[Event(id=event_id, project_id=project.id, seq=seq, at=now, kind=kind, actor_id=actor.id,
                                actor_name=actor.name, data=data)])


def _text(values: dict[str, Any], key: str) -> str:
    value = values.get(key)
    return value if isinstance(value, str) else ""


def _read_step(action: PortAction, values: dict[str, Any], project: Project) -> PortStep:
    """The step as the card's inputs give it; unreadable input is refused here, before any change."""
    def day(key: str, required: bool) -> date | None:
        raw = values.get(key)
        if not isinstance(raw, str) or not raw.strip():
            if required:
                raise PortRefusal(Refusal.DATE_REQUIRED)
            return None
        try:
            return date.fromisoformat(raw.strip()[:10])
        except ValueError:
            raise PortRefusal(Refusal.DATE_INVALID, raw[:20]) from None

    if action is PortAction.SUBMIT:
        return PortStep(action, on_date=day("submit_date", True), requested=day("requested", False) or project.requested_port_date)
    if action is PortAction.RESUBMIT:
        return PortStep(action, on_date=day("resubmit_date", True))
    if action is PortAction.FOC:
        foc_day = day("foc_date", True)
        assert foc_day is not None
        raw_time = _text(values, "foc_time")
        try:
            at = time.fromisoformat(raw_time.strip()[:5]) if raw_time and raw_time.strip() else time(10, 0)
        except ValueError:
            raise PortRefusal(Refusal.DATE_INVALID, raw_time[:20]) from None
        return PortStep(action, foc_at=datetime.combine(foc_day, at, tzinfo=ZoneInfo(project.timezone)))
    if action is PortAction.REJECT:
        raw_reason = values.get("reason")
        try:
            reason = RejectionReason(raw_reason) if isinstance(raw_reason, str) and raw_reason else None
        except ValueError:
            reason = None
        raw_fixer = values.get("fixer")
        fixer = Role(raw_fixer) if isinstance(raw_fixer, str) and raw_fixer in {r.value for r in Role} else None
        text = _text(values, "reject_text")
        return PortStep(action, reason=reason, text=text, fixer=fixer or (DEFAULT_FIXER[reason] if reason else None))
    if action is PortAction.VERIFY:
        return PortStep(action, calls_done=str(values.get("calls", "")).lower() == "true")
    if action is PortAction.TEMP_DIDS:
        raw = _text(values, "dids")
        region = region_for_timezone(project.timezone)
        dids, bad = [], []
        for line in raw.splitlines()[:MAX_PASTE_LINES]:
            if line.strip():
                number, _ = normalise(line.strip(), region)
                (dids.append(number) if number else bad.append(line.strip()[:30]))
        if bad:
            raise PortRefusal(Refusal.DIDS_INVALID, ", ".join(bad[:5]))
        return PortStep(action, dids=tuple(dids))
    return PortStep(action)


def _owe_rejection(project: Project, order: PortOrder, change: Change, now: datetime) -> None:
    """The rejection card to everyone holding the role that must fix it (the PMs if nobody does)."""
    fixer = order.rejections[-1].fixer
    people = project.people_in((fixer,)) or project.people_in((Role.PROVIDER_PM,))
    anchor = change.events[0].id
    for person in people:
        project.owe(OutboxItem(id=f"{anchor}:{OutboxKind.PORT_REJECTION.value}:user:{person.id}:{order.id}",
                               kind=OutboxKind.PORT_REJECTION, target=Target.person(person.id), created_at=now,
                               params={"order": order.id, "rejection": len(order.rejections)}))


def _moments(project: Project, order: PortOrder) -> list[tuple[str, datetime, date]]:
    """(phase key, when due, local day it belongs to) of the order's two cutover cards."""
    if order.foc_at is None or order.state is not PortState.FOC_RECEIVED:
        return []
    tz = ZoneInfo(project.timezone)
    foc = order.foc_at.astimezone(tz).date()
    eve = foc - timedelta(days=1)
    day_at = min(datetime.combine(foc, DAY_AT, tzinfo=tz), order.foc_at - timedelta(hours=1))
    return [(f"eve:{foc.isoformat()}", datetime.combine(eve, EVE_AT, tzinfo=tz), eve),
            (f"day:{foc.isoformat()}", day_at, foc)]


def next_cutover_at(project: Project, now: datetime) -> datetime | None:
    """The first moment from `now` at which a cutover card of the project falls due, if any."""
    tz = ZoneInfo(project.timezone)
    today = now.astimezone(tz).date()
    moments = [max(at, now) for order in project.port_book.orders for key, at, day in _moments(project, order)
               if key not in order.cutovers_sent and day >= today]
    return min(moments) if moments else None


def _owe_cutovers(project: Project, now: datetime) -> bool:
    """Owe each cutover card due now to the PM and the customer's primary contact; True if any."""
    tz = ZoneInfo(project.timezone)
    today = now.astimezone(tz).date()
    owed = False
    for order in project.port_book.orders:
        for key, at, day in _moments(project, order):
            if key in order.cutovers_sent or at > now or day != today:
                continue
            order.cutovers_sent = (*order.cutovers_sent, key)
            for person in project.people_in(CUTOVER_ROLES):
                project.owe(OutboxItem(id=f"{project.id}:{OutboxKind.PORT_CUTOVER.value}:user:{person.id}:{order.id}:{key}",
                                       kind=OutboxKind.PORT_CUTOVER, target=Target.person(person.id), created_at=now,
                                       params={"order": order.id, "phase": key.split(":", 1)[0]}))
            owed = True
    return owed
