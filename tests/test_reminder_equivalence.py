"""The reminder pass sends exactly the cards it sent when it read every active project on every
tick. Two identical worlds (the real playbooks; people in seven time zones, some without a
preference; tasks confirmed, blocked and reopened, a FOC date, a new owner, snoozes) are run
through the same half-hourly ticks for two weeks, across both daylight-saving changes: one
with the pass as it was (kept below as the reference), one with the bot's. Same cards, to the
same people, at the same ticks, with far fewer project loads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.domain.authorization import Action, Actor
from bot.domain.notifications import plan_notifications
from bot.domain.playbook import PlaybookLibrary, load_playbooks
from bot.domain.project import ConversationTarget, Person, ProjectOptions, TaskState
from bot.domain.roles import Role
from bot.domain.schedule import compute_schedule, local_date
from bot.domain.transitions import new_project, set_foc_date, spec_of
from bot.domain.working_days import working_reminder_kind
from bot.scheduled import Claim, PersonDue, ScheduledWork, in_quiet_hours, projects
from bot.service import ActivationService
from bot.storage.contract import ProjectQuery, Store, user_key
from bot.storage.sqlite_store import SqliteStore
from cards.reminder import ReminderLine, reminder_card

TENANT = "tenant-eq"
START = datetime(2026, 10, 22, 0, 10, tzinfo=UTC)  # Europe leaves summer time on 25 Oct, the US on 1 Nov
DAYS = 14


class EveryProjectReminders(ScheduledWork):
    """The reminder pass before next_reminder_at, verbatim: every active project on every tick."""

    async def send_reminders(self, now: datetime) -> int:
        people: dict[str, PersonDue] = {}
        async for project in projects(self.store, ProjectQuery(active_only=True)):
            schedule = compute_schedule(project, self.library, now)
            tz = ZoneInfo(project.timezone)
            today = local_date(now, tz)
            for key, record in project.tasks.items():
                if record.state not in (TaskState.READY, TaskState.REOPENED, TaskState.BLOCKED):
                    continue
                due = schedule.dates[key].planned_due
                spec = spec_of(self.library, key)
                days_late = (today - due).days
                kind = working_reminder_kind(project, today, due)  # issue 18: weekends and holidays skipped
                if kind is None:
                    continue
                for person in project.people_in(spec.owners):
                    entry = await self._person(people, project, person.id, person.name, person.teams_id)
                    entry.lines.append(ReminderLine(project.customer_name, spec.label.get(entry.language), kind, days_late))
                if days_late > self.escalate_after_days:
                    for pm_id in project.pm_ids:
                        pm = project.person(pm_id)
                        entry = await self._person(people, project, pm_id, pm.name if pm else "", pm.teams_id if pm else None)
                        owners = ", ".join(p.name for p in project.people_in(spec.owners))
                        entry.escalations.append(ReminderLine(project.customer_name, f"{spec.label.get(entry.language)} ({owners})",
                                                              "overdue", days_late))
        sent = 0
        for entry in people.values():
            if in_quiet_hours(now, entry.timezone):
                continue
            prefs_doc = await self.store.read_document(user_key("user", entry.person_id))
            snoozed = prefs_doc.value.get("snoozedUntil") if prefs_doc else None
            local_today = local_date(now, ZoneInfo(entry.timezone))
            if snoozed and local_today.isoformat() < snoozed and not entry.escalations:
                continue
            claim = user_key("reminder", entry.person_id, local_today.isoformat())
            if await self._claim(claim, now) is not Claim.TAKEN:
                continue
            card = reminder_card(entry.lines, entry.escalations, entry.language)
            if await self._send_claimed(claim, entry.person_id, entry.teams_id, entry.via, card, now):
                sent += 1
        return sent


@dataclass(frozen=True)
class Someone:
    id: str
    name: str
    timezone: str | None  # None: never wrote to the bot, no preferences at all
    language: str = "en"

    @property
    def person(self) -> Person:
        return Person(self.id, self.name, f"29:{self.id}")

    def actor(self, staff: bool = False) -> Actor:
        return Actor(self.id, self.name, TENANT, is_staff_pm=staff)


PM1 = Someone("pm-1", "Pat PM", "Europe/Madrid")
PM2 = Someone("pm-2", "Quinn PM", "America/Los_Angeles", "es")
CONTACT = Someone("c-1", "Cam Contact", "America/New_York")
ADMIN = Someone("a-1", "Ada Admin", "Pacific/Auckland")
TECH = Someone("t-1", "Tia Tech", "Asia/Kolkata")
SIGNER = Someone("s-1", "Sid Signer", None)  # on projects of one time zone (New York) only: see send_reminders
CONTACT_ES = Someone("c-2", "Carla Contacto", "Asia/Tokyo", "es")
NEWCOMER = Someone("n-1", "Nia New", "Europe/London")
CHANNEL = ConversationTarget("19:activation@thread.tacv2", "https://smba.example/", TENANT)


@dataclass
class Recorder:
    sent: list[tuple[datetime, str, dict[str, Any]]] = field(default_factory=list)
    clock: Callable[[], datetime] = lambda: START

    async def send(self, target: ConversationTarget, card: dict[str, Any], mentions_text: str | None = None) -> str:
        self.sent.append((self.clock(), target.conversation_id, card))
        return f"activity-{len(self.sent)}"

    async def update(self, target: ConversationTarget, activity_id: str, card: dict[str, Any]) -> None:
        raise AssertionError("reminders never update a card")

    async def open_personal(self, via: ConversationTarget, user_teams_id: str) -> ConversationTarget:
        return ConversationTarget(f"a:1on1-{user_teams_id}", via.service_url, via.tenant_id)


class World:
    def __init__(self, store: Store, library: PlaybookLibrary, pass_class: type[ScheduledWork]) -> None:
        self.store = store
        self.library = library
        self.now = START
        self.messenger = Recorder(clock=lambda: self.now)
        self.service = ActivationService(store, library, is_staff_pm=lambda *_: True, clock=lambda: self.now)
        self.work = pass_class(store, library, self.messenger, clock=lambda: self.now)
        self.loads = 0
        load = store.load_project

        async def counted_load(project_id: str) -> Any:
            self.loads += 1
            return await load(project_id)

        store.load_project = counted_load  # type: ignore[method-assign]

    async def setup(self) -> None:
        for someone in (PM1, PM2, CONTACT, ADMIN, TECH, CONTACT_ES, NEWCOMER):
            await self.store.write_document(user_key("user", someone.id), {"timezone": someone.timezone, "language": someone.language})
        start = START.date()
        await self.project("p1", "Contoso", ("cloud_voice_teams",), "America/New_York", start, [PM1],
                           {Role.CUSTOMER_PRIMARY_CONTACT: [CONTACT], Role.CUSTOMER_GLOBAL_ADMIN: [ADMIN],
                            Role.CUSTOMER_ADMIN: [TECH], Role.PARTNER: [SIGNER], Role.AUTHORIZED_SIGNER: [SIGNER]}, porting=True)
        await self.project("p2", "Fabrikam", ("officeconnect_ucaas",), "Asia/Tokyo", start - timedelta(days=5), [PM2, PM1],
                           {Role.CUSTOMER_PRIMARY_CONTACT: [CONTACT], Role.CUSTOMER_ADMIN: [TECH]})
        await self.project("p3", "Northwind", ("cloud_voice_teams",), "Europe/Madrid", start + timedelta(days=5), [PM1],
                           {Role.CUSTOMER_PRIMARY_CONTACT: [CONTACT_ES], Role.CUSTOMER_GLOBAL_ADMIN: [CONTACT_ES]})
        await self.project("p4", "Tailspin", ("officeconnect_ucaas",), "America/New_York", start - timedelta(days=2), [PM2],
                           {Role.SALES_REP: [SIGNER], Role.CUSTOMER_PRIMARY_CONTACT: [ADMIN]})

    async def project(self, project_id: str, customer: str, products: tuple[str, ...], timezone: str, kickoff: date,
                      pms: list[Someone], roles: dict[Role, list[Someone]], porting: bool = False) -> None:
        """As ActivationService.create_project makes one, with a fixed id (lines follow project ids)."""
        people = {role: [s.person for s in holders] for role, holders in roles.items()}
        people[Role.PROVIDER_PM] = [pm.person for pm in pms]
        project, change = new_project(
            self.library, actor=pms[0].actor(staff=True), customer_name=customer, tenant_id=TENANT, products=products,
            options=ProjectOptions(porting=porting), kickoff=kickoff, timezone=timezone, language="en", now=self.now,
            requested_port_date=kickoff + timedelta(days=30) if porting else None, people=people, channel=CHANNEL,
            project_id=project_id,
        )
        plan_notifications(project, self.library, change, self.now)
        await self.store.create_project(project, change.events)

    async def act(self, someone: Someone, project_id: str, action: Action, task: str | None = None, reason: str | None = None) -> None:
        """`task`: its id in the playbook; None: the first one (by key) that the action applies to."""
        project = await self.service.load(project_id)
        assert project is not None
        states = (TaskState.DONE,) if action is Action.REOPEN else (TaskState.READY, TaskState.REOPENED)
        keys = sorted(k for k, r in project.tasks.items() if r.state in states and (task is None or k.endswith(":" + task)))
        outcome = await self.service.act_on_task(someone.actor(staff=someone.id.startswith("pm")), project_id,
                                                 keys[0], action, rev=None, reason=reason)
        assert outcome.change is not None, outcome.refusal

    async def run(self, actions: dict[int, Callable[[World], Awaitable[None]]]) -> None:
        for tick in range(DAYS * 48):
            self.now = START + timedelta(minutes=30 * tick)
            if tick in actions:
                await actions[tick](self)
            await self.work.send_reminders(self.now)


def at(day: int, hour: int, minute: int = 10) -> int:
    """The tick at that UTC time of the simulation's day."""
    return day * 48 + hour * 2 + (1 if minute >= 30 else 0)


