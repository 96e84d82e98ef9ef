"""The scheduled job, instrumented: what `python -m bot jobs run-due` does (bot.jobs.run_due:
build the runtime from the environment, `Runtime.run_due()`), timed in its own process.

    python tests/bench/digest_job.py [--sweep current|per-tenant]

Prints one JSON object: run-due's counts, wall and CPU seconds (time.process_time, all
threads), peak RSS (VmHWM) and RSS once the modules are imported. `--sweep per-tenant` calls
run-due's steps one by one (it measured the per-tenant outbox sweep while that was a proposal;
Runtime.sweep_outbox now is that sweep, so both modes measure the same code).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.app import build_runtime  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.scheduled import record_due_digests  # noqa: E402


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
            delivered = await runtime.sweep_outbox()  # the per-tenant sweep, now the bot's own
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
