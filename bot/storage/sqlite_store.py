"""The embedded store: SQLite in DATA_DIR, used when no Cosmos DB endpoint is configured.

Two connections:
- Point operations (one project or one document, read or written by its key) run right on
  the event loop's thread. They take tens of microseconds; handing each to a worker thread
  cost far more under load, as the thread then waited for the interpreter lock behind the
  busy loop: at 50 concurrent clicks, a store call spent a median 37 ms queued for 0.15 ms of
  work, and the bot answered about 310 clicks/s instead of 590 (docs/performance.md, finding
  14). This one connection does every write, which serialises them: the etag check and the
  event inserts of a save are one atomic step. A write that meets another process's write
  (a job run beside the bot) waits for it on the loop; such writes are one project long.
- Queries that may read many rows (a page of projects, a project's history) run on a worker
  thread with a read-only connection of their own, so they never hold the loop. WAL mode lets
  them read beside the writer.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sqlite3
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC
from pathlib import Path
from typing import Any, TypeVar

from bot import json_codec
from bot.domain.events import Event
from bot.domain.project import Project
from bot.storage.contract import (
    AlreadyExists,
    ConcurrencyConflict,
    Page,
    ProjectQuery,
    ProjectSummary,
    Versioned,
)

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS projects (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    pm_ids TEXT NOT NULL,
    active INTEGER NOT NULL,
    next_digest_at TEXT,
    outbox_count INTEGER NOT NULL,
    etag TEXT NOT NULL,
    doc TEXT NOT NULL,
    next_reminder_at TEXT
);
CREATE INDEX IF NOT EXISTS projects_tenant ON projects(tenant_id, id);
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_project ON events(project_id, seq);
CREATE TABLE IF NOT EXISTS directory (
    key TEXT PRIMARY KEY,
    etag TEXT NOT NULL,
    doc TEXT NOT NULL
);
"""


def _encode(document: dict[str, Any]) -> str:
    """Project documents and events, the store's hot path (every action writes its project
    whole), through bot.json_codec. Directory documents (bot state, preferences) use json."""
    return json_codec.dumps_text(document)


def _encoded_events(events: list[Event]) -> list[tuple[str, str, int, str]]:
    rows = []
    for event in events:
        doc = event.to_dict()
        rows.append((doc["id"], doc["projectId"], doc["seq"], _encode(doc)))
    return rows


def _decode(text: str) -> Any:
    """A project document or event, whichever encoder wrote it."""
    return json_codec.loads(text)


