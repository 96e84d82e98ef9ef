"""What delivering a project's outbox costs in store round trips, on both stores, and that
starting a change from a copy already in hand never loses someone else's write."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from bot.delivery.outbox import OutboxSender
from bot.domain.project import ConversationTarget, OutboxItem, Project
from bot.storage.contract import Store, Versioned, update_project_versioned
from tests.storage.helpers import NOW, TENANT, make_real_project, real_library

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
    project.outbox = [OutboxItem(id=f"{project_id}:digest:{n}", kind="digest", target="channel", created_at=NOW)
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

    store.operations.reset()
    settled = await sender.drain("p-drain")
    costs = dict(store.operations.counts)

    assert settled == items and len(messenger.sent) == items
    # The lease is taken with one read and one write; each item is settled with one write
    # starting from the copy the previous write returned (the last one gives the lease back).
    assert costs["read"] == 1
    assert costs["replace"] == 1 + items
    after = await store.load_project("p-drain")
    assert after is not None and after.value.outbox == []
    assert after.value.outbox_lease_owner is None and after.value.outbox_lease_until is None
    assert sender._locks == {}  # nothing kept per project once the drain is over


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
            current.value.outbox.append(OutboxItem(id="late", kind="digest", target="channel", created_at=NOW))
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

    store.operations.reset()
    _, saved = await update_project_versioned(store, "p-stale", rename_timezone, lambda _: [], start_from=stale)

    assert decided_on == ["Contoso", "Written meanwhile"]  # tried on the copy, then on the current version
    # SQLite tries the stale write and is refused; Cosmos refuses it before sending, by reading
    # the current etag (it did not write the stale one itself): either way, one write lands.
    refused_stale = {"read": 1, "replace": 2} if store.name == "sqlite" else {"read": 2, "replace": 1}
    assert store.operations.counts == refused_stale
    current = await store.load_project("p-stale")
    assert current is not None and current.etag == saved.etag
    assert current.value.customer_name == "Written meanwhile" and current.value.timezone == "Europe/Madrid"


@pytest.mark.asyncio
async def test_a_drain_handed_the_project_just_written_reads_nothing_and_a_stale_one_reads_once(store: Store) -> None:
    await store.create_project(_owing("p-known", 1), [])
    messenger = RecordingMessenger()
    sender = _sender(store, messenger)
    written = await store.load_project("p-known")
    assert written is not None

    store.operations.reset()
    assert await sender.drain("p-known", written) == 1
    # The lease and the settling write, and no read (Cosmos also creates the settle's event batch).
    assert store.operations.counts.get("read", 0) == 0 and store.operations.counts["replace"] == 2

    # A copy from before someone else's write: its lease write is refused, the current version is
    # read, and only what is still owed is sent (the item sent above is not sent twice).
    stale = await store.load_project("p-known")
    assert stale is not None
    current = await store.load_project("p-known")
    assert current is not None
    current.value.outbox.append(OutboxItem(id="later", kind="digest", target="channel", created_at=NOW))
    await store.save_project(current.value, current.etag, [])
    stale.value.outbox.append(OutboxItem(id="p-known:digest:0", kind="digest", target="channel", created_at=NOW))
    assert await sender.drain("p-known", stale) == 1
    assert len(messenger.sent) == 2
    after = await store.load_project("p-known")
    assert after is not None and after.value.outbox == [] and after.value.outbox_lease_owner is None
