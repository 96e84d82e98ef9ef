"""Cosmos DB event documents: one append-only batch document per write, recorded exactly once
across restarts."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio

from bot.storage.contract import update_project
from bot.storage.cosmos_store import PROJECTS, CosmosStore, open_cosmos_store
from tests.storage.helpers import busiest_ready_task, confirm, confirm_real, make_project, make_real_project
from tests.support.cosmos_server import LOCAL_KEY
from tests.support.store_counting import count_operations

pytestmark = pytest.mark.cosmos

Opener = Callable[[], Awaitable[CosmosStore]]


@pytest_asyncio.fixture
async def open_store(cosmos_endpoint: str) -> AsyncIterator[Opener]:
    """Opens CosmosStores on one fresh database: several instances of the bot, or restarts."""
    database = f"events-{uuid.uuid4().hex[:12]}"
    opened: list[CosmosStore] = []

    async def factory() -> CosmosStore:
        store = await open_cosmos_store(cosmos_endpoint, LOCAL_KEY, database)
        opened.append(store)
        return store

    yield factory
    if opened:
        client = opened[0]._client
        assert client is not None
        await client.delete_database(database)
    for store in opened:
        await store.close()


async def partition(store: CosmosStore, project_id: str) -> list[dict[str, Any]]:
    container = store._container(PROJECTS)
    items = container.query_items("SELECT * FROM c WHERE c.projectId = @p", parameters=[
        {"name": "@p", "value": project_id}], partition_key=project_id)
    return sorted([dict(item) async for item in items], key=lambda d: (d["type"], d["id"]))


@pytest.mark.asyncio
async def test_the_events_of_each_write_are_one_batch_document_named_by_its_first_event(open_store: Opener) -> None:
    store = await open_store()
    project, events = make_real_project("p-batch")
    await store.create_project(project, events)
    key, _ = busiest_ready_task(project)
    change, _ = await update_project(store, "p-batch", lambda p: confirm_real(p, key), lambda c: c.events)

    docs = await partition(store, "p-batch")

    assert [(d["type"], d["id"]) for d in docs] == [
        ("events", events[0].id), ("events", change.events[0].id), ("project", "p-batch")]
    first, second, project_doc = docs
    assert first["projectId"] == second["projectId"] == "p-batch"
    assert first["events"] == [e.to_dict() for e in events]
    assert second["events"] == [e.to_dict() for e in change.events]
    assert project_doc["pendingEvents"] == second["events"]  # the latest write's batch only


@pytest.mark.asyncio
async def test_a_restarted_instance_makes_sure_of_the_previous_batch_once_then_costs_one_create(
    open_store: Opener,
) -> None:
    first = await open_store()
    project, events = make_project("p-restart")
    await first.create_project(project, events)
    change_a, _ = await update_project(first, "p-restart", lambda p: confirm(p, "a"), lambda c: c.events)

    restarted = await open_store()  # knows nothing of what the first instance recorded
    count_operations(restarted).reset()
    change_b, _ = await update_project(restarted, "p-restart", lambda p: confirm(p, "b"), lambda c: c.events)
    cold = dict(count_operations(restarted).counts)
    count_operations(restarted).reset()
    change_c, _ = await update_project(restarted, "p-restart", lambda p: confirm(p, "c"), lambda c: c.events)
    warm = dict(count_operations(restarted).counts)

    assert cold == {"read": 1, "create": 2, "replace": 1}  # the previous batch again (409), then its own
    assert warm == {"read": 1, "create": 1, "replace": 1}
    recorded = await restarted.project_events("p-restart")
    assert recorded == events + change_a.events + change_b.events + change_c.events
    assert [d["type"] for d in await partition(restarted, "p-restart")] == ["events"] * 4 + ["project"]
