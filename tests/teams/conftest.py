"""A real aiohttp app of the bot on loopback, a Bot Connector stand-in that records what the
bot sends, and Teams users in two tenants."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.app import RUNTIME_KEY, Runtime, create_app
from bot.config import Settings
from tests.support.connector_standin import ConnectorStandIn
from tests.support.teams_activities import TeamsUser, channel

TENANT = "11111111-1111-1111-1111-111111111111"
OTHER_TENANT = "22222222-2222-2222-2222-222222222222"
PM = TeamsUser("29:pm", "aaaaaaaa-0000-0000-0000-000000000001", "Pat PM", TENANT)
CUSTOMER = TeamsUser("29:cust", "aaaaaaaa-0000-0000-0000-000000000002", "Cam Customer", TENANT)
ADMIN = TeamsUser("29:admin", "aaaaaaaa-0000-0000-0000-000000000003", "Ada Admin", TENANT)
SIGNER = TeamsUser("29:signer", "aaaaaaaa-0000-0000-0000-000000000004", "Sid Signer", TENANT)
TECH = TeamsUser("29:tech", "aaaaaaaa-0000-0000-0000-000000000005", "Tia Tech", TENANT)
SALES = TeamsUser("29:sales", "aaaaaaaa-0000-0000-0000-000000000006", "Sal Sales", TENANT)
SUPPORT = TeamsUser("29:support", "aaaaaaaa-0000-0000-0000-000000000007", "Sue Support", TENANT)
PARTNER = TeamsUser("29:partner", "aaaaaaaa-0000-0000-0000-000000000008", "Pia Partner", TENANT)
STRANGER = TeamsUser("29:stranger", "aaaaaaaa-0000-0000-0000-000000000009", "Sam Stranger", TENANT)
INTRUDER = TeamsUser("29:intruder", "bbbbbbbb-0000-0000-0000-000000000001", "Ian Intruder", OTHER_TENANT)
TEAM = channel("activation", TENANT)
ROSTER = [PM, CUSTOMER, ADMIN, SIGNER, TECH, SALES, SUPPORT, PARTNER, STRANGER]


@pytest.fixture(autouse=True)
def no_error_logged(request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """A protocol test fails when the bot logged an ERROR (issue 22: none in the whole suite). A
    test that provokes one on purpose says so, `@pytest.mark.allows_error_log("why")`, and must
    then provoke it. Read at teardown, from every phase: `caplog.records` holds the current one only."""
    yield
    errors = [f"{r.name}: {r.getMessage()}" for when in ("setup", "call", "teardown")
              for r in caplog.get_records(when) if r.levelno >= logging.ERROR]
    allowed = request.node.get_closest_marker("allows_error_log")
    if allowed is None:
        assert errors == [], f"the bot logged an ERROR: {errors}"
    else:
        assert errors, f"marked allows_error_log({allowed.args[0] if allowed.args else ''!r}) but no ERROR was logged"


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Harness:
    url: str
    standin: ConnectorStandIn
    runtime: Runtime
    clock: FakeClock
    session: aiohttp.ClientSession
    responses: list[dict[str, Any]] = field(default_factory=list)

    @property
    def service_url(self) -> str:
        return self.standin.service_url

    async def post(self, activity: dict[str, Any], *, settle: bool = True) -> tuple[int, Any]:
        async with self.session.post(f"{self.url}/api/messages", json=activity) as response:
            body = await response.json() if response.content_type == "application/json" else await response.text()
            status = response.status
        if settle:
            await self.runtime.settle()
        return status, body


def roster_accounts() -> list[dict[str, Any]]:
    return [{"id": u.teams_id, "name": u.name, "aadObjectId": u.aad_object_id, "tenantId": u.tenant_id,
             "userPrincipalName": f"{u.name.split()[0].lower()}@contoso.com", "userRole": "user"} for u in ROSTER]


def harness_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"ALLOW_ANONYMOUS": "1", "DATA_DIR": str(tmp_path), "PM_AAD_IDS": PM.aad_object_id, "SCHEDULER": "0",
            "SEND_INTERVAL": "0", "DOCUMENTS_DOWNLOAD_HOSTS": "127.0.0.1", **extra}  # files from the stand-in


@asynccontextmanager
async def running_harness(settings: Settings) -> AsyncIterator[Harness]:
    """The real app on loopback with a Bot Connector stand-in, on a clock the test moves."""
    clock = FakeClock(datetime(2026, 11, 26, 15, 0, tzinfo=UTC))
    async with ConnectorStandIn(roster=roster_accounts(), default_tenant_id=TENANT) as standin:
        app = create_app(settings, clock=clock, scheduler=False)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        try:
            async with aiohttp.ClientSession() as session:
                yield Harness(str(server.make_url("")).rstrip("/"), standin, app[RUNTIME_KEY], clock, session)
        finally:
            await server.close()


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_harness(Settings.from_env(harness_env(tmp_path))) as running:
        yield running
