"""Delivery's one entry point: `deliver_soon(project_id)` after a change, `sweep()` on a timer.

A change records what it owes in its own project write; then it asks for delivery and
returns. Here, and only here, is decided when and by whom the outbox is drained: at most one
drain per project in this process (a request during a drain asks for one more drain, from
the store, when it ends), the lease across processes (`OutboxSender`), and the sweep that
catches up on whatever a failed or crashed drain left owed.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any, Protocol

from bot.storage.contract import ProjectQuery, Store

log = logging.getLogger(__name__)
SWEEP_SECONDS = 30.0
MAX_SWEEP_TENANTS = 256


class Drains(Protocol):
    """What delivers one project's outbox (`bot.delivery.outbox.OutboxSender`)."""

    async def drain(self, project_id: str) -> int: ...


class Delivery:
    def __init__(self, store: Store, sender: Drains) -> None:
        self.store = store
        self.sender = sender
        self._again: dict[str, bool] = {}  # projects with a drain running here: asked again meanwhile?
        self._background: set[asyncio.Task[Any]] = set()
        self._stop_at: float | None = None  # event-loop time deliveries must end by, once stopping

    @property
    def draining(self) -> frozenset[str]:
        """The projects this process is draining now."""
        return frozenset(self._again)

    def deliver_soon(self, project_id: str) -> None:
        """Drain the project's outbox in the background, without delaying the caller."""
        if project_id in self._again:
            self._again[project_id] = True
            return
        self._again[project_id] = False
        task = asyncio.get_running_loop().create_task(self._logged(project_id))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _logged(self, project_id: str) -> None:
        try:
            await self._drain_claimed(project_id)
        except Exception:
            log.warning("outbox delivery for %s deferred to the next sweep", project_id, exc_info=True)

    async def _drain(self, project_id: str) -> int:
        """Drain now, or, with a drain of this project running here, ask it for one more."""
        if project_id in self._again:
            self._again[project_id] = True
            return 0
        self._again[project_id] = False
        return await self._drain_claimed(project_id)

    async def _drain_claimed(self, project_id: str) -> int:
        """Drain until nobody asked again; the caller has put the project in `_again`. A failure
        ends it: what is left waits for the sweep, not retried at once against a failing connector.
        A burst of changes costs one drain more, not one each: each waiting drain would hold a
        project copy (docs/performance.md, finding 13)."""
        settled = 0
        try:
            while True:
                settled += await self.sender.drain(project_id)
                if not self._again[project_id]:
                    return settled
                self._again[project_id] = False
        finally:
            del self._again[project_id]

    async def sweep(self, max_tenants: int = MAX_SWEEP_TENANTS) -> int:
        """Deliver every project's outbox: each tenant's projects one after another in a worker of
        its own, all tenants at once, so the per-tenant send rate sets the pace."""
        by_tenant: dict[str, deque[str]] = {}
        continuation: str | None = None
        while True:
            page = await self.store.list_projects(ProjectQuery(with_outbox=True), page_size=100, continuation=continuation)
            for summary in page.items:
                by_tenant.setdefault(summary.tenant_id, deque()).append(summary.id)
            continuation = page.continuation
            if not continuation:
                break
        gate = asyncio.Semaphore(max_tenants)

        async def worker(queue: deque[str]) -> int:
            delivered = 0
            async with gate:
                while queue:
                    project_id = queue.popleft()
                    try:
                        delivered += await self._drain(project_id)
                    except Exception:  # left in the outbox for the next sweep
                        log.warning("outbox of %s deferred to the next sweep", project_id, exc_info=True)
            return delivered

        return sum(await asyncio.gather(*(worker(queue) for queue in by_tenant.values())))

    async def settle(self) -> None:
        """Wait for the background drains (tests, jobs and shutdown)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    def stop_within(self, seconds: float) -> None:
        """Shutdown began: deliveries may go on for `seconds` more, counted from now (not from when
        the requests in flight are done). Asked again, the first deadline stands."""
        if self._stop_at is None:
            self._stop_at = asyncio.get_running_loop().time() + seconds

    def time_left(self, seconds: float) -> float:
        """`seconds`, or less when a shutdown deadline comes sooner."""
        if self._stop_at is None:
            return seconds
        return min(seconds, max(self._stop_at - asyncio.get_running_loop().time(), 0.0))

    async def stop(self, timeout: float) -> None:
        """Let the background drains finish for up to `timeout` seconds (or until the deadline of
        `stop_within`), then cancel them: a cancelled drain gives its lease back and leaves what it
        had not sent owed."""
        try:
            await asyncio.wait_for(self.settle(), self.time_left(timeout))
        except TimeoutError:
            log.info("deliveries still sending at shutdown stopped: what they had not sent stays owed")
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*list(self._background), return_exceptions=True)
