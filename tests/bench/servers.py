"""The processes of a server benchmark: the connector stand-in, the bot (`python -m bot`),
the bare botbuilder bot, and the load generator, each its own process on loopback."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.bench.common import BENCH, PYTHON, Child, free_port, http_json, log, wait_http
from tests.bench.seed import write_jsonl

START_TIMEOUT = 60.0


class Sink:
    """tests/bench/sink.py: the Bot Connector stand-in every proactive message goes to."""

    def __init__(self, log_dir: Path, max_seconds: float) -> None:
        self.child = Child("sink", [PYTHON, str(BENCH / "sink.py"), "--max-seconds", str(int(max_seconds))], log_dir=log_dir)
        info = self.child.json_line(START_TIMEOUT)
        self.service_url: str = info["service_url"]
        self.control: str = info["control"]

    def stats(self, records: bool = False) -> dict[str, Any]:
        result: dict[str, Any] = http_json(f"{self.control}/stats" + ("?records=1" if records else ""), timeout=60)
        return result

    def reset(self) -> None:
        http_json(f"{self.control}/reset", {})

    def throttle(self, **settings: Any) -> None:
        http_json(f"{self.control}/throttle", settings)

    def wait_quiet(self, quiet_seconds: float = 1.5, timeout: float = 120.0) -> dict[str, Any]:
        """Until nothing has arrived for `quiet_seconds` (the bot's outbox is drained). The stats
        carry `last_arrival`: when the last request arrived (time.monotonic, within a poll)."""
        deadline = time.monotonic() + timeout
        last = -1
        since = time.monotonic()
        while time.monotonic() < deadline:
            current = self.stats()["attempts"]
            if current != last:
                last, since = current, time.monotonic()
            elif time.monotonic() - since >= quiet_seconds:
                break
            time.sleep(0.25)
        else:
            log(f"sink still busy after {timeout:.0f}s")
        return {**self.stats(), "last_arrival": since}

    def stop(self) -> None:
        self.child.stop()


class _BotProcess:
    """A bot in its own process on a free loopback port, answering /healthz once started."""

    def __init__(self, name: str, command: list[str], log_dir: Path, env: dict[str, str] | None = None) -> None:
        self.child = Child(name, command, env=env, log_dir=log_dir)
        wait_http(f"http://127.0.0.1:{self.port}/healthz", START_TIMEOUT, self.child)

    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/messages"

    @property
    def pid(self) -> int:
        return self.child.pid

    def stop(self) -> None:
        code = self.child.stop()
        if code not in (0, -2, 130, None):
            log(f"{self.child.name} exited with {code}: {self.child.tail(5)}")


class BotServer(_BotProcess):
    """`python -m bot` (the real aiohttp app) with the given environment, on a free port."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.port = free_port()
        full = {"ALLOW_ANONYMOUS": "1", "SCHEDULER": "0", "HOST": "127.0.0.1", "PORT": str(self.port), **env}
        super().__init__(name, [PYTHON, "-m", "bot"], log_dir, env=full)


class BareBot(_BotProcess):
    """tests/bench/bare_bot.py: botbuilder alone, same invoke, fixed card."""

    def __init__(self, card_file: Path, log_dir: Path) -> None:
        self.port = free_port()
        super().__init__("bare-bot", [PYTHON, str(BENCH / "bare_bot.py"), "--port", str(self.port), "--card", str(card_file)],
                         log_dir)


def load(url: str, bodies: list[dict[str, Any]], *, max_seconds: float, work_dir: Path, name: str,
         concurrency: int = 50, rate: float | None = None) -> dict[str, Any]:
    """Run tests/bench/loadgen.py (its own process) over `bodies`, closed loop with
    `concurrency` clients or open loop at `rate`/s; its JSON result."""
    path = write_jsonl(work_dir / f"{name}.jsonl", bodies)
    args = [PYTHON, str(BENCH / "loadgen.py"), "--url", url, "--bodies", str(path), "--concurrency", str(concurrency),
            "--max-requests", str(len(bodies)), "--max-seconds", str(max_seconds)]
    if rate is not None:
        args += ["--rate", str(rate)]
    child = Child(f"loadgen-{name}", args, log_dir=work_dir)
    try:
        result = child.json_line(max_seconds + 60)
    finally:
        child.stop()
    return result
