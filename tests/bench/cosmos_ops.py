"""Storage cost and latency: Cosmos DB (the local @vercel/cosmosdb-server) against the
embedded SQLite store, on the real playbooks.

    python tests/bench/cosmos_ops.py [--quick]

Prints one JSON object per line: round trips per operation by kind for each store (mean and
max) and p50/p95 latency; Cosmos rows carry the SQLite figure of the same run as `baseline`.
Operations: confirmation, status read, create project, list projects, project events,
directory write/read, and the first confirmation by a freshly opened store (a restart). The
target on Cosmos: a confirmation is at most 1 read, 1 replace and 1 create. The local server
runs in memory: its latencies say nothing about Azure; the op counts do.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.domain.authorization import Action, Actor  # noqa: E402
from bot.domain.playbook import PlaybookLibrary, load_playbooks  # noqa: E402
from bot.domain.project import Project, ProjectOptions, TaskState  # noqa: E402
from bot.domain.transitions import Change, apply_task_action, new_project  # noqa: E402
from bot.storage.contract import ProjectQuery, Store, update_project, user_key  # noqa: E402
from bot.storage.cosmos_store import open_cosmos_store  # noqa: E402
from bot.storage.sqlite_store import SqliteStore  # noqa: E402
from tests.support.cosmos_server import LOCAL_KEY, CosmosServer  # noqa: E402
from tests.support.store_counting import count_operations  # noqa: E402

TENANT = "bench-tenant"
PM = Actor(id="bench-pm", name="Bench PM", tenant_id=TENANT, is_staff_pm=True)
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
OPERATIONS = ("confirmation", "status_read", "create_project", "list_projects", "project_events",
              "directory_write", "directory_read", "confirmation_restarted")
RESTARTED_PROJECTS = 20  # projects created, then confirmed through a freshly opened store


class Workload:
    """Creates projects and confirms their ready tasks one by one, as PMs do from cards."""

    def __init__(self, store: Store, library: PlaybookLibrary) -> None:
        self.store = store
        self.library = library
        self.latencies: dict[str, list[float]] = {name: [] for name in OPERATIONS}
        self.ops: dict[str, list[Counter[str]]] = {name: [] for name in OPERATIONS}
        self.events_per_confirmation: list[int] = []
        self.project_ids: list[str] = []
        self._current: str | None = None

    async def timed(self, name: str, action: Callable[[], Awaitable[Any]]) -> Any:
        count_operations(self.store).reset()
        started = time.perf_counter()
        result = await action()
        self.latencies[name].append((time.perf_counter() - started) * 1000)
        self.ops[name].append(Counter(count_operations(self.store).counts))
        return result

    async def new_project(self) -> str:
        project, change = new_project(
            self.library, actor=PM, customer_name=f"Customer {len(self.project_ids)}", tenant_id=TENANT,
            products=self.library.ids(), options=ProjectOptions(porting=True, provider_circuit=True, hardware="rented"),
            kickoff=date(2026, 11, 2), timezone="America/Mexico_City", language="es", now=NOW,
            requested_port_date=date(2026, 12, 14), project_id=f"bench-{uuid.uuid4().hex[:10]}",
        )
        await self.timed("create_project", lambda: self.store.create_project(project, change.events))
        self.project_ids.append(project.id)
        return project.id

    async def confirm_next(self) -> None:
        while True:
            if self._current is None:
                self._current = await self.new_project()
            loaded = await self.store.load_project(self._current)
            assert loaded is not None
            ready = [k for k, t in loaded.value.tasks.items() if t.state is TaskState.READY]
            if ready:
                break
            self._current = None  # complete: start another project
        change = await self.confirm(loaded.value.id, ready[0], "confirmation")
        self.events_per_confirmation.append(len(change.events))

    async def confirm(self, project_id: str, key: str, operation: str) -> Change:
        def decide(project: Project) -> Change:
            return apply_task_action(project, self.library, actor=PM, action=Action.CONFIRM_ON_BEHALF, key=key, now=NOW)

        change, _ = await self.timed(operation, lambda: update_project(self.store, project_id, decide, lambda c: c.events))
        return change

    async def run_restarted(self, store: Store) -> None:
        """New projects written by this instance, then one confirmation each through another
        store instance on the same data (which did not see their events recorded)."""
        todo: list[tuple[str, str]] = []
        for _ in range(RESTARTED_PROJECTS):
            project_id = await self.new_project()
            loaded = await self.store.load_project(project_id)
            assert loaded is not None
            ready = [k for k, t in loaded.value.tasks.items() if t.state is TaskState.READY]
            if ready:
                todo.append((project_id, ready[0]))
        self.store = store
        for project_id, key in todo:
            await self.confirm(project_id, key, "confirmation_restarted")

    async def run(self, confirmations: int) -> None:
        for _ in range(confirmations):
            await self.confirm_next()
        for project_id in self.project_ids * max(1, confirmations // max(1, len(self.project_ids))):
            await self.timed("status_read", lambda pid=project_id: self.store.load_project(pid))  # type: ignore[misc]
        for project_id in self.project_ids:
            await self.timed("project_events", lambda pid=project_id: self.store.project_events(pid))  # type: ignore[misc]
        for _ in range(max(5, confirmations // 10)):
            await self.timed("list_projects", lambda: self.store.list_projects(ProjectQuery(tenant_id=TENANT)))
        for n in range(confirmations):
            key = user_key("prefs", f"29:user-{n % 20}")
            await self.timed("directory_write", lambda k=key, v=n: self.store.write_document(k, {"language": "es", "n": v}))  # type: ignore[misc]
            await self.timed("directory_read", lambda k=key: self.store.read_document(k))  # type: ignore[misc]


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


async def _measure(open_store: Callable[[], Awaitable[Store]], confirmations: int) -> Workload:
    store = await open_store()
    try:
        workload = Workload(store, load_playbooks())
        await workload.run(confirmations)
        restarted = await open_store()
        try:
            await workload.run_restarted(restarted)
        finally:
            await restarted.close()
    finally:
        await store.close()
    return workload


def _rows(results: dict[str, Workload]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    sqlite = results["sqlite"]
    for store_name, workload in results.items():
        for operation in OPERATIONS:
            counted = workload.ops[operation]
            for kind in sorted({k for ops in counted for k in ops}):
                per = [ops.get(kind, 0) for ops in counted]
                unit = f"ops/{operation}"
                rows.append({"name": f"storage.{store_name}.{operation}.ops.{kind}", "value": round(statistics.mean(per), 3),
                             "unit": unit})
                rows.append({"name": f"storage.{store_name}.{operation}.ops.{kind}.max", "value": max(per), "unit": unit})
        rows.append({"name": f"storage.{store_name}.confirmation.events", "unit": "events/confirmation",
                     "value": round(statistics.mean(workload.events_per_confirmation), 3)})
        for operation in OPERATIONS:
            for label, fraction in (("p50", 0.5), ("p95", 0.95)):
                value = _percentile(workload.latencies[operation], fraction)
                row: dict[str, Any] = {"name": f"storage.{store_name}.{operation}.{label}", "value": round(value, 3),
                                       "unit": "ms"}
                if store_name != "sqlite":
                    baseline = _percentile(sqlite.latencies[operation], fraction)
                    row["baseline"] = round(baseline, 3)
                    row["ratio"] = round(value / baseline, 2) if baseline > 0 else None
                rows.append(row)
    return rows


async def _run(quick: bool) -> list[dict[str, Any]]:
    confirmations = 30 if quick else 200
    results: dict[str, Workload] = {}
    with tempfile.TemporaryDirectory(prefix="bench-sqlite-") as folder:
        async def open_sqlite() -> Store:
            sqlite = SqliteStore(Path(folder) / "bench.db")
            await sqlite.open()
            return sqlite

        results["sqlite"] = await _measure(open_sqlite, confirmations)
    with CosmosServer() as server:
        database = f"bench-{uuid.uuid4().hex[:8]}"

        async def open_cosmos() -> Store:
            return await open_cosmos_store(server.endpoint, LOCAL_KEY, database)

        results["cosmos"] = await _measure(open_cosmos, confirmations)
    return _rows(results)


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Run the benchmark; safe to call from inside a running event loop (uses a thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_run(quick))
    box: dict[str, Any] = {}

    def worker() -> None:
        try:
            box["rows"] = asyncio.run(_run(quick))
        except BaseException as error:  # re-raised in the caller's thread
            box["error"] = error

    thread = threading.Thread(target=worker, name="cosmos-ops-bench")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    rows: list[dict[str, Any]] = box["rows"]
    return rows


if __name__ == "__main__":
    for result in run(quick="--quick" in sys.argv[1:]):
        print(json.dumps(result, ensure_ascii=False))
