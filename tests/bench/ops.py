"""Store round trips and latency per user action, through the real aiohttp app in-process.

The app (`bot.app.create_app`) runs on a loopback aiohttp TestServer, the connector is the
stand-in process; actions are posted one at a time. For each action the store's operation
counter is read twice: for the request itself (until the HTTP answer), and for the
deliveries it caused (the outbox drain the handler would start in the background, run here
right after the answer so the two are not mixed up).

Actions: `confirm` (an `adaptiveCard/action` invoke confirming a ready task) and `status`
(the "status" command in a project's channel, answered with a card through the connector).
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from bot.app import RUNTIME_KEY, create_app
from bot.config import Settings
from tests.bench.common import Row, percentile, row
from tests.support.store_counting import count_operations


async def measure(settings: Settings, actions: dict[str, list[dict[str, Any]]], store_name: str,
                  warmup: list[dict[str, Any]]) -> list[Row]:
    app = create_app(settings, scheduler=False)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    runtime = app[RUNTIME_KEY]
    owed: list[str] = []
    runtime.bot.deliver_soon = owed.append  # deliveries run below, counted apart
    url = str(server.make_url("/api/messages"))
    rows: list[Row] = []
    try:
        async with aiohttp.ClientSession() as session:
            async def post(body: dict[str, Any]) -> int:
                async with session.post(url, json=body) as response:
                    await response.read()
                    return response.status

            for body in warmup:
                await post(body)
                for project_id in owed:
                    await runtime.delivery.sender.drain(project_id)
                owed.clear()
            for action, bodies in actions.items():
                request_ops: list[Counter[str]] = []
                delivery_ops: list[Counter[str]] = []
                latencies: list[float] = []
                delivery_ms: list[float] = []
                for body in bodies:
                    count_operations(runtime.store).reset()
                    started = time.perf_counter()
                    status = await post(body)
                    latencies.append((time.perf_counter() - started) * 1000)
                    if status not in (200, 201):
                        raise RuntimeError(f"{action} answered {status}")
                    request_ops.append(Counter(count_operations(runtime.store).counts))
                    count_operations(runtime.store).reset()
                    started = time.perf_counter()
                    for project_id in owed:
                        await runtime.delivery.sender.drain(project_id)
                    owed.clear()
                    delivery_ms.append((time.perf_counter() - started) * 1000)
                    delivery_ops.append(Counter(count_operations(runtime.store).counts))
                prefix = f"ops.{store_name}.{action}"
                for part, counted in (("request", request_ops), ("delivery", delivery_ops)):
                    kinds = sorted({k for c in counted for k in c})
                    for kind in kinds:
                        rows.append(row(f"{prefix}.{part}.{kind}", sum(c.get(kind, 0) for c in counted) / len(counted),
                                        f"ops/{action}"))
                    rows.append(row(f"{prefix}.{part}.total", sum(sum(c.values()) for c in counted) / len(counted),
                                    f"ops/{action}"))
                rows.append(row(f"{prefix}.request.p50", percentile(latencies, 0.5), "ms", clients=1))
                rows.append(row(f"{prefix}.request.p95", percentile(latencies, 0.95), "ms", clients=1))
                rows.append(row(f"{prefix}.delivery.p50", percentile(delivery_ms, 0.5), "ms", clients=1))
    finally:
        await server.close()
    return rows
