"""What delivering a project's outbox costs in store round trips, on both stores, and that
starting a change from a copy already in hand never loses someone else's write."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest

from bot.delivery.outbox import OutboxSender
from bot.domain.project import CHANNEL_TARGET, ConversationTarget, OutboxItem, OutboxKind, Project
from bot.storage.contract import Store, Versioned, update_project
from tests.storage.helpers import NOW, TENANT, make_real_project, real_library
from tests.support.store_counting import count_operations

CHANNEL = ConversationTarget("19:activation@thread.tacv2", "https://smba.example/amer/", TENANT)


class RecordingMessenger:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def send(self, target: ConversationTarget, card: dict[str, Any], mentions_text: str | None = None) -> str:
        self.sent.append((target.conversation_id, card))
        return f"activity-{len(self.sent)}"

    async def update(self, target: ConversationTarget, activity_id: str, card: dict[str, Any]) -> None:
        raise AssertionError("no card copies in these projects")

    async def open_personal(self, via: ConversationTarget, user_teams_id: str) -> ConversationTarget:
        raise AssertionError("only the channel is written to")


def _owing(project_id: str, count: int) -> Project:
    project, _ = make_real_project(project_id)
    project.channel = CHANNEL
    project.outbox = [OutboxItem(id=f"{project_id}:digest:{n}", kind=OutboxKind.DIGEST, target=CHANNEL_TARGET, created_at=NOW)
                      for n in range(count)]
    return project


def _sender(store: Store, messenger: RecordingMessenger) -> OutboxSender:
    return OutboxSender(store, real_library(), messenger, is_staff_pm=lambda _aad, _tenant: False,
                        clock=lambda: datetime(2026, 11, 26, 15, 0, tzinfo=NOW.tzinfo))


@pytest.mark.asyncio
@pytest.mark.parametrize("items", [1, 3])
async def test_draining_costs_one_read_and_one_write_per_item_plus_the_lease(store: Store, items: int) -> None:
    project = _owing("p-drain", items)
    await store.create_project(project, [])
    messenger = RecordingMessenger()
    sender = _sender(store, messenger)

    count_operations(store).reset()
    settled = await sender.drain("p-drain")
    costs = dict(count_operations(store).counts)

    assert settled == items and len(messenger.sent) == items
    # The lease is taken with one read and one write; each item is settled with one write
    # starting from the copy the previous write returned (the last one gives the lease back).
    assert costs["read"] == 1
    assert costs["replace"] == 1 + items
    after = await store.load_project("p-drain")
    assert after is not None and after.value.outbox == []
    assert after.value.outbox_lease_owner is None and after.value.outbox_lease_until is None


@pytest.mark.asyncio
async def test_an_item_added_while_draining_is_sent_in_the_same_drain(store: Store) -> None:
    await store.create_project(_owing("p-grow", 1), [])
    messenger = RecordingMessenger()
    sender = _sender(store, messenger)
    added = False

    async def send_then_add(target: ConversationTarget, card: dict[str, Any], mentions_text: str | None = None) -> str:
        nonlocal added
        if not added:  # a user action lands between the send and its settling write
            added = True
            current = await store.load_project("p-grow")
            assert current is not None
            current.value.outbox.append(OutboxItem(id="late", kind=OutboxKind.DIGEST, target=CHANNEL_TARGET, created_at=NOW))
            await store.save_project(current.value, current.etag, [])
        return await RecordingMessenger.send(messenger, target, card, mentions_text)

    messenger.send = send_then_add  # type: ignore[method-assign]
    assert await sender.drain("p-grow") == 2
    after = await store.load_project("p-grow")
    assert after is not None and after.value.outbox == [] and after.value.outbox_lease_owner is None
    assert len(messenger.sent) == 2


@pytest.mark.asyncio
async def test_a_stale_starting_copy_is_re_read_and_decided_again(store: Store) -> None:
    project, _ = make_real_project("p-stale")
    await store.create_project(project, [])
    first = await store.load_project("p-stale")
    assert first is not None
    stale = Versioned(Project.from_dict(first.value.to_dict()), first.etag)
    first.value.customer_name = "Written meanwhile"
    await store.save_project(first.value, first.etag, [])

    decided_on: list[str] = []

    def rename_timezone(p: Project) -> None:
        decided_on.append(p.customer_name)
        p.timezone = "Europe/Madrid"

    count_operations(store).reset()
    _, saved = await update_project(store, "p-stale", rename_timezone, lambda _: [], start_from=stale)

    assert decided_on == ["Contoso", "Written meanwhile"]  # tried on the copy, then on the current version
    # SQLite tries the stale write and is refused; Cosmos refuses it before sending, by reading
    # the current etag (it did not write the stale one itself): either way, one write lands.
    refused_stale = {"read": 1, "replace": 2} if store.name == "sqlite" else {"read": 2, "replace": 1}
    assert count_operations(store).counts == refused_stale
    current = await store.load_project("p-stale")
    assert current is not None and current.etag == saved.etag
    assert current.value.customer_name == "Written meanwhile" and current.value.timezone == "Europe/Madrid"


def _count_project_loads(store: Store) -> list[str]:
    loads: list[str] = []
    load = store.load_project

    async def counted(project_id: str) -> Any:
        loads.append(project_id)
        return await load(project_id)

    store.load_project = counted  # type: ignore[method-assign]
    return loads


def _service(store: Store, sender: OutboxSender) -> Any:
    from bot.service import ActivationService

    return ActivationService(store, real_library(), is_staff_pm=lambda *_: True, clock=sender.clock)


async def _click(store: Store, sender: OutboxSender, project_id: str) -> Any:
    """A PM confirms the busiest ready task of the project: the change owes messages."""
    from bot.domain.authorization import Action
    from tests.storage.helpers import PM, busiest_ready_task

    current = await store.load_project(project_id)
    assert current is not None
    key, _ = busiest_ready_task(current.value)
    outcome = await _service(store, sender).act_on_task(PM, project_id, key, Action.CONFIRM_ON_BEHALF, rev=None)
    assert outcome.change is not None and outcome.project.outbox
    return outcome


async def _clicked(store: Store, project_id: str) -> tuple[OutboxSender, RecordingMessenger, Any]:
    """A project in the store with a channel, its sender, and a click on it that owes messages."""
    project, _ = make_real_project(project_id)
    project.channel = CHANNEL
    await store.create_project(project, [])
    messenger = RecordingMessenger()
    sender = _sender(store, messenger)
    return sender, messenger, await _click(store, sender, project_id)


@pytest.mark.asyncio
async def test_a_clicks_delivery_reads_the_project_once_takes_the_lease_and_writes_once_per_item(store: Store) -> None:
    sender, messenger, outcome = await _clicked(store, "p-click")
    assert outcome.project.outbox_lease_owner is None  # the click's write knows nothing of delivery
    owed = len(outcome.project.outbox)

    loads = _count_project_loads(store)
    count_operations(store).reset()
    assert await sender.drain("p-click") == owed
    # One read and the lease write, then one settling write per item (the other reads here are
    # people's preferences, looked up to address their cards).
    assert loads == ["p-click"] and count_operations(store).counts["replace"] == owed + 1
    after = await store.load_project("p-click")
    assert after is not None and after.value.outbox == [] and after.value.outbox_lease_owner is None
    assert messenger.sent  # the channel's (the owners have no 1:1 chat here: theirs are skipped)


@pytest.mark.asyncio
async def test_a_click_leaves_a_lease_another_instance_holds(store: Store) -> None:
    project, _ = make_real_project("p-held")
    project.channel = CHANNEL
    project.outbox_lease_owner = "another-instance"
    project.outbox_lease_until = datetime(2026, 11, 26, 15, 0, 30, tzinfo=NOW.tzinfo)  # 30 s left on our clock
    await store.create_project(project, [])
    messenger = RecordingMessenger()
    sender = _sender(store, messenger)
    outcome = await _click(store, sender, "p-held")
    assert outcome.project.outbox_lease_owner == "another-instance"
    assert await sender.drain("p-held") == 0
    assert messenger.sent == []  # the other instance delivers


@pytest.mark.asyncio
async def test_a_send_that_would_outlive_the_lease_is_stopped_and_left_owed(store: Store) -> None:
    from datetime import UTC, timedelta

    project = _owing("p-slow", 2)
    await store.create_project(project, [])
    messenger = RecordingMessenger()
    sender = OutboxSender(store, real_library(), messenger, is_staff_pm=lambda _aad, _tenant: False,
                          clock=lambda: datetime.now(UTC), lease=timedelta(seconds=0.5))
    sends = 0

    async def hanging(target: ConversationTarget, card: dict[str, Any], mentions_text: str | None = None) -> str:
        nonlocal sends
        sends += 1
        if sends == 2:
            await asyncio.sleep(5)  # a connector that answers far too late (throttling, Retry-After)
        return await RecordingMessenger.send(messenger, target, card, mentions_text)

    messenger.send = hanging  # type: ignore[method-assign]
    started = asyncio.get_running_loop().time()
    with pytest.raises(TimeoutError):
        await sender.drain("p-slow")
    assert asyncio.get_running_loop().time() - started < 2  # stopped within the lease, not after the send
    after = await store.load_project("p-slow")
    assert after is not None
    assert [o.id for o in after.value.outbox] == ["p-slow:digest:1"]  # the first settled, the second still owed
    assert after.value.outbox_lease_owner is None  # given back: another instance may go on at once
