"""Text people type ends up in project documents (block reasons, names): whatever Python holds
in a str must be stored and read back, and a write that fails must leave the store usable."""

from __future__ import annotations

import pytest

from bot.storage.contract import ProjectQuery, Store, user_key
from bot.storage.sqlite_store import SqliteStore
from tests.storage.helpers import make_project

LONE_SURROGATE = "blocked on \ud83d the carrier"  # half an emoji, as a JSON "\ud83d" escape decodes


@pytest.mark.asyncio
async def test_a_lone_surrogate_in_a_project_is_stored_and_read_back(store: Store) -> None:
    project, _ = make_project("p-text")
    project.tasks["voice:a"].blocked_reason = LONE_SURROGATE
    project.customer_name = "Ñandú 🦤 S.A."
    await store.create_project(project, [])
    current = await store.load_project("p-text")
    assert current is not None
    assert current.value.tasks["voice:a"].blocked_reason == LONE_SURROGATE
    assert current.value.customer_name == "Ñandú 🦤 S.A."
    current.value.tasks["voice:b"].blocked_reason = LONE_SURROGATE + " again"
    await store.save_project(current.value, current.etag, [])
    again = await store.load_project("p-text")
    assert again is not None and again.value.tasks["voice:b"].blocked_reason == LONE_SURROGATE + " again"
    # Listing decodes whole pages: the odd document must not break its page.
    other, _ = make_project("p-other")
    await store.create_project(other, [])
    listed = await store.list_projects(ProjectQuery())
    assert {s.id for s in listed.items} >= {"p-text", "p-other"}


@pytest.mark.asyncio
async def test_directory_documents_keep_what_json_allows(store: Store) -> None:
    key = user_key("botstate", "odd")
    await store.write_document(key, {"text": LONE_SURROGATE, "big": 2**70})
    current = await store.read_document(key)
    assert current is not None and current.value == {"text": LONE_SURROGATE, "big": 2**70}


@pytest.mark.asyncio
async def test_a_write_that_fails_halfway_leaves_the_embedded_store_usable(tmp_path, monkeypatch) -> None:
    store = SqliteStore(tmp_path / "store.db")  # its own transactions: Cosmos has none to leave open
    await store.open()
    try:
        await _fail_halfway_then_write(store, monkeypatch)
    finally:
        await store.close()


async def _fail_halfway_then_write(store: SqliteStore, monkeypatch: pytest.MonkeyPatch) -> None:
    project, _ = make_project("p-fail")
    await store.create_project(project, [])
    current = await store.load_project("p-fail")
    assert current is not None

    def broken(events: object) -> None:
        raise RuntimeError("disk trouble while writing the events")

    monkeypatch.setattr(store, "_insert_events", broken)
    current.value.customer_name = "Not saved"
    with pytest.raises(RuntimeError):
        await store.save_project(current.value, current.etag, [])
    monkeypatch.undo()

    unchanged = await store.load_project("p-fail")
    assert unchanged is not None and unchanged.value.customer_name != "Not saved" and unchanged.etag == current.etag
    other, _ = make_project("p-after")
    await store.create_project(other, [])  # no transaction left open
    unchanged.value.customer_name = "Saved"
    await store.save_project(unchanged.value, unchanged.etag, [])
    saved = await store.load_project("p-fail")
    assert saved is not None and saved.value.customer_name == "Saved"
