"""Where the embedded store runs its statements: point operations on the event loop's own
thread (a worker thread cost more than the work under load, see the store's docstring), and
queries over many rows on the worker, so a long listing never holds the loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.storage.contract import ProjectQuery, user_key
from bot.storage.sqlite_store import SqliteStore
from tests.storage.helpers import confirm, make_project


@pytest_asyncio.fixture
async def traced(tmp_path: Path) -> AsyncIterator[tuple[SqliteStore, list[tuple[str, str]]]]:
    store = SqliteStore(tmp_path / "store.db")
    await store.open()
    statements: list[tuple[str, str]] = []  # (thread name, first word of the statement)

    def trace(sql: str) -> None:
        statements.append((threading.current_thread().name, sql.split()[0].upper()))

    for connection in (store._connection, store._reader):
        assert connection is not None
        connection.set_trace_callback(trace)
    try:
        yield store, statements
    finally:
        await store.close()


def _threads(statements: list[tuple[str, str]]) -> set[str]:
    return {thread for thread, _ in statements}


@pytest.mark.asyncio
async def test_point_operations_run_on_the_loop_thread(traced: tuple[SqliteStore, list[tuple[str, str]]]) -> None:
    store, statements = traced
    loop_thread = threading.current_thread().name
    project, events = make_project("p-point")
    await store.create_project(project, events)
    current = await store.load_project("p-point")
    assert current is not None
    change = confirm(current.value, "a")
    await store.save_project(current.value, current.etag, change.events)
    await store.write_document(user_key("botstate", "u1"), {"a": 1})
    await store.read_document(user_key("botstate", "u1"))
    await store.delete_document(user_key("botstate", "u1"))
    assert {word for _, word in statements} >= {"BEGIN", "INSERT", "SELECT", "UPDATE", "COMMIT", "DELETE"}
    assert _threads(statements) == {loop_thread}


@pytest.mark.asyncio
async def test_queries_over_many_rows_run_on_the_worker(traced: tuple[SqliteStore, list[tuple[str, str]]]) -> None:
    store, statements = traced
    for number in range(3):
        project, events = make_project(f"p-{number}")
        await store.create_project(project, events)
    statements.clear()
    page = await store.list_projects(ProjectQuery(), page_size=2)
    assert len(page.items) == 2 and page.continuation
    await store.project_events("p-0")
    assert statements and _threads(statements) == {"sqlite-store_0"}


@pytest.mark.asyncio
async def test_the_worker_reads_what_the_loop_just_wrote(traced: tuple[SqliteStore, list[tuple[str, str]]]) -> None:
    """Two connections: a listing right after a save sees it (WAL, no stale snapshot held)."""
    store, _ = traced
    project, events = make_project("p-fresh", customer="Before")
    await store.create_project(project, events)
    for name in ("After", "Again"):
        current = await store.load_project("p-fresh")
        assert current is not None
        current.value.customer_name = name
        await store.save_project(current.value, current.etag, [])
        listed = await store.list_projects(ProjectQuery())
        assert [s.customer_name for s in listed.items] == [name]


@pytest.mark.asyncio
async def test_the_worker_connection_cannot_write(traced: tuple[SqliteStore, list[tuple[str, str]]]) -> None:
    store, _ = traced
    assert store._reader is not None
    reader = store._reader
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await asyncio.get_running_loop().run_in_executor(
            store._executor, reader.execute, "DELETE FROM projects")


@pytest.mark.asyncio
async def test_a_closed_store_says_so(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "store.db")
    with pytest.raises(RuntimeError, match="not open"):
        await store.load_project("p")
    await store.open()
    await store.close()
    with pytest.raises(RuntimeError, match="not open"):
        await store.list_projects(ProjectQuery())
    with pytest.raises(RuntimeError, match="not open"):
        await store.write_document(user_key("botstate", "u"), {})
