"""Projects stored before reminders were scheduled (no nextReminderAt) are due at once, in an
existing SQLite file (a column added on open) and in Cosmos DB (a document without the field),
until the next save gives them a moment of their own."""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.storage.contract import ProjectQuery, Store
from bot.storage.cosmos_store import PROJECTS, CosmosStore, open_cosmos_store
from bot.storage.sqlite_store import SqliteStore
from tests.storage.helpers import NOW, make_project
from tests.support.cosmos_server import LOCAL_KEY

# The projects table as it was before next_reminder_at.
OLD_PROJECTS_TABLE = """
CREATE TABLE projects (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    pm_ids TEXT NOT NULL,
    active INTEGER NOT NULL,
    next_digest_at TEXT,
    outbox_count INTEGER NOT NULL,
    etag TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX projects_tenant ON projects(tenant_id, id);
"""


def legacy_document(project_id: str) -> dict[str, Any]:
    project, _ = make_project(project_id)
    doc = project.to_dict()
    del doc["nextReminderAt"]
    return doc


async def due_ids(store: Store) -> list[str]:
    page = await store.list_projects(ProjectQuery(active_only=True, reminder_due_before=NOW), page_size=50)
    return sorted(s.id for s in page.items)


async def schedule_later(store: Store, project_id: str) -> None:
    current = await store.load_project(project_id)
    assert current is not None
    assert current.value.next_reminder_at == current.value.created_at  # read as due since its creation
    current.value.next_reminder_at = NOW + timedelta(days=2)
    await store.save_project(current.value, current.etag, [])


@pytest.mark.asyncio
async def test_an_existing_sqlite_file_gets_the_column_and_its_projects_are_due(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with sqlite3.connect(path) as old:
        old.executescript(OLD_PROJECTS_TABLE)
        for project_id in ("old-1", "old-2"):
            doc = legacy_document(project_id)
            old.execute("INSERT INTO projects VALUES (?,?,?,?,?,?,?,?)",
                        (project_id, doc["tenantId"], json.dumps(doc["pmIds"]), 1, None, 0, uuid.uuid4().hex, json.dumps(doc)))
    old.close()

    store = SqliteStore(path)
    await store.open()
    try:
        assert await due_ids(store) == ["old-1", "old-2"]
        await schedule_later(store, "old-1")
        new, events = make_project("new-1")
        new.next_reminder_at = NOW + timedelta(days=1)
        await store.create_project(new, events)
        assert await due_ids(store) == ["old-2"]
    finally:
        await store.close()

    reopened = SqliteStore(path)  # opening again migrates nothing twice
    await reopened.open()
    try:
        assert await due_ids(reopened) == ["old-2"]
    finally:
        await reopened.close()


@pytest.mark.cosmos
@pytest.mark.asyncio
async def test_a_cosmos_document_without_next_reminder_is_due(cosmos_endpoint: str) -> None:
    store: CosmosStore = await open_cosmos_store(cosmos_endpoint, LOCAL_KEY, f"test-{uuid.uuid4().hex[:12]}")
    try:
        container = store._container(PROJECTS)
        for project_id in ("old-1", "old-2"):
            await container.create_item({**legacy_document(project_id), "writeId": uuid.uuid4().hex})
        assert await due_ids(store) == ["old-1", "old-2"]
        await schedule_later(store, "old-1")
        assert await due_ids(store) == ["old-2"]
    finally:
        assert store._client is not None
        await store._client.delete_database(store.database_name)
        await store.close()
