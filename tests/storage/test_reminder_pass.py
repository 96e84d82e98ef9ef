"""What a reminder tick costs, on both stores: it loads only the projects that may give someone
a line now, and nothing once everyone concerned has been reminded for the day; the write that
moves a project on never loses a change made meanwhile."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.domain.authorization import Action, Actor
from bot.domain.project import ConversationTarget, Person, ProjectOptions, TaskState
from bot.domain.roles import Role
from bot.domain.schedule import start_of_local_day
from bot.scheduled import CLAIM_TIMEOUT, ScheduledWork
from bot.service import ActivationService, NewProjectRequest
from bot.storage.contract import Store, user_key
from tests.storage.helpers import LIBRARY, NOW, OTHER_PM, PM, TENANT
from tests.support.store_counting import count_operations

MADRID = ZoneInfo("Europe/Madrid")


def madrid(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=MADRID).astimezone(UTC)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


class RecordingMessenger:
    """Records each card by conversation; `before_send` runs inside a send (a change made mid-pass)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.before_send: Callable[[], Awaitable[None]] | None = None

    async def send(self, target: ConversationTarget, card: dict[str, Any], mentions_text: str | None = None) -> str:
        if self.before_send is not None:
            hook, self.before_send = self.before_send, None
            await hook()
        self.sent.append((target.conversation_id, card))
        return f"activity-{len(self.sent)}"

    async def update(self, target: ConversationTarget, activity_id: str, card: dict[str, Any]) -> None:
        raise AssertionError("reminders never update a card")

    async def open_personal(self, via: ConversationTarget, user_teams_id: str) -> ConversationTarget:
        raise AssertionError("every person here has a 1:1 conversation already")


def lines_of(card: dict[str, Any]) -> list[tuple[str, str]]:
    return [(fact["title"], fact["value"]) for element in card["body"] if element.get("type") == "FactSet"
            for fact in element["facts"]]


