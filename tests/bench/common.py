"""Shared plumbing of the benchmarks: child processes on loopback, percentiles, RSS, rows.

Every child process is started by the runner with a fixed argument list, on 127.0.0.1, with
a deadline, and stopped by its own handle (never by name).
"""

from __future__ import annotations

import json
import math
import os
import platform
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[2]
BENCH = Path(__file__).resolve().parent
PYTHON = sys.executable
Row = dict[str, Any]


def ensure_path() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return float(ordered[min(rank, len(ordered)) - 1])


def loglog_slope(sizes: Sequence[float], times: Sequence[float]) -> float:
    """Least-squares exponent b of time = a * size**b."""
    xs = [math.log(s) for s in sizes]
    ys = [math.log(max(t, 1e-12)) for t in times]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    num = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    den = sum((x - mean_x) ** 2 for x in xs)
    return num / den if den else 0.0


def rss_kib(pid: int) -> int:
    """Resident memory of a process (VmRSS), KiB."""
    return _status_field(pid, "VmRSS")


def peak_rss_kib(pid: int) -> int:
    """Peak resident memory of a live process (VmHWM), KiB."""
    return _status_field(pid, "VmHWM")


def _status_field(pid: int, name: str) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """utime + stime of a live process, seconds (/proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def machine() -> dict[str, Any]:
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "platform": platform.platform(terse=True)}


def row(name: str, value: float | int | str | None, unit: str, *, baseline: float | None = None,
        ratio: float | None = None, **extra: Any) -> Row:
    out: Row = {"name": name, "value": round(value, 3) if isinstance(value, float) else value, "unit": unit}
    if baseline is not None:
        out["baseline"] = round(baseline, 3) if isinstance(baseline, float) else baseline
        out["ratio"] = round(ratio, 3) if ratio is not None else (round(float(value) / baseline, 3) if baseline else None)  # type: ignore[arg-type]
    out.update(extra)
    return out


def emit(rows: Iterable[Row], sink: IO[str] | None = None) -> None:
    out = sink or sys.stdout
    for item in rows:
        out.write(json.dumps(item, ensure_ascii=False) + "\n")
    out.flush()


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Child:
    """A child process with a fixed argument list; stdout lines are collected by a thread,
    stderr goes to a log file. Stopped with SIGINT (clean), then SIGKILL, by its own pid."""

    def __init__(self, name: str, args: list[str], *, env: dict[str, str] | None = None, log_dir: Path,
                 cwd: Path = ROOT) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("w", encoding="utf-8")
        full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.process = subprocess.Popen(  # fixed arguments, loopback only
            args, cwd=cwd, env=full_env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True,
        )
        self.lines: list[str] = []
        self._new_line = threading.Condition()
        self._reader = threading.Thread(target=self._read, name=f"{name}-stdout", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._new_line:
                self.lines.append(line.rstrip("\n"))
                self._new_line.notify_all()
        with self._new_line:
            self._new_line.notify_all()

    def wait_line(self, predicate: Any, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        seen = 0
        with self._new_line:
            while True:
                for line in self.lines[seen:]:
                    if predicate(line):
                        return line
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0 or (self.process.poll() is not None and not self._reader.is_alive()):
                    raise RuntimeError(f"{self.name}: no expected output within {timeout:.0f}s; see {self.log_path}: "
                                       + self.tail())
                self._new_line.wait(min(left, 0.2))

    def json_line(self, timeout: float) -> dict[str, Any]:
        line = self.wait_line(lambda text: text.startswith("{"), timeout)
        result: dict[str, Any] = json.loads(line)
        return result

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise RuntimeError(f"{self.name} did not finish within {timeout:.0f}s") from None

    def tail(self, lines: int = 15) -> str:
        self._log.flush()
        try:
            return " | ".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 10.0) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()  # this child only, by its handle
                self.process.wait(timeout=10)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        self._log.close()
        return self.process.returncode

    def __enter__(self) -> Child:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_http(url: str, timeout: float, child: Child | None = None) -> None:
    """Until GET url answers 200 (the bot's /healthz)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child is not None and child.process.poll() is not None:
            raise RuntimeError(f"{child.name} exited early: {child.tail()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f}s" + (f": {child.tail()}" if child else ""))


def http_json(url: str, body: Any = None, timeout: float = 30.0) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")
