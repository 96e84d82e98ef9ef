"""Shutdown and restart of `python -m bot` as a real process (issue 22, item 9).

With a send stuck on a Bot Connector that never answers, SIGTERM must end the process well
inside a container platform's kill (about 30 s; we promise 10), leaving what it had not sent
owed with its lease given back; the next process on the same store delivers it at start-up,
not at the first sweep 30 s later."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import aiohttp
import pytest

from bot.domain.project import Project
from bot.storage.contract import ProjectQuery
from bot.storage.sqlite_store import SqliteStore
from tests.support.connector_standin import ConnectorStandIn
from tests.support.node_server import free_port
from tests.support.teams_activities import card_submit, message
from tests.teams.conftest import PM, TEAM, TENANT, roster_accounts
from tests.teams.flows import setup_values

pytestmark = pytest.mark.regressions

ROOT = Path(__file__).resolve().parents[1]
SHUTDOWN_BUDGET = 10.0  # seconds from SIGTERM to exit; container platforms kill at about 30
STARTUP_DELIVERY = 5.0  # seconds from serving to the owed cards delivered; the sweep interval is 30
FOREVER = 3600.0


@dataclass
class BotProcess:
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path
    log: IO[bytes]

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    async def exit_code(self, within: float) -> int | None:
        """The exit code, once the process ends within `within` seconds; None if it did not."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                return code
            await asyncio.sleep(0.05)
        return self.process.poll()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.log.close()


async def start_bot(data_dir: Path, name: str, **extra: str) -> BotProcess:
    """`python -m bot` serving anonymously on a free port, on the sqlite store in `data_dir`;
    returns once /healthz answers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "COSMOS_", "ALLOW_ANONYMOUS", "SCHEDULER"))}
    port = free_port()
    env.update({"ALLOW_ANONYMOUS": "1", "HOST": "127.0.0.1", "PORT": str(port), "DATA_DIR": str(data_dir),
                "PM_AAD_IDS": PM.aad_object_id, "SEND_INTERVAL": "0", **extra})
    log_path = data_dir / f"{name}.log"
    log = log_path.open("wb")
    process = subprocess.Popen([sys.executable, "-m", "bot"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    bot = BotProcess(process, f"http://127.0.0.1:{port}", log_path, log)
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"the bot did not start:\n{bot.output()[-3000:]}")
            try:
                async with session.get(f"{bot.url}/healthz", timeout=aiohttp.ClientTimeout(total=2)) as answer:
                    if answer.status == 200:
                        return bot
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.1)
    bot.kill()
    raise AssertionError(f"the bot did not serve within 60 s:\n{bot.output()[-3000:]}")


@pytest.fixture
async def standin() -> AsyncIterator[ConnectorStandIn]:
    async with ConnectorStandIn(roster=roster_accounts(), default_tenant_id=TENANT) as running:
        yield running


@pytest.fixture
def processes() -> Iterator[list[BotProcess]]:
    """Every bot process a test starts, killed at the end whatever happened."""
    started: list[BotProcess] = []
    yield started
    for bot in started:
        bot.kill()


async def post(bot: BotProcess, activity: dict[str, object]) -> int:
    async with aiohttp.ClientSession() as session, session.post(f"{bot.url}/api/messages", json=activity) as answer:
        return answer.status


def hung(standin: ConnectorStandIn, kind: str) -> int:
    return sum(1 for a in standin.attempts if a.kind == kind and a.outcome == "pending")


async def stuck_bot(data_dir: Path, standin: ConnectorStandIn, processes: list[BotProcess]) -> tuple[BotProcess, asyncio.Task[int]]:
    """A bot that created a project whose cards it cannot send (every proactive send hangs), and
    that is answering a message whose reply hangs too: a background drain, the scheduler's
    sweep and a request handler all wait on a connector that never answers."""
    bot = await start_bot(data_dir, f"bot-{len(processes) + 1}")
    processes.append(bot)
    assert await post(bot, message(PM, TEAM, "new project", standin.service_url)) in (200, 201)
    standin.hang_next(FOREVER, n=1000, deliver=False, kind="send")
    assert await post(bot, card_submit(PM, TEAM, setup_values("cloud_voice_teams", porting=True), standin.service_url)) in (200, 201)
    await standin.wait_for(lambda s: hung(s, "send") >= 1, timeout=15)
    standin.hang_next(FOREVER, n=1000, deliver=False, kind="reply")
    answering = asyncio.get_running_loop().create_task(post(bot, message(PM, TEAM, "status", standin.service_url)))
    await standin.wait_for(lambda s: hung(s, "reply") >= 1, timeout=15)
    return bot, answering


async def owed_projects(data_dir: Path) -> list[Project]:
    store = SqliteStore(data_dir / "activation.sqlite3")
    await store.open()
    try:
        page = await store.list_projects(ProjectQuery(with_outbox=True), page_size=100)
        loaded = [await store.load_project(summary.id) for summary in page.items]
        return [versioned.value for versioned in loaded if versioned is not None]
    finally:
        await store.close()


async def quiet(standin: ConnectorStandIn, *, seconds: float, within: float) -> None:
    """Wait until the stand-in got no request for `seconds`, for at most `within` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        seen = len(standin.attempts)
        await asyncio.sleep(seconds)
        if len(standin.attempts) == seen:
            return
    raise AssertionError(f"the bot was still sending {within} s after start-up")


