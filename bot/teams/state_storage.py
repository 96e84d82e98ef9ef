"""botbuilder's `Storage` (ConversationState, UserState, dialog state) on our Store.

Every botbuilder key is one directory document `user_key("botstate", key)`, so bot state
lives wherever the projects live (SQLite or Cosmos DB) and needs no second database.

Values are serialised the way botbuilder's own stores do: `jsonpickle.Pickler().flatten`
(dialog state holds DialogInstance objects and the like, which plain JSON cannot carry) with
the `e_tag` removed, stored as `{"state": ...}`; reading restores them with
`jsonpickle.Unpickler` and sets `e_tag` to the store's etag.

Optimistic concurrency follows MemoryStorage / CosmosDbPartitionedStorage: a value with no
`e_tag` (or `"*"`) is written unconditionally; one with an `e_tag` only if it still is the
stored version, otherwise `BotStateConflict` (a KeyError, as MemoryStorage raises, and a
ConcurrencyConflict) and nothing changes; an empty `e_tag` is an error. Unlike those stores,
a value that carried an `e_tag` gets the new one after a successful write, so saving the
same state twice in one turn is not refused as stale. A value written with an `e_tag` whose
document has since been deleted is refused too (its version is gone).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any

from botbuilder.core import Storage
from jsonpickle.pickler import Pickler
from jsonpickle.unpickler import Unpickler

from bot.storage.contract import ConcurrencyConflict, Store, user_key

KIND = "botstate"


class BotStateConflict(ConcurrencyConflict, KeyError):
    """The state was written by someone else since it was read (stale e_tag)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "etag conflict"


def _etag_of(value: Any) -> str | None:
    if isinstance(value, Mapping):
        found = value.get("e_tag")
    else:
        found = getattr(value, "e_tag", None)
    return None if found is None else str(found)


def _flatten(value: Any) -> Any:
    flat = Pickler().flatten(value)
    if isinstance(flat, dict):
        flat.pop("e_tag", None)
    return flat


def _restore(flat: Any, etag: str) -> Any:
    if isinstance(flat, dict):
        flat = {**flat, "e_tag": etag}
    return Unpickler().restore(flat)


def _set_etag(value: Any, etag: str) -> None:
    if isinstance(value, dict):
        value["e_tag"] = etag
    else:
        try:
            value.e_tag = etag
        except AttributeError:  # a read-only object: nothing to update
            pass


class StoreBackedBotState(Storage):
    """botbuilder Storage over any Store's directory documents."""

    def __init__(self, store: Store, kind: str = KIND) -> None:
        super().__init__()
        self.store = store
        self.kind = kind

    def storage_key(self, key: str) -> str:
        return user_key(self.kind, key)

    async def read(self, keys: list[str]) -> dict[str, Any]:
        if not keys:
            return {}
        wanted = list(dict.fromkeys(keys))
        found = await asyncio.gather(*(self.store.read_document(self.storage_key(k)) for k in wanted))
        result: dict[str, Any] = {}
        for key, document in zip(wanted, found, strict=True):
            if document is not None:
                result[key] = _restore(document.value.get("state"), document.etag)
        return result

    async def write(self, changes: dict[str, Any]) -> None:
        if changes is None:
            raise Exception("Changes are required when writing")  # botbuilder's stores raise plain Exceptions
        for key, value in changes.items():
            e_tag = _etag_of(value)
            if e_tag == "":
                raise Exception("StoreBackedBotState.write(): etag missing")
            condition = None if e_tag in (None, "*") else e_tag
            try:
                new_etag = await self.store.write_document(self.storage_key(key), {"state": _flatten(value)}, condition)
            except ConcurrencyConflict:
                raise BotStateConflict(f"Etag conflict for {key!r}: {e_tag} is not the stored version") from None
            if condition is not None:
                _set_etag(value, new_etag)

    async def delete(self, keys: Iterable[str]) -> None:
        for key in keys:
            await self.store.delete_document(self.storage_key(key))
