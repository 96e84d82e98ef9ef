"""Time-driven work: weekly digests, the PMs' portfolio digests, and daily reminders.

Safe with several bot instances on one store:
- a project's weekly digest is recorded in the project document with a conditional write and
  an id that names the week, then delivered by the outbox (one lease per project);
- portfolio digests and reminders, which span projects, are claimed with a create-only
  directory document per person and day/week before they are sent; a claim left "sending"
  by a crashed instance is retried after CLAIM_TIMEOUT, so nothing is lost;
- a reminder pass loads only the projects whose `next_reminder_at` has come and moves it on
  with a conditional write that gives way to any change made meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from bot.delivery.delivery import SWEEP_SECONDS, Delivery
from bot.delivery.limits import DeliveryError, Messenger
from bot.delivery.reach import Reach
from bot.domain.digest import record_weekly_digest, week_of
from bot.domain.people import PersonRecord
from bot.domain.plan import task_owners
from bot.domain.playbook import PlaybookLibrary
from bot.domain.project import ConversationTarget, Project
from bot.domain.schedule import compute_schedule, local_date, start_of_local_day
from bot.domain.text import Language
from bot.domain.transitions import spec_of
from bot.domain.working_days import next_working_reminder_day, working_reminder_kind
from bot.porting_service import owe_cutovers
from bot.storage.contract import (
    AlreadyExists,
    ConcurrencyConflict,
    ProjectNotFound,
    ProjectQuery,
    ProjectSummary,
    Store,
    update_project,
    user_key,
)
from bot.storage.people import PersonRecords
from cards.digest import portfolio_digest_card
from cards.reminder import ReminderLine, reminder_card
from cards.views import DigestView, digest_view

log = logging.getLogger(__name__)
CLAIM_TIMEOUT = timedelta(minutes=10)
QUIET_START = time(20, 0)
QUIET_END = time(8, 0)


async def summaries(store: Store, query: ProjectQuery) -> AsyncGenerator[ProjectSummary, None]:
    continuation: str | None = None
    while True:
        page = await store.list_projects(query, page_size=100, continuation=continuation)
        for summary in page.items:
            yield summary
        continuation = page.continuation
        if not continuation:
            return


async def projects(store: Store, query: ProjectQuery) -> AsyncGenerator[Project, None]:
    """The projects that match, loaded one at a time (only the current one is held)."""
    async with aclosing(summaries(store, query)) as listed:
        async for summary in listed:
            current = await store.load_project(summary.id)
            if current is not None:
                yield current.value


async def record_due_digests(store: Store, library: PlaybookLibrary, now: datetime) -> list[ProjectSummary]:
    """Record this week's digest in every project whose digest time has come; returns the
    summaries (ids and PMs) of those where it was recorded now."""
    recorded = []
    async for summary in summaries(store, ProjectQuery(active_only=True, digest_due_before=now)):
        try:
            item, _ = await update_project(store, summary.id, lambda p: record_weekly_digest(p, library, now), lambda _: [])
        except ProjectNotFound:
            continue  # deleted since it was listed
        if item is not None:
            recorded.append(summary)
    return recorded


def in_quiet_hours(moment: datetime, timezone: str) -> bool:
    local = moment.astimezone(ZoneInfo(timezone)).time()
    return local >= QUIET_START or local < QUIET_END


def end_of_quiet_hours(moment: datetime, tz: ZoneInfo) -> datetime:
    """The first moment from `moment` outside quiet hours, UTC."""
    local = moment.astimezone(tz)
    day = local.date() if local.time() < QUIET_END else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_END, tzinfo=tz).astimezone(UTC)


class Claim(StrEnum):
    TAKEN = "taken"  # ours to send now
    SETTLED = "settled"  # sent (or given up) already
    BUSY = "busy"  # another instance is sending it (or the claim could not be read)


@dataclass
class PersonDue:
    person_id: str
    name: str
    timezone: str
    language: Language
    via: ConversationTarget | None
    teams_id: str | None
    lines: list[ReminderLine] = field(default_factory=list)
    escalations: list[ReminderLine] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ReminderReview:
    """What a reminder pass saw of one project: enough to move its next_reminder_at afterwards."""

    project_id: str
    event_seq: int  # every recorded change bumps it: unchanged means the project is as seen
    next_reminder_at: datetime | None  # as stored
    tomorrow: datetime  # the project's next local midnight: its lines stay the same until then
    next_line_day: datetime | None  # the start of its next local day with a line, from tomorrow
    people: frozenset[str]  # whom it gives lines or escalations now


class Scheduler:
    """When time-driven work runs: in-process (`run_forever`) or once from an external job
    (`python -m bot jobs run-due`), safely beside other instances doing the same."""

    def __init__(self, work: ScheduledWork, delivery: Delivery) -> None:
        self.work = work
        self.delivery = delivery
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Shutdown: `run_forever` ends after the run in progress (or at once, between runs)."""
        self._stopping.set()

    async def run_due(self) -> dict[str, int]:
        """Everything time has made due: weekly digests, portfolio digests, reminders, the outbox."""
        work = self.work
        now = work.clock()
        recorded = await record_due_digests(work.store, work.library, now)
        portfolio = await work.send_portfolio_digests(recorded, now)
        reminders = await work.send_reminders(now)
        await owe_cutovers(work.store, now)  # issue 17: port orders' cutover cards, owed to their outbox
        delivered = await self.delivery.sweep()
        await self.delivery.settle()
        return {"digests": len(recorded), "portfolio": portfolio, "reminders": reminders, "outbox": delivered}

    async def run_forever(self, interval: float = SWEEP_SECONDS) -> None:
        """Run what is due at start-up (after a restart nothing owed waits a whole interval), then
        every `interval` seconds until `stop`; a failed run is logged and the next one retries."""
        while not self._stopping.is_set():
            try:
                await self.run_due()
            except Exception:
                log.warning("scheduled run failed", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), interval)


