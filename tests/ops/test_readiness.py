"""/readyz follows the store: 200 while it answers, 503 with the reason while the Cosmos DB
server is stopped, 200 again once it is back. /healthz (liveness) stays 200 throughout."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.app import READY_TIMEOUT_SECONDS, RUNTIME_KEY, create_app
from bot.config import Settings
from bot.storage.cosmos_store import open_cosmos_store
from tests.support.cosmos_server import LOCAL_KEY, CosmosServer
from tests.teams.conftest import harness_env


class PinnedCosmosServer(CosmosServer):
    """The local server, restartable on the port it first got (the bot keeps its endpoint)."""

    def restart(self) -> None:
        self.start(port=self.port)


async def probe(session: aiohttp.ClientSession, url: str) -> tuple[int, dict[str, str]]:
    async with session.get(url) as response:
        return response.status, await response.json()


@pytest.mark.cosmos
async def test_readyz_turns_503_while_cosmos_is_stopped_and_200_when_it_is_back(tmp_path: Path) -> None:
    server = PinnedCosmosServer()
    endpoint = server.start()
    database = f"ready-{uuid.uuid4().hex[:8]}"
    settings = Settings.from_env(harness_env(tmp_path, COSMOS_ENDPOINT=endpoint, COSMOS_KEY=LOCAL_KEY, COSMOS_DATABASE=database))
    app = create_app(settings, scheduler=False)
    web_server = TestServer(app, host="127.0.0.1")
    try:
        await web_server.start_server()
        base = str(web_server.make_url("")).rstrip("/")
        async with aiohttp.ClientSession() as session:
            assert await probe(session, f"{base}/readyz") == (200, {"status": "ready", "store": "cosmos"})

            server.stop()
            started = asyncio.get_running_loop().time()
            status, body = await probe(session, f"{base}/readyz")
            assert status == 503 and body["status"] == "not ready", body
            assert body["reason"].startswith("the cosmos store "), body
            assert asyncio.get_running_loop().time() - started < READY_TIMEOUT_SECONDS + 2
            health_status, _ = await probe(session, f"{base}/healthz")
            assert health_status == 200, "liveness does not follow the store: a restart would not bring it back"

            server.restart()
            # The local server keeps nothing across a restart; a real account keeps its database.
            recreated = await open_cosmos_store(endpoint, LOCAL_KEY, database)
            await recreated.close()
            for _ in range(50):
                status, body = await probe(session, f"{base}/readyz")
                if status == 200:
                    break
                await asyncio.sleep(0.2)
            assert (status, body) == (200, {"status": "ready", "store": "cosmos"})
    finally:
        await web_server.close()
        server.stop()


async def test_readyz_on_the_embedded_store(tmp_path: Path) -> None:
    app = create_app(Settings.from_env(harness_env(tmp_path)), scheduler=False)
    web_server = TestServer(app, host="127.0.0.1")
    await web_server.start_server()
    try:
        async with aiohttp.ClientSession() as session:
            base = str(web_server.make_url("")).rstrip("/")
            assert await probe(session, f"{base}/readyz") == (200, {"status": "ready", "store": "sqlite"})
            await app[RUNTIME_KEY].store.close()  # the store goes away
            status, body = await probe(session, f"{base}/readyz")
            assert status == 503 and body["reason"].startswith("the sqlite store failed"), body
    finally:
        await web_server.close()
