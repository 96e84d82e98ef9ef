"""Cosmos DB under faults injected at the HTTP transport (not mocks of our code): throttling,
503s, timeouts and dropped connections, before and after the server applied a write."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio

from bot.storage.contract import StoreUnavailable, update_project
from bot.storage.cosmos_store import CROSS_PARTITION_HEADER, CosmosStore
from tests.storage.faults import Fault, FaultTransport, Forwarded
from tests.storage.helpers import confirm, make_project
from tests.support.cosmos_server import LOCAL_KEY

pytestmark = pytest.mark.cosmos

StoreFactory = Callable[..., Awaitable[tuple[CosmosStore, FaultTransport]]]


@pytest_asyncio.fixture
async def faulty(cosmos_endpoint: str) -> AsyncIterator[StoreFactory]:
    """Opens CosmosStores on one fresh database, each with its own FaultTransport."""
    database = f"faults-{uuid.uuid4().hex[:12]}"
    opened: list[CosmosStore] = []

    async def factory(**options: Any) -> tuple[CosmosStore, FaultTransport]:
        transport = FaultTransport()
        store = CosmosStore(
            cosmos_endpoint, LOCAL_KEY, database, connection_verify=False,
            headers={CROSS_PARTITION_HEADER: "true"}, client_options={"transport": transport, **options},
        )
        await store.open()
        opened.append(store)
        return store, transport

    yield factory
    for store in opened:
        await store.close()


class Ticker:
    """A coroutine that wants to run every `interval` seconds; records how late it ran."""

    def __init__(self, interval: float = 0.01) -> None:
        self.interval = interval
        self.ticks = 0
        self.worst_lag = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            expected = time.perf_counter() + self.interval
            await asyncio.sleep(self.interval)
            self.worst_lag = max(self.worst_lag, time.perf_counter() - expected)
            self.ticks += 1

    def __enter__(self) -> Ticker:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


def one_line(error: BaseException) -> str:
    text = str(error)
    assert "\n" not in text and "Traceback" not in text, text
    return text


def batches(forwarded: list[Forwarded]) -> list[list[str]]:
    """The event ids of each batch document the server accepted."""
    return [[e["id"] for e in f.call.body["events"]] for f in forwarded]


async def seeded(store: CosmosStore, transport: FaultTransport, project_id: str) -> list[Any]:
    project, events = make_project(project_id)
    await store.create_project(project, events)
    transport.forwarded.clear()  # the log then shows only what the test does
    return events


# -- throttling -----------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_a_429_storm_is_retried_while_the_event_loop_keeps_running(faulty: StoreFactory) -> None:
    store, transport = await faulty()
    await seeded(store, transport, "p-429")
    transport.add(Fault("respond", op="read", collection="projects", status=429, retry_after_ms=100, times=5))
    transport.add(Fault("respond", op="replace", collection="projects", status=429, retry_after_ms=100, times=5))
    transport.add(Fault("respond", op="create", doc_type="events", status=429, retry_after_ms=100, times=5))

    with Ticker() as ticker:
        started = time.perf_counter()
        change, _ = await update_project(store, "p-429", lambda p: confirm(p, "a"), lambda c: c.events)
        elapsed = time.perf_counter() - started

    assert [action for action, _ in transport.injected] == ["respond"] * 15  # every throttle was served
    assert elapsed >= 1.4  # the SDK honoured x-ms-retry-after-ms (3 x 5 x 100 ms)...
    assert ticker.worst_lag < 0.1  # ...sleeping asynchronously: the loop never stalled
    assert ticker.ticks >= elapsed / 0.01 * 0.5
    assert len(transport.applied("replace", "projects")) == 1
    assert batches(transport.applied("create", doc_type="events")) == [[e.id for e in change.events]]
    loaded = await store.load_project("p-429")
    assert loaded is not None and loaded.value.tasks["voice:a"].state == "done"


@pytest.mark.asyncio
async def test_throttling_beyond_the_sdk_budget_raises_store_unavailable(faulty: StoreFactory) -> None:
    store, transport = await faulty()
    await seeded(store, transport, "p-429-forever")
    transport.add(Fault("respond", op="read", collection="projects", status=429, retry_after_ms=150, times=-1))

    with Ticker() as ticker, pytest.raises(StoreUnavailable) as raised:
        await store.load_project("p-429-forever")

    assert "429" in one_line(raised.value)
    assert len(transport.injected) == 7  # the first attempt and the SDK's 6 retries, no more
    assert ticker.worst_lag < 0.1

    transport.clear()
    transport.injected.clear()
    transport.add(Fault("respond", op="replace", collection="projects", status=429, retry_after_ms=150, times=-1))
    with pytest.raises(StoreUnavailable) as raised:
        await update_project(store, "p-429-forever", lambda p: confirm(p, "a"), lambda c: c.events)
    assert "429" in one_line(raised.value)
    assert len(transport.injected) == 7  # a throttled write is not sent again by the store
    transport.clear()
    loaded = await store.load_project("p-429-forever")
    assert loaded is not None and loaded.value.tasks["voice:a"].state == "ready"


# -- lost answers to writes the server applied ----------------------------------------------
@pytest.mark.asyncio
@pytest.mark.parametrize("action", ["respond_after", "timeout_after", "drop_after"])
async def test_a_replace_applied_but_unanswered_is_reconciled_written_once(faulty: StoreFactory, action: str) -> None:
    store, transport = await faulty()
    events = await seeded(store, transport, "p-lost")
    transport.add(Fault(action, op="replace", collection="projects", status=503))

    change, saved = await update_project(store, "p-lost", lambda p: confirm(p, "a"), lambda c: c.events)

    assert [a for a, _ in transport.injected] == [action]
    assert len(transport.applied("replace", "projects")) == 1  # written once (a resend got 412)
    assert batches(transport.applied("create", doc_type="events")) == [[e.id for e in change.events]]  # once
    transport.clear()
    loaded = await store.load_project("p-lost")
    assert loaded is not None and loaded.value.to_dict() == saved.value.to_dict() and loaded.etag == saved.etag
    recorded = await store.project_events("p-lost")
    assert [e.id for e in recorded] == [e.id for e in events + change.events]


@pytest.mark.asyncio
@pytest.mark.parametrize("action", ["respond_after", "timeout_after", "drop_after"])
async def test_a_create_applied_but_unanswered_is_not_reported_as_already_existing(
    faulty: StoreFactory, action: str
) -> None:
    store, transport = await faulty()
    transport.add(Fault(action, op="create", doc_type="project", status=503))
    project, events = make_project("p-created")

    etag = await store.create_project(project, events)

    assert len(transport.applied("create", doc_type="project")) == 1
    assert batches(transport.applied("create", doc_type="events")) == [[e.id for e in events]]
    loaded = await store.load_project("p-created")
    assert loaded is not None and loaded.etag == etag


@pytest.mark.asyncio
async def test_a_directory_write_applied_but_unanswered_is_reconciled(faulty: StoreFactory) -> None:
    store, transport = await faulty()
    first = await store.write_document("prefs|u1", {"v": 1}, etag="")
    transport.forwarded.clear()
    transport.add(Fault("timeout_after", op="replace", collection="directory"))
    transport.add(Fault("respond_after", op="create", collection="directory", status=503))

    second = await store.write_document("prefs|u1", {"v": 2}, etag=first)
    await store.write_document("prefs|u2", {"v": 1}, etag="")

    current = await store.read_document("prefs|u1")
    assert current is not None and current.value == {"v": 2} and current.etag == second
    assert len(transport.applied("replace", "directory")) == 1
    assert len(transport.applied("create", "directory")) == 1


# -- failures before the server saw the write -----------------------------------------------
@pytest.mark.asyncio
async def test_503s_before_the_replace_are_retried_and_the_write_lands_once(faulty: StoreFactory) -> None:
    store, transport = await faulty()
    await seeded(store, transport, "p-503")
    transport.add(Fault("respond", op="replace", collection="projects", status=503, times=2))
    transport.add(Fault("drop", op="create", doc_type="events", times=1))

    change, _ = await update_project(store, "p-503", lambda p: confirm(p, "a"), lambda c: c.events)

    assert len(transport.injected) == 3
    assert len(transport.applied("replace", "projects")) == 1
    assert batches(transport.applied("create", doc_type="events")) == [[e.id for e in change.events]]


@pytest.mark.asyncio
async def test_persistent_failure_raises_store_unavailable_and_writes_nothing(faulty: StoreFactory) -> None:
    store, transport = await faulty()
    events = await seeded(store, transport, "p-down")
    transport.add(Fault("respond", op="replace", collection="projects", status=503, times=-1))

    with pytest.raises(StoreUnavailable) as raised:
        await update_project(store, "p-down", lambda p: confirm(p, "a"), lambda c: c.events)
    assert "503" in one_line(raised.value)

    transport.clear()
    transport.add(Fault("drop", op="read", times=-1))
    with pytest.raises(StoreUnavailable) as unreadable:
        await store.load_project("p-down")
    assert "could not be reached" in one_line(unreadable.value)

    transport.clear()
    loaded = await store.load_project("p-down")
    assert loaded is not None and loaded.value.tasks["voice:a"].state == "ready"
    assert await store.project_events("p-down") == events
    assert transport.applied("replace") == []


# -- a crash between the project write and its events ---------------------------------------
@pytest.mark.asyncio
async def test_events_left_pending_are_recorded_once_by_the_next_reader_or_writer(faulty: StoreFactory) -> None:
    store, transport = await faulty()
    events = await seeded(store, transport, "p-crash")
    transport.add(Fault("drop", op="create", doc_type="events", times=-1))  # events never get through

    first, _ = await update_project(store, "p-crash", lambda p: confirm(p, "a"), lambda c: c.events)
    assert len(first.events) == 3  # a done, b and c ready: one batch
    assert transport.applied("create", doc_type="events") == []

    # Another instance (or this one after a restart) knows nothing of it and writes next:
    # it records the pending batch of the version it replaces before replacing it.
    other, other_transport = await faulty()
    second, _ = await update_project(other, "p-crash", lambda p: confirm(p, "b"), lambda c: c.events)
    created = other_transport.applied("create", doc_type="events")
    assert [f.call.body["id"] for f in created] == [first.events[0].id, second.events[0].id]
    assert batches(created) == [[e.id for e in first.events], [e.id for e in second.events]]

    # A crash again: the events of the second write are pending; a reader records them.
    other_transport.add(Fault("drop", op="create", doc_type="events", times=-1))
    third, _ = await update_project(other, "p-crash", lambda p: confirm(p, "c"), lambda c: c.events)
    transport.clear()
    recorded = await store.project_events("p-crash")
    expected = [e.id for e in events + first.events + second.events + third.events]
    assert [e.id for e in recorded] == expected
    assert batches(transport.applied("create", doc_type="events")) == [[e.id for e in third.events]]
    assert [e.id for e in await store.project_events("p-crash")] == expected  # recorded once, stable
    assert transport.applied("create", doc_type="events")[1:] == []  # the second read created nothing


# -- start-up -------------------------------------------------------------------------------
def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.asyncio
async def test_open_on_an_unreachable_endpoint_fails_fast_with_one_clear_line() -> None:
    endpoint = f"https://127.0.0.1:{_closed_port()}/"
    store = CosmosStore(endpoint, LOCAL_KEY, "db", connection_verify=False)
    started = time.perf_counter()

    with pytest.raises(StoreUnavailable) as raised:
        await store.open()

    message = one_line(raised.value)
    assert time.perf_counter() - started < 5
    assert endpoint in message and "could not be reached" in message
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


@pytest.mark.asyncio
async def test_open_with_a_rejected_key_fails_fast_with_one_clear_line(cosmos_endpoint: str) -> None:
    transport = FaultTransport(faults=[Fault("respond", status=401, times=-1)])
    store = CosmosStore(cosmos_endpoint, "d3Jvbmcta2V5", "db", connection_verify=False,
                        client_options={"transport": transport})
    started = time.perf_counter()

    with pytest.raises(StoreUnavailable) as raised:
        await store.open()

    message = one_line(raised.value)
    assert time.perf_counter() - started < 5
    assert "rejected the credentials (HTTP 401)" in message and cosmos_endpoint in message


@pytest.mark.asyncio
async def test_open_against_a_server_that_never_answers_is_bounded(cosmos_endpoint: str) -> None:
    transport = FaultTransport(faults=[Fault("hang", times=-1)])
    store = CosmosStore(cosmos_endpoint, LOCAL_KEY, "db", connection_verify=False, open_timeout=1.0,
                        client_options={"transport": transport})
    started = time.perf_counter()

    with pytest.raises(StoreUnavailable) as raised:
        await store.open()

    assert time.perf_counter() - started < 3
    assert "did not answer within 1 s" in one_line(raised.value)


@pytest.mark.asyncio
async def test_open_refuses_a_container_with_another_partition_key(cosmos_endpoint: str) -> None:
    from azure.cosmos import PartitionKey
    from azure.cosmos.aio import CosmosClient

    database = f"wrong-pk-{uuid.uuid4().hex[:8]}"
    async with CosmosClient(cosmos_endpoint, LOCAL_KEY, headers={CROSS_PARTITION_HEADER: "true"}) as client:
        created = await client.create_database(database)
        await created.create_container("projects", PartitionKey(path="/id"))
        store = CosmosStore(cosmos_endpoint, LOCAL_KEY, database, connection_verify=False)

        with pytest.raises(StoreUnavailable) as raised:
            await store.open()

        assert "projects has partition key ['/id'], expected ['/projectId']" in one_line(raised.value)
        await client.delete_database(database)