class SqliteStore:
    name = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._executor: ThreadPoolExecutor | None = None
        self._connection: sqlite3.Connection | None = None  # the event loop's: point operations, all writes
        self._reader: sqlite3.Connection | None = None  # the worker thread's: queries over many rows

    @property
    def description(self) -> str:
        return f"sqlite:{self.path}"

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-store")
        # Opened on the worker: creating the schema may take a moment.
        await self._query(self._connect)

    def _connect(self) -> None:
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.executescript(_SCHEMA)
        connection.execute("CREATE INDEX IF NOT EXISTS projects_reminder ON projects(next_reminder_at)")
        reader = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        reader.execute("PRAGMA query_only=1")
        self._connection, self._reader = connection, reader

    async def close(self) -> None:
        if self._executor is None:
            return
        if self._reader is not None:
            await self._query(self._reader.close)
            self._reader = None
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self._executor.shutdown(wait=True)
        self._executor = None

    async def _query(self, function: Any, *args: Any) -> Any:
        """Run on the worker thread (the reader connection is used only there)."""
        if self._executor is None:
            raise RuntimeError("store is not open")
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    @property
    def _db(self) -> sqlite3.Connection:
        """The event loop's connection (point operations and writes)."""
        if self._connection is None:
            raise RuntimeError("store is not open")
        return self._connection

    def _scan(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        assert self._reader is not None
        return list(self._reader.execute(sql, params).fetchall())

    # -- projects ---------------------------------------------------------------------
    async def create_project(self, project: Project, events: list[Event]) -> str:
        doc = project.to_dict()  # encoded here, before any transaction: a failure leaves nothing open
        return self._create_project(doc, _encode(doc), _encoded_events(events))

    def _create_project(self, doc: dict[str, Any], encoded: str, events: list[tuple[str, str, int, str]]) -> str:
        etag = uuid.uuid4().hex
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(
                "INSERT INTO projects (id, tenant_id, pm_ids, active, next_digest_at, outbox_count, etag, doc, next_reminder_at)"
                " VALUES (?,?,?,?,?,?,?,?,?)",
                (doc["id"], doc["tenantId"], json.dumps(doc["pmIds"]), int(doc["active"]), doc["nextDigestAt"],
                 doc["outboxCount"], etag, encoded, doc["nextReminderAt"]),
            )
            self._insert_events(events)
        except sqlite3.IntegrityError:
            db.execute("ROLLBACK")
            raise AlreadyExists(doc["id"]) from None
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return etag

    async def load_project(self, project_id: str) -> Versioned[Project] | None:
        row = self._fetch_one("SELECT doc, etag FROM projects WHERE id = ?", (project_id,))
        if row is None:
            return None
        return Versioned(Project.from_dict(_decode(row[0])), row[1])

    def _fetch_one(self, sql: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
        result: tuple[Any, ...] | None = self._db.execute(sql, params).fetchone()
        return result

    async def save_project(self, project: Project, etag: str, events: list[Event]) -> str:
        doc = project.to_dict()  # encoded here, before any transaction: a failure leaves nothing open
        return self._save_project(doc, _encode(doc), etag, _encoded_events(events))

    def _save_project(self, doc: dict[str, Any], encoded: str, etag: str, events: list[tuple[str, str, int, str]]) -> str:
        new_etag = uuid.uuid4().hex
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            cursor = db.execute(
                "UPDATE projects SET tenant_id=?, pm_ids=?, active=?, next_digest_at=?, outbox_count=?, etag=?, doc=?,"
                " next_reminder_at=? WHERE id=? AND etag=?",
                (doc["tenantId"], json.dumps(doc["pmIds"]), int(doc["active"]), doc["nextDigestAt"], doc["outboxCount"],
                 new_etag, encoded, doc["nextReminderAt"], doc["id"], etag),
            )
            if cursor.rowcount != 1:
                raise ConcurrencyConflict(doc["id"])
            self._insert_events(events)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return new_etag

    def _insert_events(self, events: list[tuple[str, str, int, str]]) -> None:
        # OR IGNORE: an event id is deterministic, so one already there is this same event.
        self._db.executemany("INSERT OR IGNORE INTO events VALUES (?,?,?,?)", events)

    async def list_projects(
        self, query: ProjectQuery, page_size: int = 50, continuation: str | None = None
    ) -> Page[ProjectSummary]:
        clauses, params = [], []
        if query.tenant_id is not None:
            clauses.append("tenant_id = ?")
            params.append(query.tenant_id)
        if query.pm_id is not None:
            clauses.append("EXISTS (SELECT 1 FROM json_each(projects.pm_ids) WHERE value = ?)")
            params.append(query.pm_id)
        if query.active_only:
            clauses.append("active = 1")
        if query.digest_due_before is not None:
            clauses.append("next_digest_at IS NOT NULL AND next_digest_at <= ?")
            params.append(query.digest_due_before.isoformat())
        if query.reminder_due_before is not None:
            clauses.append("next_reminder_at IS NOT NULL AND next_reminder_at <= ?")
            params.append(query.reminder_due_before.astimezone(UTC).isoformat())
        if query.with_outbox:
            clauses.append("outbox_count > 0")
        if continuation:
            clauses.append("id > ?")
            params.append(base64.urlsafe_b64decode(continuation.encode()).decode())
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        sql = f"SELECT doc FROM projects{where} ORDER BY id LIMIT ?"  # noqa: S608 - clauses are fixed text
        rows = await self._query(self._scan, sql, (*params, page_size + 1))
        docs = [_decode(r[0]) for r in rows]
        more = len(docs) > page_size
        docs = docs[:page_size]
        token = base64.urlsafe_b64encode(docs[-1]["id"].encode()).decode() if more and docs else None
        return Page([ProjectSummary.from_document(d) for d in docs], token)

    async def project_events(self, project_id: str) -> list[Event]:
        rows = await self._query(self._scan, "SELECT doc FROM events WHERE project_id = ? ORDER BY seq", (project_id,))
        return [Event.from_dict(_decode(r[0])) for r in rows]

    # -- directory documents ------------------------------------------------------------
    async def read_document(self, key: str) -> Versioned[dict[str, Any]] | None:
        row = self._fetch_one("SELECT doc, etag FROM directory WHERE key = ?", (key,))
        return Versioned(json.loads(row[0]), row[1]) if row else None

    async def write_document(self, key: str, body: dict[str, Any], etag: str | None = None) -> str:
        return self._write_document(key, json.dumps(body), etag)

    def _write_document(self, key: str, doc: str, etag: str | None) -> str:
        new_etag = uuid.uuid4().hex
        db = self._db
        if etag is None:
            db.execute(
                "INSERT INTO directory VALUES (?,?,?) ON CONFLICT(key) DO UPDATE SET etag=excluded.etag, doc=excluded.doc",
                (key, new_etag, doc),
            )
        elif etag == "":
            try:
                db.execute("INSERT INTO directory VALUES (?,?,?)", (key, new_etag, doc))
            except sqlite3.IntegrityError:
                raise AlreadyExists(key) from None
        else:
            cursor = db.execute("UPDATE directory SET etag=?, doc=? WHERE key=? AND etag=?", (new_etag, doc, key, etag))
            if cursor.rowcount != 1:
                raise ConcurrencyConflict(key)
        return new_etag

    async def delete_document(self, key: str) -> None:
        self._db.execute("DELETE FROM directory WHERE key = ?", (key,))
