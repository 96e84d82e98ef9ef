"""`python -m bot` pointed at a Cosmos DB endpoint (the local server): it starts, creates its
database and containers, names the store in /healthz and answers "help"."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path

import aiohttp
import pytest
from azure.cosmos.aio import CosmosClient

from tests.support.connector_standin import ConnectorStandIn
from tests.support.cosmos_server import LOCAL_KEY
from tests.support.node_server import free_port
from tests.support.teams_activities import TeamsUser, message, personal

pytestmark = pytest.mark.cosmos
ROOT = Path(__file__).resolve().parents[2]
USER = TeamsUser("29:cosmos-user", "cccccccc-0000-0000-0000-000000000001", "Cora Cosmos", "33333333-3333-3333-3333-333333333333")


async def test_python_m_bot_on_cosmos_creates_containers_and_answers_help(cosmos_endpoint: str, tmp_path: Path) -> None:
    database = f"bot-{uuid.uuid4().hex[:8]}"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "COSMOS_"))}
    env.update(ALLOW_ANONYMOUS="1", PORT=str(port), HOST="127.0.0.1", DATA_DIR=str(tmp_path), SCHEDULER="0",
               COSMOS_ENDPOINT=cosmos_endpoint, COSMOS_KEY=LOCAL_KEY, COSMOS_DATABASE=database)
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", cwd=ROOT, env=env,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        async with aiohttp.ClientSession() as session, ConnectorStandIn() as standin:
            health = None
            for _ in range(150):
                try:
                    async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                        health = await response.json()
                        break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.2)
            assert health is not None, "the bot did not come up on Cosmos DB"
            assert health["store"] == "cosmos"
            chat = personal(USER)
            async with session.post(f"http://127.0.0.1:{port}/api/messages",
                                    json=message(USER, chat, "help", standin.service_url)) as response:
                assert response.status in (200, 201)
            await standin.wait_for(lambda s: s.cards_in(chat.id), timeout=20)
            assert standin.cards_in(chat.id)[-1]["body"][0]["text"] == "What I can do"
        client = CosmosClient(cosmos_endpoint, LOCAL_KEY, connection_verify=False,
                              headers={"x-ms-documentdb-query-enablecrosspartition": "true"})
        async with client:
            names = {c["id"] async for c in client.get_database_client(database).list_containers()}
        assert {"projects", "directory"} <= names
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=20)
