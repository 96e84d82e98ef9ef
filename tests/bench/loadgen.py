"""The load: N concurrent Teams clients posting prepared activities to a bot over loopback.

    python tests/bench/loadgen.py --url http://127.0.0.1:PORT/api/messages --bodies FILE
        [--concurrency 50 | --rate 25] [--max-requests 2000] [--max-seconds 60]

FILE holds one activity per line (JSON). Each is posted once, in order: in a closed loop by
whichever of the --concurrency clients is free, or in an open loop at --rate per second. The
run stops when they are used up, after --max-requests, or at --max-seconds (requests in
flight finish). Prints one JSON object: requests, ok, errors by
kind, elapsed seconds, requests/s and latency percentiles in ms. An invoke counts as ok
only with HTTP 200 and a typed card body (statusCode 200, the Adaptive Card content type);
`notices` counts cards that carry a warning notice (a refused or stale click). A message
counts as ok with HTTP 200 or 201.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp

CARD_TYPE = "application/vnd.microsoft.card.adaptive"


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(fraction * len(ordered)))) - 1]


class Recorder:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: Counter[str] = Counter()
        self.notices = 0

    def check(self, body: bytes, status: int, raw: bytes, elapsed_ms: float) -> None:
        if b'"type": "invoke"' in body[:200] or b'"type":"invoke"' in body[:200]:
            try:
                answer = json.loads(raw)
            except ValueError:
                answer = None
            if status != 200 or not isinstance(answer, dict) or answer.get("statusCode") != 200 \
                    or answer.get("type") != CARD_TYPE:
                code = answer.get("statusCode") if isinstance(answer, dict) else "nojson"
                self.errors[f"invoke_{status}_{code}"] += 1
                return
            first = ((answer.get("value") or {}).get("body") or [{}])[0]
            if isinstance(first, dict) and first.get("color") == "Warning":
                self.notices += 1
        elif status not in (200, 201):
            self.errors[f"http_{status}"] += 1
            return
        self.latencies.append(elapsed_ms)


async def _post(session: aiohttp.ClientSession, url: str, body: bytes, since: float, recorder: Recorder) -> None:
    try:
        async with session.post(url, data=body, headers={"Content-Type": "application/json"}) as response:
            raw = await response.read()
            status = response.status
    except (aiohttp.ClientError, TimeoutError) as error:
        recorder.errors[type(error).__name__] += 1
        return
    recorder.check(body, status, raw, (time.perf_counter() - since) * 1000)


async def run(url: str, bodies: list[bytes], concurrency: int, max_requests: int, max_seconds: float,
              rate: float | None = None) -> dict[str, Any]:
    """Closed loop (`concurrency` clients, each posting as soon as its last answer came), or
    open loop with `rate`: request i is due at start + i/rate whatever came back, and its
    latency counts from that moment (no coordinated omission)."""
    recorder = Recorder()
    next_index = 0
    limit = min(len(bodies), max_requests)
    connector = aiohttp.TCPConnector(limit=concurrency if rate is None else 0)
    timeout = aiohttp.ClientTimeout(total=30)
    started = time.perf_counter()
    deadline = started + max_seconds

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        if rate is None:
            async def client() -> None:
                nonlocal next_index
                while next_index < limit and time.perf_counter() < deadline:
                    body = bodies[next_index]
                    next_index += 1
                    await _post(session, url, body, time.perf_counter(), recorder)

            await asyncio.gather(*(client() for _ in range(concurrency)))
        else:
            pending: list[asyncio.Task[None]] = []
            while next_index < limit:
                due = started + next_index / rate
                if due > deadline:
                    break
                wait = due - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(wait)
                pending.append(asyncio.create_task(_post(session, url, bodies[next_index], due, recorder)))
                next_index += 1
            await asyncio.gather(*pending)
    elapsed_s = time.perf_counter() - started
    latencies = recorder.latencies
    return {
        "mode": "closed" if rate is None else "open",
        "concurrency": concurrency if rate is None else None,
        "rate": rate,
        "requests": next_index,
        "ok": len(latencies),
        "errors": dict(recorder.errors),
        "notices": recorder.notices,
        "elapsed_s": round(elapsed_s, 3),
        "rps": round(len(latencies) / elapsed_s, 2) if elapsed_s > 0 else 0.0,
        "p50_ms": round(_percentile(latencies, 0.50), 2),
        "p95_ms": round(_percentile(latencies, 0.95), 2),
        "p99_ms": round(_percentile(latencies, 0.99), 2),
        "max_ms": round(max(latencies), 2) if latencies else 0.0,
        "mean_ms": round(sum(latencies) / len(latencies), 2) if latencies else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--bodies", type=Path, required=True)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--max-requests", type=int, default=2000)
    parser.add_argument("--max-seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=float, help="open loop: requests per second (default: closed loop)")
    args = parser.parse_args()
    if not args.url.startswith(("http://127.0.0.1:", "http://localhost:")):
        raise SystemExit("loadgen only targets loopback addresses")
    bodies = [line.encode() for line in args.bodies.read_text(encoding="utf-8").splitlines() if line.strip()]
    result = asyncio.run(run(args.url, bodies, args.concurrency, args.max_requests, args.max_seconds, args.rate))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
