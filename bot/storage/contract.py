"""The storage contract every store implements (embedded SQLite, Azure Cosmos DB).

A project is read and written whole with a version (etag); a write based on a stale read
raises ConcurrencyConflict and the caller re-reads and decides again (`update_project`).
Events are appended in the same write, with deterministic ids, so a retried write cannot
record them twice. Small keyed documents (conversation references, user preferences, bot
state) live beside the projects in a "directory".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

from bot.domain.events import Event
from bot.domain.project import Project

T = TypeVar("T")
R = TypeVar("R")


class StorageError(Exception):
    """Base of the errors a store raises on purpose."""


class ConcurrencyConflict(StorageError):
    """Someone else wrote first: the etag no longer matches."""


class AlreadyExists(StorageError):
    """A document with that id already exists."""


class ProjectNotFound(LookupError):
    """No project has that id (not a store failure: nothing to retry)."""


class StoreUnavailable(StorageError):
    """The store could not be reached or kept failing; the user is asked to try again."""


@dataclass(frozen=True, slots=True)
class Versioned(Generic[T]):
    value: T
    etag: str


@dataclass(frozen=True, slots=True)
class ProjectSummary:
    id: str
    tenant_id: str
    customer_name: str
    pm_ids: tuple[str, ...]
    active: bool
    next_digest_at: datetime | None
    outbox_count: int

    @staticmethod
    def from_document(doc: dict[str, Any]) -> ProjectSummary:
        next_digest = doc.get("nextDigestAt")
        return ProjectSummary(
            id=doc["id"],
            tenant_id=doc["tenantId"],
            customer_name=doc["customerName"],
            pm_ids=tuple(doc.get("pmIds", [])),
            active=bool(doc.get("active", True)),
            next_digest_at=datetime.fromisoformat(next_digest) if next_digest else None,
            outbox_count=int(doc.get("outboxCount", 0)),
        )


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    continuation: str | None = None


@dataclass(frozen=True, slots=True)
class ProjectQuery:
    """Filters for listing projects; all given filters must hold."""

    tenant_id: str | None = None
    pm_id: str | None = None
    active_only: bool = False
    digest_due_before: datetime | None = None
    reminder_due_before: datetime | None = None  # next_reminder_at at or before this instant
    with_outbox: bool = False


class Store(Protocol):
    """What the bot needs from persistence. Implementations: SqliteStore, CosmosStore."""

    name: str

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def create_project(self, project: Project, events: list[Event]) -> str: ...

    async def load_project(self, project_id: str) -> Versioned[Project] | None: ...

    async def save_project(self, project: Project, etag: str, events: list[Event]) -> str: ...

    async def list_projects(self, query: ProjectQuery, page_size: int = 50, continuation: str | None = None) -> Page[ProjectSummary]: ...

    async def project_events(self, project_id: str) -> list[Event]: ...

    async def read_document(self, key: str) -> Versioned[dict[str, Any]] | None: ...

    async def write_document(self, key: str, body: dict[str, Any], etag: str | None = None) -> str:
        """Write a directory document. etag None: unconditional; "": create only; else: replace if it matches."""
        ...

    async def delete_document(self, key: str) -> None: ...


class Updated(NamedTuple, Generic[R]):
    """What `update_project` decided, and the project as saved (or as read, when nothing was written)."""

    decision: R
    saved: Versioned[Project]


async def update_project(
    store: Store,
    project_id: str,
    decide: Callable[[Project], Awaitable[R] | R],
    events_of: Callable[[R], list[Event]],
    attempts: int = 8,
    write_if: Callable[[R], bool] | None = None,
    start_from: Versioned[Project] | None = None,
) -> Updated[R]:
    """Read, decide, write with the etag; on a conflict re-read and decide again.

    `decide` mutates the project it is given and returns its decision; it may raise to abort
    (nothing is written), and `write_if` may decline the write for a decision that changed
    nothing (one read, no write). `start_from`, a copy the caller holds, spares the first read.
    Raises ProjectNotFound when there is no such project.
    """
    for attempt in range(attempts):
        current = start_from if attempt == 0 and start_from is not None else await store.load_project(project_id)
        if current is None:
            raise ProjectNotFound(project_id)
        project = current.value
        outcome = decide(project)
        result: R = await outcome if isinstance(outcome, Awaitable) else outcome  # type: ignore[assignment]
        if write_if is not None and not write_if(result):
            return Updated(result, current)
        try:
            etag = await store.save_project(project, current.etag, events_of(result))
        except ConcurrencyConflict:
            continue
        return Updated(result, Versioned(project, etag))
    raise StoreUnavailable(f"project {project_id} kept changing under {attempts} attempts")


def user_key(kind: str, *parts: str) -> str:
    """Directory keys: '<kind>|<part>|<part>' (ids may contain ':' but never '|')."""
    return "|".join((kind, *parts))
