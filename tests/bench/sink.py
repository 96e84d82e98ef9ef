"""The Bot Connector for the benchmarks: tests/support's ConnectorStandIn in its own process.

    python tests/bench/sink.py [--max-seconds 900]

Prints one JSON line {"service_url": ..., "control": ...} when it listens. The control
address answers:
- GET  /stats            counts by kind, failures, throttled, Teams-limit violations by rule
- GET  /stats?records=1  also every delivery as [monotonic time, kind, conversation, tenant]
- POST /throttle         {"per_conversation_per_second", "per_tenant_per_second", "teams_limits"}
- POST /reset            forget everything recorded (registrations and throttle stay)
It keeps only what the counts need (activity bodies are dropped once answered), stops when
its standard input closes, on SIGINT, or after --max-seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from aiohttp import web

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.connector_standin import ConnectorStandIn  # noqa: E402


class LeanStandIn(ConnectorStandIn):
    """Drops bodies after answering, so a long run keeps counts and timestamps only."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._trimmed_attempts = 0
        self._trimmed_delivered = 0

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        response = await super()._dispatch(request)
        for attempt in self.attempts[self._trimmed_attempts:]:
            if attempt.status:
                attempt.body = None
                attempt.response = None
                attempt.headers = {}
        while self._trimmed_attempts < len(self.attempts) and self.attempts[self._trimmed_attempts].status:
            self._trimmed_attempts += 1
        for record in self.delivered[self._trimmed_delivered:]:
            record.activity = None
            record.parameters = None
        self._trimmed_delivered = len(self.delivered)
        self._latest.clear()
        return response

    def reset(self) -> None:
        super().reset()
        self._trimmed_attempts = 0
        self._trimmed_delivered = 0


def stats(standin: LeanStandIn, records: bool) -> dict[str, Any]:
    kinds = Counter(r.kind for r in standin.delivered)
    out: dict[str, Any] = {
        "attempts": len(standin.attempts),
        "delivered": len(standin.delivered),
        "by_kind": dict(kinds),
        "failed": len(standin.failed_attempts),
        "throttled": standin.throttle_count,
        "violations": dict(standin.violation_counts()),
        "unhandled": len(standin.unhandled),
    }
    if records:
        out["records"] = [[r.timestamp, r.kind, r.conversation_id, r.tenant_id] for r in standin.delivered]
    return out


async def main(max_seconds: float) -> None:
    standin = LeanStandIn()
    await standin.start()
    control = web.Application()

    async def get_stats(request: web.Request) -> web.Response:
        return web.json_response(stats(standin, request.query.get("records") == "1"))

    async def set_throttle(request: web.Request) -> web.Response:
        body = await request.json()
        standin.throttle(body.get("per_conversation_per_second"), body.get("per_tenant_per_second"),
                         teams_limits=bool(body.get("teams_limits")))
        return web.json_response({"ok": True})

    async def reset(request: web.Request) -> web.Response:
        standin.reset()
        return web.json_response({"ok": True})

    control.router.add_get("/stats", get_stats)
    control.router.add_post("/throttle", set_throttle)
    control.router.add_post("/reset", reset)
    runner = web.AppRunner(control, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(json.dumps({"service_url": standin.service_url, "control": f"http://127.0.0.1:{port}"}), flush=True)

    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    loop.add_signal_handler(signal.SIGINT, done.set)
    loop.add_signal_handler(signal.SIGTERM, done.set)
    loop.add_reader(sys.stdin.fileno(), lambda: done.set() if not sys.stdin.buffer.read1(4096) else None)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), max_seconds)
    await runner.cleanup()
    await standin.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-seconds", type=float, default=900.0)
    asyncio.run(main(parser.parse_args().max_seconds))
