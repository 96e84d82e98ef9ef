"""Fixtures for the storage tests: the same suite runs on the embedded store and on Cosmos DB
(the local `@vercel/cosmosdb-server`, a fresh database per test)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.storage.contract import Store
from bot.storage.cosmos_store import open_cosmos_store
from bot.storage.sqlite_store import SqliteStore
from tests.support.cosmos_server import LOCAL_KEY, cosmos_endpoint  # noqa: F401 - session fixture

MARKERS = {
    "cosmos": "needs the local Cosmos DB server (@vercel/cosmosdb-server, Node)",
    "e2e": "end-to-end through the Teams playground and a browser",
    "graph": "talks to a Microsoft Graph stand-in",
}


def pytest_configure(config: pytest.Config) -> None:
    # Idempotent: a pyproject.toml/pytest.ini may declare the same markers.
    declared = {line.split(":", 1)[0].split("(", 1)[0].strip() for line in config.getini("markers")}
    for name, text in MARKERS.items():
        if name not in declared:
            config.addinivalue_line("markers", f"{name}: {text}")


STORE_KINDS = [pytest.param("sqlite", id="sqlite"), pytest.param("cosmos", id="cosmos", marks=pytest.mark.cosmos)]


async def open_test_store(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if kind == "sqlite":
        sqlite = SqliteStore(tmp_path / "store.db")
        await sqlite.open()
        return sqlite
    endpoint = request.getfixturevalue("cosmos_endpoint")
    return await open_cosmos_store(endpoint, LOCAL_KEY, f"test-{uuid.uuid4().hex[:12]}")


async def close_test_store(store: Store) -> None:
    client = getattr(store, "_client", None)
    if client is not None:  # the local server keeps data in memory: drop the test's database
        try:
            await client.delete_database(store.database_name)  # type: ignore[attr-defined]
        except Exception:  # best effort cleanup
            pass
    await store.close()


@pytest_asyncio.fixture(params=STORE_KINDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    opened = await open_test_store(request.param, request, tmp_path)
    try:
        yield opened
    finally:
        await close_test_store(opened)