async def stop(bot: BotProcess, answering: asyncio.Task[int]) -> tuple[int | None, float]:
    """SIGTERM, then the exit code and how long it took; killed at SHUTDOWN_BUDGET as a
    platform would (at about 30 s), so a slow shutdown leaves what a killed process leaves."""
    began = time.monotonic()
    bot.process.send_signal(signal.SIGTERM)
    code = await bot.exit_code(within=SHUTDOWN_BUDGET)
    took = time.monotonic() - began
    bot.kill()
    answering.cancel()
    return code, took


async def test_sigterm_with_a_send_stuck_on_the_connector_exits_at_once_and_loses_nothing(
        tmp_path: Path, standin: ConnectorStandIn, processes: list[BotProcess]) -> None:
    bot, answering = await stuck_bot(tmp_path, standin, processes)
    code, took = await stop(bot, answering)
    assert code == 0, f"exit code {code} after {took:.1f} s:\n{bot.output()[-3000:]}"
    assert took < SHUTDOWN_BUDGET
    assert "Traceback" not in bot.output()
    owed = await owed_projects(tmp_path)
    assert len(owed) == 1 and owed[0].outbox, "the cards the bot could not send are no longer owed"
    assert owed[0].outbox_lease_owner is None, "the stopped process kept its lease: the next one must wait for it"


async def test_a_restarted_bot_delivers_what_it_owed_within_seconds_of_start_up(
        tmp_path: Path, standin: ConnectorStandIn, processes: list[BotProcess]) -> None:
    bot, answering = await stuck_bot(tmp_path, standin, processes)
    await stop(bot, answering)
    owed = await owed_projects(tmp_path)
    assert len(owed) == 1 and owed[0].outbox
    standin.clear_faults()
    delivered_before = len(standin.delivered)

    restarted = await start_bot(tmp_path, "bot-restarted")
    processes.append(restarted)
    serving = time.monotonic()
    await standin.wait_for(lambda s: any(r.kind == "send" and r.conversation_id == TEAM.id for r in s.delivered[delivered_before:]),
                           timeout=STARTUP_DELIVERY)
    assert time.monotonic() - serving < STARTUP_DELIVERY
    await quiet(standin, seconds=1.0, within=STARTUP_DELIVERY)
    restarted.process.send_signal(signal.SIGTERM)
    assert await restarted.exit_code(within=SHUTDOWN_BUDGET) == 0
    assert await owed_projects(tmp_path) == [], "something owed before the restart was not delivered"
