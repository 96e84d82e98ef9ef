"""`python -m bot` as a newcomer runs it: it serves /healthz, or refuses to start and says why."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.support.node_server import free_port

ROOT = Path(__file__).resolve().parents[1]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "COSMOS_", "ALLOW_ANONYMOUS"))}
    env.update(extra)
    return env


def test_refuses_to_start_without_app_id_and_says_why(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "bot"], cwd=ROOT, env=_env(DATA_DIR=str(tmp_path)),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "MicrosoftAppId is not set" in result.stderr and "ALLOW_ANONYMOUS=1" in result.stderr
    assert "Traceback" not in result.stderr


def test_reports_every_configuration_problem_at_once(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "bot"], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env=_env(ALLOW_ANONYMOUS="maybe", PORT="99999", PM_AAD_IDS="not an id"))
    assert result.returncode == 2
    for fragment in ("ALLOW_ANONYMOUS must be 1 or 0", "PORT must be between", "PM_AAD_IDS must be"):
        assert fragment in result.stderr


def _start_bot(tmp_path: Path) -> tuple[subprocess.Popen[str], int]:
    """Start `python -m bot` on a free port; a port taken between the pick and the bind (other
    tests' browsers open many sockets) is retried with another."""
    for _ in range(3):
        port = free_port()
        process = subprocess.Popen([sys.executable, "-m", "bot"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, env=_env(ALLOW_ANONYMOUS="1", PORT=str(port), HOST="127.0.0.1", DATA_DIR=str(tmp_path)))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return process, port
            except OSError:
                time.sleep(0.2)
        if process.poll() is None:
            process.kill()
        _, stderr = process.communicate(timeout=20)
        if "address already in use" not in stderr.lower():
            raise AssertionError(f"the bot did not start:\n{stderr[-2000:]}")
    raise AssertionError("no free port could be bound in three attempts")


def test_serves_healthz_in_anonymous_mode(tmp_path: Path) -> None:
    process, port = _start_bot(tmp_path)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through a proxy
    try:
        with opener.open(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
            assert response.status == 200
            body = json.loads(response.read())
        assert body["store"] == "sqlite" and body["anonymous"] is True
        assert (tmp_path / "activation.sqlite3").exists()
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=20)
    assert "ANONYMOUS MODE" in stderr


def test_a_serving_process_freezes_its_startup_objects_and_collects_less_often(tmp_path: Path) -> None:
    # In a child process: gc.freeze is for good, and pytest's own process builds many apps.
    script = """
import asyncio, gc, json, sys
from aiohttp.test_utils import TestServer
from bot.app import RUNTIME_KEY, SERVING_GC_THRESHOLDS, create_app, settle_memory_for_serving
from bot.config import Settings

async def main():
    app = create_app(Settings.from_env({"ALLOW_ANONYMOUS": "1", "DATA_DIR": sys.argv[1], "SCHEDULER": "0"}))
    app.on_startup.append(settle_memory_for_serving)
    before = (gc.get_freeze_count(), gc.get_threshold())
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        assert app[RUNTIME_KEY].library is not None  # the runtime was built before the freeze
        print(json.dumps({"before": before, "after": [gc.get_freeze_count(), gc.get_threshold()],
                          "expected": SERVING_GC_THRESHOLDS}))
    finally:
        await server.close()

asyncio.run(main())
"""
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path)], cwd=ROOT, env=_env(), capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["before"][0] == 0 and report["after"][0] > 50_000  # modules, playbooks and the runtime
    assert tuple(report["after"][1]) == tuple(report["expected"]) != tuple(report["before"][1])
