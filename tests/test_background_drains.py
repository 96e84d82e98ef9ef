"""Delivery after a change: at most one drain per project at a time in a process, whether asked
by clicks (`deliver_soon`) or by the sweep. Requests arriving while one runs ask for one more
drain (from the store) instead of each queueing a drain of its own (docs/performance.md,
finding 13)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from bot.delivery.delivery import Delivery
from bot.domain.project import CHANNEL_TARGET, OutboxItem, OutboxKind
from bot.storage.contract import Store
from bot.storage.sqlite_store import SqliteStore
from tests.storage.helpers import NOW, make_project


class GatedSender:
    """Stands in for OutboxSender.drain: records each call and waits for the test to let it end."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.running: dict[str, int] = {}
        self.most_at_once: dict[str, int] = {}
        self.gate = asyncio.Event()
        self.fail: set[str] = set()

    async def drain(self, project_id: str) -> int:
        self.calls.append(project_id)
        self.running[project_id] = self.running.get(project_id, 0) + 1
        self.most_at_once[project_id] = max(self.most_at_once.get(project_id, 0), self.running[project_id])
        try:
            await self.gate.wait()
            if project_id in self.fail:
                raise RuntimeError("connector down")
            return 1
        finally:
            self.running[project_id] -= 1


@pytest_asyncio.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = SqliteStore(tmp_path / "store.sqlite3")
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()


@pytest_asyncio.fixture
async def delivery(store: Store) -> AsyncIterator[tuple[Delivery, GatedSender]]:
    sender = GatedSender()
    built = Delivery(store, sender)
    try:
        yield built, sender
    finally:
        sender.gate.set()
        await built.stop(timeout=1)


async def _spin() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_changes_during_a_drain_ask_for_one_more_drain(delivery: tuple[Delivery, GatedSender]) -> None:
    built, sender = delivery
    built.deliver_soon("p-1")
    await _spin()
    for _ in range(20):  # twenty more clicks on the project while its drain waits on the connector
        built.deliver_soon("p-1")
    await _spin()
    assert sender.calls == ["p-1"] and built.draining == {"p-1"}
    sender.gate.set()
    await built.settle()
    assert sender.calls == ["p-1", "p-1"]  # exactly one more drain
    assert sender.most_at_once == {"p-1": 1}
    assert built.draining == frozenset()


async def test_each_project_drains_on_its_own(delivery: tuple[Delivery, GatedSender]) -> None:
    built, sender = delivery
    for project_id in ("p-1", "p-2", "p-3"):
        built.deliver_soon(project_id)
    await _spin()
    assert sorted(sender.calls) == ["p-1", "p-2", "p-3"]
    sender.gate.set()
    await built.settle()
    assert len(sender.calls) == 3  # nobody asked again: no extra drain
    built.deliver_soon("p-2")  # a later change starts a drain again
    await built.settle()
    assert sender.calls[-1] == "p-2" and len(sender.calls) == 4


async def test_a_failed_drain_leaves_the_rest_to_the_sweep_and_the_next_change(delivery: tuple[Delivery, GatedSender]) -> None:
    built, sender = delivery
    sender.fail.add("p-1")
    built.deliver_soon("p-1")
    await _spin()
    built.deliver_soon("p-1")
    sender.gate.set()
    await built.settle()
    assert len(sender.calls) == 1  # not retried at once against a connector that just failed
    assert built.draining == frozenset()
    sender.fail.clear()
    built.deliver_soon("p-1")
    await built.settle()
    assert len(sender.calls) == 2


async def test_a_sweep_joins_a_running_drain_instead_of_starting_a_second(delivery: tuple[Delivery, GatedSender],
                                                                          store: Store) -> None:
    built, sender = delivery
    for project_id in ("p-1", "p-2"):
        project, events = make_project(project_id)
        project.outbox = [OutboxItem(id=f"{project_id}:digest", kind=OutboxKind.DIGEST, target=CHANNEL_TARGET, created_at=NOW)]
        await store.create_project(project, events)
    built.deliver_soon("p-1")  # a click's drain, waiting on the connector
    await _spin()
    sweeping = asyncio.get_running_loop().create_task(built.sweep())
    async with asyncio.timeout(5):  # the listing runs on the store's worker thread
        while len(sender.calls) < 2:
            await asyncio.sleep(0.01)
    await _spin()
    assert sender.calls == ["p-1", "p-2"]  # the sweep did not start a second drain of p-1
    sender.gate.set()
    await sweeping
    await built.settle()
    # p-1 drained once more after the click's drain, because the sweep asked meanwhile.
    assert sorted(sender.calls) == ["p-1", "p-1", "p-2"] and sender.most_at_once == {"p-1": 1, "p-2": 1}


async def test_stopping_cancels_drains_that_do_not_finish_in_time(delivery: tuple[Delivery, GatedSender]) -> None:
    built, sender = delivery
    built.deliver_soon("p-1")
    await _spin()
    started = asyncio.get_running_loop().time()
    await built.stop(timeout=0.2)  # the connector never answers
    assert asyncio.get_running_loop().time() - started < 1
    assert built.draining == frozenset()
    sender.gate.set()
    built.deliver_soon("p-1")
    await built.settle()
    assert sender.calls == ["p-1", "p-1"]