async def set_foc(world: World) -> None:
    await world.service.change_project(PM1.actor(staff=True), "p1", lambda p: set_foc_date(
        p, world.library, actor=PM1.actor(staff=True), foc_date=START.date() + timedelta(days=9), now=world.now))


ACTIONS: dict[int, Callable[[World], Awaitable[None]]] = {
    at(1, 14): lambda w: w.act(PM1, "p1", Action.CONFIRM_ON_BEHALF, "meetings.kickoff"),
    at(1, 20, 40): lambda w: w.service.snooze(CONTACT.id, w.now),
    at(2, 3): lambda w: w.act(PM2, "p2", Action.BLOCK, reason="waiting on the carrier"),
    at(3, 13): lambda w: w.act(PM1, "p1", Action.CONFIRM_ON_BEHALF, "licensing.users_a5_e5"),
    at(4, 15): set_foc,
    at(5, 17): lambda w: w.service.assign(PM1.actor(staff=True), "p3", Role.PARTNER, NEWCOMER.person),
    at(6, 9): lambda w: w.act(PM2, "p4", Action.CONFIRM_ON_BEHALF),
    at(6, 9, 40): lambda w: w.act(PM2, "p4", Action.CONFIRM_ON_BEHALF),
    at(7, 22): lambda w: w.service.snooze(ADMIN.id, w.now),
    at(8, 11): lambda w: w.act(PM1, "p1", Action.REOPEN, "licensing.users_a5_e5"),
    at(9, 16): lambda w: w.act(PM1, "p3", Action.CONFIRM_ON_BEHALF, "meetings.kickoff"),
    at(10, 0): lambda w: w.act(PM2, "p2", Action.CONFIRM_ON_BEHALF),
    at(11, 18): lambda w: w.service.snooze(PM1.id, w.now),
    at(12, 6): lambda w: w.act(PM1, "p3", Action.CONFIRM_ON_BEHALF),
}


