"""The scheduled job, instrumented: what `python -m bot jobs run-due` does (bot.jobs.run_due:
build the runtime from the environment, `Runtime.run_due()`), timed in its own process.

    python tests/bench/digest_job.py

Prints one JSON object: run-due's counts, wall and CPU seconds (time.process_time, all
threads), peak RSS (VmHWM) and RSS once the modules are imported.
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


async def main() -> dict[str, Any]:
    settings = Settings.from_env()
    rss_before = _status_kib("VmRSS")
    runtime = await build_runtime(settings)
    try:
        cpu0, wall0 = time.process_time(), time.perf_counter()
        counts = await runtime.scheduler.run_due()
        await runtime.settle()
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    finally:
        await runtime.close()
    return {"counts": counts, "cpu_s": round(cpu, 3), "wall_s": round(wall, 3),
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
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    print(json.dumps(asyncio.run(main())), flush=True)
