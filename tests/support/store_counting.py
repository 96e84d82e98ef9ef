"""Counting a store's round trips from outside it, for the cost tests and benchmarks.

`count_operations(store)` wraps the opened store in place and returns its counts by kind:
the embedded store's protocol calls (each is one statement or transaction), and Cosmos DB's
SDK calls (each point operation, and each page of a query, is one request).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.storage.contract import Store
from bot.storage.cosmos_store import CosmosStore
from bot.storage.sqlite_store import SqliteStore

SQLITE_KINDS = {"create_project": "create", "load_project": "read", "save_project": "replace",
                "list_projects": "query", "project_events": "query", "read_document": "read",
                "write_document": "write", "delete_document": "delete"}
COSMOS_KINDS = {"read_item": "read", "replace_item": "replace", "create_item": "create", "upsert_item": "upsert",
                "delete_item": "delete"}


@dataclass
class OperationCounts:
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, kind: str) -> None:
        self.counts[kind] += 1

    def reset(self) -> None:
        self.counts.clear()


def count_operations(store: Store) -> OperationCounts:
    """Start counting the store's round trips; the same counts object for repeated calls."""
    existing = getattr(store, "_test_operation_counts", None)
    if isinstance(existing, OperationCounts):
        return existing
    counts = OperationCounts()
    if isinstance(store, SqliteStore):
        for method, kind in SQLITE_KINDS.items():
            setattr(store, method, _counted(getattr(store, method), counts, kind))
    elif isinstance(store, CosmosStore):
        container_of = store._container
        store._container = lambda which: _CountedContainer(container_of(which), counts)  # type: ignore[method-assign]
    else:
        raise TypeError(f"cannot count the operations of {type(store).__name__}")
    store._test_operation_counts = counts  # type: ignore[attr-defined]
    return counts


def _counted(method: Callable[..., Any], counts: OperationCounts, kind: str) -> Callable[..., Any]:
    async def call(*args: Any, **kwargs: Any) -> Any:
        counts.add(kind)
        return await method(*args, **kwargs)

    return call


class _CountedContainer:
    """A Cosmos container proxy that counts each request it makes."""

    def __init__(self, inner: Any, counts: OperationCounts) -> None:
        self._inner = inner
        self._counts = counts

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if name in COSMOS_KINDS:
            return _counted(attribute, self._counts, COSMOS_KINDS[name])
        if name == "query_items":
            return lambda *args, **kwargs: _CountedQuery(attribute(*args, **kwargs), self._counts)
        return attribute


class _CountedQuery:
    """A query's pages, counted when the store reads them by page (as it always does)."""

    def __init__(self, inner: Any, counts: OperationCounts) -> None:
        self._inner = inner
        self._counts = counts

    def by_page(self, continuation_token: str | None = None) -> _CountedPages:
        return _CountedPages(self._inner.by_page(continuation_token), self._counts)

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._inner.__aiter__()  # type: ignore[no-any-return]


class _CountedPages:
    """Each page asked for is one query request: the first, and each one a continuation names
    (an empty result is one request that yields no page)."""

    def __init__(self, inner: Any, counts: OperationCounts) -> None:
        self._inner = inner
        self._counts = counts
        self._asked = False

    @property
    def continuation_token(self) -> str | None:
        return getattr(self._inner, "continuation_token", None)

    def __aiter__(self) -> AsyncIterator[Any]:
        return self

    async def __anext__(self) -> Any:
        if not self._asked or self.continuation_token:
            self._counts.add("query")
        self._asked = True
        return await self._inner.__anext__()