@pytest.mark.asyncio
async def test_the_same_cards_as_reading_every_project_on_every_tick(tmp_path: Path) -> None:
    library = load_playbooks()
    worlds = []
    for name, pass_class in (("reference", EveryProjectReminders), ("bot", ScheduledWork)):
        store = SqliteStore(tmp_path / f"{name}.db")
        await store.open()
        world = World(store, library, pass_class)
        await world.setup()
        worlds.append(world)
    reference, bot = worlds
    try:
        for world in worlds:
            await world.run(ACTIONS)
    finally:
        for world in worlds:
            await world.store.close()

    assert bot.messenger.sent == reference.messenger.sent
    # The worlds were busy enough to mean something: cards to every kind of person, escalations, snoozes.
    receivers = {conversation for _, conversation, _ in reference.messenger.sent}
    assert receivers == {f"a:1on1-29:{s.id}" for s in (PM1, PM2, CONTACT, ADMIN, TECH, SIGNER, CONTACT_ES, NEWCOMER)}
    assert len(reference.messenger.sent) >= 60
    assert any("Overdue tasks that need attention" in str(card) for _, _, card in reference.messenger.sent)
    # Every project has lines every day here, for people in six time zones: the bot reads each
    # at its local midnight and at each of their mornings (and after each change), not on every tick.
    assert reference.loads >= 4 * 48 * DAYS
    assert bot.loads * 4 < reference.loads, (bot.loads, reference.loads)
    print(f"\nreminder cards: {len(bot.messenger.sent)}; project loads: {reference.loads} reading every project, {bot.loads} now")
