"""The scheduled job, instrumented: what `python -m bot jobs run-due` does (bot.jobs.run_due:
build the runtime from the environment, `Runtime.run_due()`), timed in its own process.

    python tests/bench/digest_job.py [--sweep current|per-tenant]

Prints one JSON object: run-due's counts, wall and CPU seconds (time.process_time, all
threads), peak RSS (VmHWM) and RSS once the modules are imported. `--sweep per-tenant` measures a
PROPOSED outbox sweep instead of Runtime.sweep_outbox (nothing else changes; see
`per_tenant_sweep`): run-due's steps are then called one by one, in run_due's order.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.app import Runtime, build_runtime  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.scheduled import record_due_digests  # noqa: E402
from bot.storage.contract import ProjectQuery  # noqa: E402


async def per_tenant_sweep(runtime: Runtime, max_tenants: int = 256) -> int:
    """PROPOSED replacement of Runtime.sweep_outbox: list the projects owing messages (ids and
    tenants only), then drain each tenant's projects one after another in a worker of its
    own, all tenants at once (up to `max_tenants`). The per-tenant rate, not a page barrier
    or a fixed number of concurrent projects, then sets the pace: every tenant always has a
    message ready when its next send slot comes."""
    by_tenant: dict[str, deque[str]] = {}
    continuation: str | None = None
    while True:
        page = await runtime.store.list_projects(ProjectQuery(with_outbox=True), page_size=100, continuation=continuation)
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
                    delivered += await runtime.sender.drain(project_id)
                except Exception:
                    continue
        return delivered

    return sum(await asyncio.gather(*(worker(q) for q in by_tenant.values())))


async def main(sweep: str) -> dict[str, Any]:
    settings = Settings.from_env()
    rss_before = _status_kib("VmRSS")
    runtime = await build_runtime(settings)
    try:
        cpu0, wall0 = time.process_time(), time.perf_counter()
        if sweep == "current":
            counts = await runtime.run_due()
        else:
            now = runtime.clock()
            recorded = await record_due_digests(runtime.store, runtime.library, now)
            portfolio = await runtime.scheduled.send_portfolio_digests(recorded, now)
            reminders = await runtime.scheduled.send_reminders(now)
            delivered = await per_tenant_sweep(runtime)
            await runtime.settle()
            counts = {"digests": len(recorded), "portfolio": portfolio, "reminders": reminders, "outbox": delivered}
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    finally:
        await runtime.store.close()
    return {"sweep": sweep, "counts": counts, "cpu_s": round(cpu, 3), "wall_s": round(wall, 3),
            "peak_rss_kib": _status_kib("VmHWM"), "rss_at_start_kib": rss_before}


def _status_kib(name: str) -> int:
    """From /proc/self/status: VmHWM is this process's own peak (ru_maxrss would carry the
    parent's peak across exec on Linux)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--sweep", choices=["current", "per-tenant"], default="current")
    print(json.dumps(asyncio.run(main(parser.parse_args().sweep))), flush=True)