class ScheduledWork:
    """What time makes due across projects: portfolio digests and daily reminders."""

    def __init__(self, store: Store, library: PlaybookLibrary, messenger: Messenger, *, clock: Callable[[], datetime],
                 escalate_after_days: int = 3) -> None:
        self.store = store
        self.library = library
        self.messenger = messenger
        self.reach = Reach(PersonRecords(store), messenger)
        self.clock = clock
        self.escalate_after_days = escalate_after_days

    async def _claim(self, key: str, now: datetime) -> Claim:
        """Create-only claim; an old unfinished claim (crashed sender) may be taken over."""
        try:
            await self.store.write_document(key, {"status": "sending", "at": now.isoformat()}, "")
            return Claim.TAKEN
        except AlreadyExists:
            current = await self.store.read_document(key)
            if current is None:
                return Claim.BUSY
            if current.value.get("status") == "sent":
                return Claim.SETTLED
            if now - datetime.fromisoformat(current.value["at"]) < CLAIM_TIMEOUT:
                return Claim.BUSY
            try:
                await self.store.write_document(key, {"status": "sending", "at": now.isoformat()}, current.etag)
                return Claim.TAKEN
            except ConcurrencyConflict:
                return Claim.BUSY

    async def _send_claimed(self, claim_key: str, person_id: str, teams_id: str | None, via: ConversationTarget | None,
                            card: dict[str, Any], now: datetime) -> bool:
        try:
            target = await self.reach.conversation(person_id, teams_id=teams_id, via=via,
                                                   tenant_id=via.tenant_id if via else "", install=False)
            if target is None:
                await self.store.write_document(claim_key, {"status": "sent", "at": now.isoformat(), "skipped": "no conversation"})
                return False
            activity_id = await self.messenger.send(target, card)
        except DeliveryError as error:
            if error.permanent:
                await self.store.write_document(claim_key, {"status": "sent", "at": now.isoformat(), "failed": error.status})
                return False
            raise
        await self.store.write_document(claim_key, {"status": "sent", "at": now.isoformat(), "activityId": activity_id})
        return True

    # -- portfolio digests --------------------------------------------------------------
    async def send_portfolio_digests(self, recorded: Sequence[ProjectSummary], now: datetime) -> int:
        """One 1:1 digest per PM and week, across the PM's active projects, for the PMs of the
        projects whose weekly digest was just recorded. One PM at a time, each of their projects
        loaded in turn and reduced to the card's view: memory holds one PM's views, not projects."""
        pm_ids = dict.fromkeys(pm_id for summary in recorded for pm_id in summary.pm_ids)
        sent = 0
        for pm_id in pm_ids:
            if await self._send_portfolio_digest(pm_id, now):
                sent += 1
        return sent

    async def _send_portfolio_digest(self, pm_id: str, now: datetime) -> bool:
        claim: str | None = None
        language: Language = "en"
        teams_id: str | None = None
        via: ConversationTarget | None = None
        views: list[DigestView] = []
        async with aclosing(projects(self.store, ProjectQuery(pm_id=pm_id, active_only=True))) as mine:
            async for project in mine:
                if claim is None:  # the first project names the week and how to reach the PM
                    claim = user_key("portfolio", pm_id, week_of(project, now))
                    if await self._claim(claim, now) is not Claim.TAKEN:
                        return False
                    # A PM with a record but no language gets English; with no record, the first project's.
                    record = await self.reach.people.read(pm_id)
                    language = (record.value.language_or("en") if record else PersonRecord().language_or(project.language))
                    person = project.person(pm_id)
                    teams_id = person.teams_id if person else None
                    via = project.channel
                views.append(digest_view(project, self.library, language=language, now=now))
        if claim is None:
            return False  # no active project left
        return await self._send_claimed(claim, pm_id, teams_id, via, portfolio_digest_card(views, language), now)

    # -- reminders ----------------------------------------------------------------------
    async def send_reminders(self, now: datetime) -> int:
        """At most one reminder card per person per local day, outside quiet hours: tasks due
        tomorrow and overdue ones; PMs also get the tasks overdue past the escalation limit.

        Only projects whose next_reminder_at has come are loaded; a project that gives nobody a
        line changes no card, so skipping it changes nothing. After the pass each loaded project
        is moved on to the first moment it may matter again: its next local day with a line (its
        lines change only at its local midnight, or with a change, which makes it due at once),
        or sooner, today, when someone it gives a line to may still get a card: at the end of
        their quiet hours, or never today once reminded. Someone snoozed (or being reminded by
        another instance) keeps it due: an escalation later today brings their card, with every line.
        (As before, someone without a time-zone preference takes the zone of the first project with
        a line for them; across projects in different zones, one moved on no longer takes part.)
        """
        people: dict[str, PersonDue] = {}
        reviews: list[ReminderReview] = []
        async for project in projects(self.store, ProjectQuery(active_only=True, reminder_due_before=now)):
            reviews.append(await self._collect_lines(project, now, people))
        sent = 0
        next_chance: dict[str, datetime | None] = {}  # person -> when they may get a card again; None: any tick
        for entry in people.values():
            tz = ZoneInfo(entry.timezone)
            if in_quiet_hours(now, entry.timezone):
                next_chance[entry.person_id] = end_of_quiet_hours(now, tz)
                continue
            next_chance[entry.person_id] = None
            snoozed = (await self.reach.people.get(entry.person_id)).snoozed_until
            local_today = local_date(now, tz)
            if snoozed and local_today < snoozed and not entry.escalations:
                continue
            claim = user_key("reminder", entry.person_id, local_today.isoformat())
            outcome = await self._claim(claim, now)
            if outcome is Claim.TAKEN:
                card = reminder_card(entry.lines, entry.escalations, entry.language)
                if await self._send_claimed(claim, entry.person_id, entry.teams_id, entry.via, card, now):
                    sent += 1
            if outcome is not Claim.BUSY:  # reminded for today: tomorrow morning at the earliest
                next_chance[entry.person_id] = end_of_quiet_hours(start_of_local_day(local_today + timedelta(days=1), tz), tz)
        for review in reviews:
            await self._defer_reminders(review, next_chance)
        return sent

    async def _collect_lines(self, project: Project, now: datetime, people: dict[str, PersonDue]) -> ReminderReview:
        """Add the project's reminder lines (and escalations) to each person's entry."""
        schedule = compute_schedule(project, self.library, now)
        tz = ZoneInfo(project.timezone)
        today = local_date(now, tz)
        concerned: set[str] = set()
        for key, record in project.tasks.items():
            if not record.state.is_open:
                continue
            due = schedule.dates[key].planned_due
            kind = working_reminder_kind(project, today, due)  # weekends and holidays skipped
            if kind is None:
                continue
            spec = spec_of(self.library, key, project)
            days_late = (today - due).days
            for person in task_owners(project, self.library, key):  # as the PM assigned them
                entry = await self._person(people, project, person.id, person.name, person.teams_id)
                entry.lines.append(ReminderLine(project.customer_name, spec.label.get(entry.language), kind, days_late))
                concerned.add(person.id)
            if days_late > self.escalate_after_days:
                for pm_id in project.pm_ids:
                    pm = project.person(pm_id)
                    entry = await self._person(people, project, pm_id, pm.name if pm else "", pm.teams_id if pm else None)
                    owners = ", ".join(p.name for p in task_owners(project, self.library, key))
                    entry.escalations.append(ReminderLine(project.customer_name, f"{spec.label.get(entry.language)} ({owners})",
                                                          "overdue", days_late))
                    concerned.add(pm_id)
        tomorrow = today + timedelta(days=1)
        next_day = next_working_reminder_day(
            project, [schedule.dates[k].planned_due for k, r in project.tasks.items() if r.state.is_open], tomorrow)
        return ReminderReview(
            project_id=project.id,
            event_seq=project.event_seq,
            next_reminder_at=project.next_reminder_at,
            tomorrow=start_of_local_day(tomorrow, tz),
            next_line_day=start_of_local_day(next_day, tz) if next_day else None,
            people=frozenset(concerned),
        )

    async def _defer_reminders(self, review: ReminderReview, next_chance: dict[str, datetime | None]) -> None:
        """Move the project's next_reminder_at to the first moment it may matter again (see
        send_reminders), unless a change came meanwhile (that change made it due itself)."""
        moments = [review.next_line_day] if review.next_line_day else []
        for person_id in review.people:
            chance = next_chance[person_id]
            if chance is None:
                return  # may get a card at any tick today: the project stays due
            if chance < review.tomorrow:  # from tomorrow on, the project's own next day with a line decides
                moments.append(chance)
        moment = min(moments, default=None)
        if moment == review.next_reminder_at:
            return

        def move(project: Project) -> bool:
            if project.event_seq != review.event_seq:
                return False
            project.next_reminder_at = moment
            return True

        try:
            await update_project(self.store, review.project_id, move, lambda _: [], write_if=lambda moved: moved)
        except ProjectNotFound:
            return  # deleted meanwhile

    async def _person(self, people: dict[str, PersonDue], project: Project, person_id: str, name: str,
                      teams_id: str | None) -> PersonDue:
        if person_id not in people:
            record = await self.reach.people.get(person_id)
            people[person_id] = PersonDue(person_id, name, record.timezone or project.timezone,
                                          record.language_or(project.language), project.channel, teams_id)
        return people[person_id]