class Setting:
    """Projects made through the service (as the bot makes them), a reminder pass, and a spy on
    project loads."""

    def __init__(self, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
        self.store = store
        self.clock = Clock(NOW)  # 10:00 in Madrid on 2 Nov
        self.messenger = RecordingMessenger()
        self.service = ActivationService(store, LIBRARY, is_staff_pm=lambda *_: True, clock=self.clock)
        self.work = ScheduledWork(store, LIBRARY, self.messenger, clock=self.clock)
        self.loads: list[str] = []
        load = store.load_project

        async def counted_load(project_id: str) -> Any:
            self.loads.append(project_id)
            return await load(project_id)

        monkeypatch.setattr(store, "load_project", counted_load)

    async def project(self, customer: str, kickoff: date, pm: Actor = PM, more_pms: tuple[Actor, ...] = ()) -> str:
        people = {Role.PROVIDER_PM: [Person(a.id, a.name) for a in (pm, *more_pms)]}
        request = NewProjectRequest(customer_name=customer, products=("voice",), options=ProjectOptions(), kickoff=kickoff,
                                    timezone="Europe/Madrid", language="en", people=people)
        return (await self.service.create_project(pm, request, TENANT)).id

    async def person(self, actor: Actor, **prefs: Any) -> None:
        conversation = ConversationTarget(f"a:1on1-{actor.id}", "https://smba.example/", TENANT)
        await self.store.write_document(user_key("user", actor.id), {"conversation": conversation.to_dict(),
                                                                     "timezone": "Europe/Madrid", **prefs})

    async def tick(self, at: datetime) -> tuple[int, Counter[str]]:
        """One reminder pass at that moment: the cards sent and the project loads it made."""
        self.clock.now = at
        self.loads.clear()
        sent = await self.work.send_reminders(at)
        return sent, Counter(self.loads)

    def cards_to(self, actor: Actor) -> list[list[tuple[str, str]]]:
        """The lines of each card sent to them, sorted (lines follow project ids, which are random here)."""
        return [sorted(lines_of(card)) for conversation, card in self.messenger.sent if conversation == f"a:1on1-{actor.id}"]


@pytest.mark.asyncio
async def test_a_tick_loads_only_projects_with_a_line_now_and_nothing_once_everyone_is_reminded(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    setting = Setting(store, monkeypatch)
    await setting.person(PM)
    await setting.person(OTHER_PM)
    # Task a of each is ready at once and due the day after the kickoff (its owner is the PM).
    contoso = await setting.project("Contoso", date(2026, 11, 2))
    fabrikam = await setting.project("Fabrikam", date(2026, 11, 2), pm=OTHER_PM)
    northwind = await setting.project("Northwind", date(2026, 12, 1))  # due 2 Dec: nothing to remind about before 1 Dec

    # The first tick: a line for each PM. Each due project is loaded for its lines and once more
    # by the conditional write that moves it on; Northwind is not loaded at all.
    sent, loads = await setting.tick(madrid(2, 10, 5))
    assert sent == 2 and loads == {contoso: 2, fabrikam: 2}
    assert setting.cards_to(PM) == [[("Contoso · Task a", "due tomorrow")]]
    assert setting.cards_to(OTHER_PM) == [[("Fabrikam · Task a", "due tomorrow")]]

    # Everyone concerned was reminded today: the following ticks load nothing, with one query.
    for at in (madrid(2, 10, 35), madrid(2, 15, 0), madrid(2, 23, 30)):
        queries = count_operations(store).counts.get("query", 0)
        assert await setting.tick(at) == (0, Counter())
        assert count_operations(store).counts.get("query", 0) - queries == 1

    # On the due day itself a task is in nobody's reminder: nothing is loaded.
    for at in (madrid(3, 0, 5), madrid(3, 9, 0), madrid(3, 18, 0)):
        assert await setting.tick(at) == (0, Counter())

    # Overdue from the 4th: loaded at midnight, in quiet hours, so moved on to 08:00, not sooner.
    sent, loads = await setting.tick(madrid(4, 0, 5))
    assert sent == 0 and loads == {contoso: 2, fabrikam: 2}
    assert await setting.tick(madrid(4, 7, 55)) == (0, Counter())
    sent, loads = await setting.tick(madrid(4, 8, 5))
    assert sent == 2 and loads == {contoso: 2, fabrikam: 2}
    assert setting.cards_to(PM)[-1] == [("Contoso · Task a", "1 day overdue")]
    assert await setting.tick(madrid(4, 12, 0)) == (0, Counter())

    # Northwind's first line comes on 1 Dec: then, and only then, it is loaded.
    sent, loads = await setting.tick(madrid(30, 10, 0))
    assert sent == 2 and loads == {contoso: 2, fabrikam: 2}
    sent, loads = await setting.tick(madrid(1, 10, 0, month=12))
    assert sent == 2 and loads == {contoso: 2, fabrikam: 2, northwind: 2}
    assert setting.cards_to(PM)[-1] == [("Contoso · Task a", "28 days overdue"), ("Contoso · Task a (Pat PM)", "28 days overdue"),
                                        ("Northwind · Task a", "due tomorrow")]  # escalated past 3 days
    assert setting.cards_to(OTHER_PM)[-1] == [("Fabrikam · Task a", "28 days overdue"), ("Fabrikam · Task a (Quinn PM)", "28 days overdue")]
    assert await setting.tick(madrid(1, 10, 30, month=12)) == (0, Counter())


@pytest.mark.asyncio
async def test_a_change_made_while_the_pass_runs_is_kept_and_reminded_the_next_day(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    setting = Setting(store, monkeypatch)
    await setting.person(PM)
    contoso = await setting.project("Contoso", date(2026, 11, 2))

    async def pm_confirms_task_a() -> None:
        pm = setting.service.actor(PM.id, PM.name, TENANT)
        outcome = await setting.service.act_on_task(pm, contoso, "voice:a", Action.CONFIRM, rev=None)
        assert outcome.change is not None

    # The PM confirms task a while the pass is sending the card it read before: b and c are now
    # ready and due the 4th, so the project has a line again on the 3rd (the pass, from what it
    # read, would have moved it to the 4th).
    setting.messenger.before_send = pm_confirms_task_a
    sent, _ = await setting.tick(madrid(2, 10, 5))
    assert sent == 1 and setting.cards_to(PM) == [[("Contoso · Task a", "due tomorrow")]]
    stored = await store.load_project(contoso)
    assert stored is not None
    assert stored.value.tasks["voice:a"].state is TaskState.DONE
    assert stored.value.next_reminder_at == start_of_local_day(date(2026, 11, 3), MADRID)

    sent, _ = await setting.tick(madrid(3, 9, 0))
    assert sent == 1
    assert setting.cards_to(PM)[-1] == [("Contoso · Task b", "due tomorrow"), ("Contoso · Task c", "due tomorrow")]


@pytest.mark.asyncio
async def test_a_claim_held_by_another_instance_keeps_the_project_due_until_it_is_settled(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    setting = Setting(store, monkeypatch)
    await setting.person(PM)
    contoso = await setting.project("Contoso", date(2026, 11, 2))
    # Another instance claimed the PM's reminder for today and then crashed before sending it.
    await store.write_document(user_key("reminder", PM.id, "2026-11-02"), {"status": "sending", "at": madrid(2, 10, 0).isoformat()})

    sent, loads = await setting.tick(madrid(2, 10, 5))
    assert sent == 0 and loads == {contoso: 1}  # not moved on: the claim may still be sent from here
    sent, loads = await setting.tick(madrid(2, 10, 5) + CLAIM_TIMEOUT)
    assert sent == 1 and loads == {contoso: 2}  # taken over, sent, moved on
    assert await setting.tick(madrid(2, 11, 0)) == (0, Counter())


@pytest.mark.asyncio
async def test_someone_snoozed_keeps_the_project_due_so_a_later_escalation_brings_every_line(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    setting = Setting(store, monkeypatch)
    await setting.person(PM, snoozedUntil="2026-11-03")
    await setting.person(OTHER_PM)
    contoso = await setting.project("Contoso", date(2026, 11, 2))
    for at in (madrid(2, 10, 0), madrid(2, 10, 30)):
        sent, loads = await setting.tick(at)
        assert sent == 0 and loads == {contoso: 1}  # read, not moved on
    # Later that day a project long overdue names the snoozed PM as a second PM: the escalation
    # brings their card, and it carries Contoso's line too, as when every project was read on every tick.
    setting.clock.now = madrid(2, 11, 0)
    fabrikam = await setting.project("Fabrikam", date(2026, 10, 20), pm=OTHER_PM, more_pms=(PM,))
    sent, loads = await setting.tick(madrid(2, 11, 5))
    assert sent == 2 and set(loads) == {contoso, fabrikam}
    assert setting.cards_to(PM) == [[("Contoso · Task a", "due tomorrow"), ("Fabrikam · Task a", "12 days overdue"),
                                     ("Fabrikam · Task a (Quinn PM, Pat PM)", "12 days overdue")]]
