"""Background delivery after a change: at most one drain per project at a time. Clicks
arriving while one runs ask for one more drain (from the store) instead of each queueing a
drain of its own with a copy of the project: under a burst those copies piled up by the
thousand (docs/performance.md, finding 13)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.app import Runtime, build_runtime
from bot.config import Settings
from bot.delivery.outbox import HandOver
from bot.storage.contract import Versioned
from tests.storage.helpers import make_project
from tests.teams.conftest import harness_env


class GatedSender:
    """Stands in for OutboxSender.drain: records each call and waits for the test to let it end."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, HandOver | None]] = []
        self.running: dict[str, int] = {}
        self.most_at_once: dict[str, int] = {}
        self.gate = asyncio.Event()
        self.fail: set[str] = set()

    async def drain(self, project_id: str, handover: HandOver | None = None) -> int:
        self.calls.append((project_id, handover))
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
async def runtime(tmp_path: Path) -> AsyncIterator[tuple[Runtime, GatedSender]]:
    built = await build_runtime(Settings.from_env(harness_env(tmp_path)))
    sender = GatedSender()
    built.sender = sender  # type: ignore[assignment]
    try:
        yield built, sender
    finally:
        sender.gate.set()
        await built.close()


def _handover(project_id: str) -> HandOver:
    project, _ = make_project(project_id)
    return HandOver(Versioned(project, "etag-1"), lease_mark=0)


async def _spin() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


@pytest.mark.asyncio
async def test_changes_during_a_drain_ask_for_one_more_drain_from_the_store(runtime: tuple[Runtime, GatedSender]) -> None:
    built, sender = runtime
    first = _handover("p-1")
    built.deliver_soon("p-1", first)
    await _spin()
    for _ in range(20):  # twenty more clicks on the project while its drain waits on the connector
        built.deliver_soon("p-1", _handover("p-1"))
    await _spin()
    assert len(built.background) == 1 and sender.calls == [("p-1", first)]
    sender.gate.set()
    await built.settle()
    # Exactly one more drain, reading the project afresh (the handed-over copies are older).
    assert sender.calls == [("p-1", first), ("p-1", None)]
    assert sender.most_at_once == {"p-1": 1}
    assert built.draining == {} and built.background == set()


@pytest.mark.asyncio
async def test_each_project_drains_on_its_own(runtime: tuple[Runtime, GatedSender]) -> None:
    built, sender = runtime
    for project_id in ("p-1", "p-2", "p-3"):
        built.deliver_soon(project_id, _handover(project_id))
    await _spin()
    assert sorted(p for p, _ in sender.calls) == ["p-1", "p-2", "p-3"]
    assert all(h is not None for _, h in sender.calls)
    sender.gate.set()
    await built.settle()
    assert len(sender.calls) == 3  # nobody asked again: no extra drain
    # Later changes start a drain again, with their copy.
    later = _handover("p-2")
    built.deliver_soon("p-2", later)
    await built.settle()
    assert sender.calls[-1] == ("p-2", later)


@pytest.mark.asyncio
async def test_a_failed_drain_leaves_the_rest_to_the_sweep_and_the_next_change(runtime: tuple[Runtime, GatedSender]) -> None:
    built, sender = runtime
    sender.fail.add("p-1")
    built.deliver_soon("p-1", _handover("p-1"))
    await _spin()
    built.deliver_soon("p-1")
    sender.gate.set()
    await built.settle()
    assert len(sender.calls) == 1  # not retried at once against a connector that just failed
    assert built.draining == {}
    sender.fail.clear()
    built.deliver_soon("p-1")
    await built.settle()
    assert len(sender.calls) == 2


@pytest.mark.asyncio
async def test_a_cancelled_drain_forgets_the_project(runtime: tuple[Runtime, GatedSender]) -> None:
    built, sender = runtime
    built.deliver_soon("p-1", _handover("p-1"))
    await _spin()
    for task in list(built.background):
        task.cancel()
    await asyncio.gather(*built.background, return_exceptions=True)
    assert built.draining == {}
    sender.gate.set()
    built.deliver_soon("p-1")
    await built.settle()
    assert [h for _, h in sender.calls][-1] is None
