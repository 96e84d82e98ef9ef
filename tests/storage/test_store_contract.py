"""The storage contract, one suite for every store (embedded SQLite and Cosmos DB)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.domain.project import Project
from bot.domain.transitions import Change
from bot.storage.contract import (
    AlreadyExists,
    ConcurrencyConflict,
    ProjectQuery,
    ProjectSummary,
    Store,
    update_project,
    user_key,
)
from tests.storage.helpers import (
    NOW,
    OTHER_PM,
    add_outbox,
    busiest_ready_task,
    complete,
    confirm,
    confirm_real,
    make_project,
    make_real_project,
)
from tests.support.store_counting import count_operations


async def all_pages(store: Store, query: ProjectQuery, page_size: int = 50) -> list[ProjectSummary]:
    items: list[ProjectSummary] = []
    token: str | None = None
    for _ in range(100):
        page = await store.list_projects(query, page_size=page_size, continuation=token)
        assert len(page.items) <= page_size
        items.extend(page.items)
        token = page.continuation
        if token is None:
            return items
    raise AssertionError("paging never ended")


def ids(summaries: list[ProjectSummary]) -> list[str]:
    return sorted(s.id for s in summaries)


def event_ids(events: list[Any]) -> list[str]:
    return [e.id for e in events]


# -- projects -------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_create_then_load_round_trips_the_project_and_its_events(store: Store) -> None:
    project, events = make_project("p-round")
    etag = await store.create_project(project, events)

    loaded = await store.load_project("p-round")

    assert loaded is not None
    assert loaded.etag == etag
    assert loaded.value.to_dict() == project.to_dict()
    assert await store.project_events("p-round") == events
    assert [e.seq for e in events] == list(range(1, len(events) + 1))


@pytest.mark.asyncio
async def test_missing_project_reads_as_none_and_has_no_events(store: Store) -> None:
    assert await store.load_project("nope") is None
    assert await store.project_events("nope") == []


@pytest.mark.asyncio
async def test_creating_an_existing_project_raises_already_exists_and_keeps_the_first(store: Store) -> None:
    project, events = make_project("p-dup")
    etag = await store.create_project(project, events)
    again, again_events = make_project("p-dup", customer="Fabrikam")

    with pytest.raises(AlreadyExists):
        await store.create_project(again, again_events)

    loaded = await store.load_project("p-dup")
    assert loaded is not None and loaded.etag == etag
    assert loaded.value.customer_name == "Contoso"
    assert await store.project_events("p-dup") == events


@pytest.mark.asyncio
async def test_save_with_a_stale_etag_conflicts_and_changes_nothing(store: Store) -> None:
    project, events = make_project("p-stale")
    first_etag = await store.create_project(project, events)
    current = await store.load_project("p-stale")
    assert current is not None
    change = confirm(current.value, "a")
    second_etag = await store.save_project(current.value, first_etag, change.events)
    assert second_etag != first_etag

    stale = (await store.load_project("p-stale"))
    assert stale is not None
    before = stale.value.to_dict()
    other = Project.from_dict(before)
    late = confirm(other, "b")  # decided on the newest state, but written with the old etag

    with pytest.raises(ConcurrencyConflict):
        await store.save_project(other, first_etag, late.events)

    after = await store.load_project("p-stale")
    assert after is not None
    assert after.etag == second_etag
    assert after.value.to_dict() == before
    assert event_ids(await store.project_events("p-stale")) == event_ids(events + change.events)


@pytest.mark.asyncio
async def test_save_returns_an_etag_the_next_save_can_use(store: Store) -> None:
    project, events = make_project("p-chain")
    etag = await store.create_project(project, events)
    recorded = list(events)
    for task_id in ("a", "b", "c"):
        change = confirm(project, task_id)
        etag = await store.save_project(project, etag, change.events)
        recorded += change.events

    loaded = await store.load_project("p-chain")
    assert loaded is not None and loaded.etag == etag
    assert loaded.value.to_dict() == project.to_dict()
    assert await store.project_events("p-chain") == recorded


@pytest.mark.asyncio
async def test_update_project_applies_a_confirmation_and_appends_its_events(store: Store) -> None:
    project, events = make_project("p-update")
    await store.create_project(project, events)

    change, saved = await update_project(store, "p-update", lambda p: confirm(p, "a"), lambda c: c.events)

    assert [e.kind for e in change.events] == ["task_changed"] * 3  # a done, b and c ready
    loaded = await store.load_project("p-update")
    assert loaded is not None and loaded.value.to_dict() == saved.value.to_dict() and loaded.etag == saved.etag
    assert loaded.value.tasks["voice:a"].state == "done"
    recorded = await store.project_events("p-update")
    assert event_ids(recorded) == event_ids(events + change.events)
    assert [e.seq for e in recorded] == list(range(1, len(recorded) + 1))


@pytest.mark.asyncio
async def test_concurrent_writers_one_retries_on_fresh_state_and_both_changes_survive(store: Store) -> None:
    project, events = make_project("p-race")
    change = confirm(project, "a")
    await store.create_project(project, events + change.events)
    loaded = asyncio.Event()
    first_attempts: set[str] = set()
    decisions: list[str] = []

    def writer(task_id: str) -> Any:
        async def decide(current: Project) -> Change:
            decisions.append(task_id)
            if task_id not in first_attempts:  # both read the same version before either writes
                first_attempts.add(task_id)
                if len(first_attempts) == 2:
                    loaded.set()
                await asyncio.wait_for(loaded.wait(), 10)
            return confirm(current, task_id)

        return update_project(store, "p-race", decide, lambda c: c.events)

    (change_b, _), (change_c, _) = await asyncio.gather(writer("b"), writer("c"))

    assert len(decisions) == 3  # exactly one writer lost the race and decided again
    final = await store.load_project("p-race")
    assert final is not None
    tasks = final.value.tasks
    assert tasks["voice:b"].state == "done" and tasks["voice:c"].state == "done"
    assert tasks["voice:d"].state == "ready"  # the second writer saw the first one's change
    recorded = await store.project_events("p-race")
    assert [e.seq for e in recorded] == list(range(1, len(recorded) + 1))
    assert len(set(event_ids(recorded))) == len(recorded)
    assert set(event_ids(change_b.events + change_c.events)) <= set(event_ids(recorded))
    assert final.value.event_seq == len(recorded)


@pytest.mark.asyncio
async def test_events_have_deterministic_ids_and_a_replayed_save_adds_none(store: Store) -> None:
    project, events = make_project("p-replay")
    etag = await store.create_project(project, events)
    change = confirm(project, "a")
    assert event_ids(change.events) == [f"p-replay:{n:06d}" for n in range(len(events) + 1, project.event_seq + 1)]
    etag = await store.save_project(project, etag, change.events)

    # The same events sent again (a retried request) with the current etag: nothing is added.
    await store.save_project(project, etag, change.events)
    await store.create_project(*make_project("p-other"))

    recorded = await store.project_events("p-replay")
    assert event_ids(recorded) == event_ids(events + change.events)
    assert recorded == events + change.events


# -- listing --------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_list_projects_filters_by_tenant_pm_activity_digest_and_outbox(store: Store) -> None:
    plain, plain_events = make_project("p-1")
    plain.next_digest_at = NOW + timedelta(days=7)
    await store.create_project(plain, plain_events)

    other_tenant, other_events = make_project("p-2", tenant="tenant-b", extra_pms=(OTHER_PM,))
    other_tenant.next_digest_at = NOW - timedelta(hours=1)
    add_outbox(other_tenant)
    await store.create_project(other_tenant, other_events)

    done, done_events = make_project("p-3", pm=OTHER_PM)
    done_events += complete(done, OTHER_PM)
    done.next_digest_at = NOW - timedelta(days=1)
    await store.create_project(done, done_events)

    with_outbox, outbox_events = make_project("p-4")
    add_outbox(with_outbox, "o1")
    add_outbox(with_outbox, "o2")
    await store.create_project(with_outbox, outbox_events)

    async def listed(**filters: Any) -> list[str]:
        return ids(await all_pages(store, ProjectQuery(**filters)))

    assert await listed() == ["p-1", "p-2", "p-3", "p-4"]
    assert await listed(tenant_id="tenant-a") == ["p-1", "p-3", "p-4"]
    assert await listed(tenant_id="tenant-c") == []
    assert await listed(pm_id="pm-2") == ["p-2", "p-3"]
    assert await listed(pm_id="pm-1") == ["p-1", "p-2", "p-4"]
    assert await listed(active_only=True) == ["p-1", "p-2", "p-4"]
    assert await listed(digest_due_before=NOW) == ["p-2", "p-3"]
    assert await listed(digest_due_before=NOW, active_only=True) == ["p-2"]
    assert await listed(with_outbox=True) == ["p-2", "p-4"]
    assert await listed(with_outbox=True, tenant_id="tenant-a", pm_id="pm-1", active_only=True) == ["p-4"]

    summaries = {s.id: s for s in await all_pages(store, ProjectQuery())}
    assert summaries["p-2"] == ProjectSummary(
        id="p-2", tenant_id="tenant-b", customer_name="Contoso", pm_ids=("pm-1", "pm-2"), active=True,
        next_digest_at=NOW - timedelta(hours=1), outbox_count=1,
    )
    assert summaries["p-3"].active is False and summaries["p-4"].outbox_count == 2


@pytest.mark.asyncio
async def test_list_projects_filters_by_next_reminder_and_follows_each_save(store: Store) -> None:
    due = {"r-past": NOW - timedelta(hours=1), "r-now": NOW, "r-later": NOW + timedelta(days=1), "r-never": None,
           # the same instant as r-past, written in another zone: stored in UTC, compared as such
           "r-zoned": (NOW - timedelta(hours=1)).astimezone(ZoneInfo("America/Los_Angeles"))}
    etags = {}
    for project_id, moment in due.items():
        project, events = make_project(project_id)
        project.next_reminder_at = moment
        etags[project_id] = await store.create_project(project, events)
    done, done_events = make_project("r-done")
    done_events += complete(done)
    done.next_reminder_at = NOW - timedelta(days=1)
    await store.create_project(done, done_events)

    async def listed(**filters: Any) -> list[str]:
        return ids(await all_pages(store, ProjectQuery(**filters), page_size=2))

    assert await listed(reminder_due_before=NOW) == ["r-done", "r-now", "r-past", "r-zoned"]
    assert await listed(reminder_due_before=NOW, active_only=True) == ["r-now", "r-past", "r-zoned"]
    assert await listed(reminder_due_before=NOW - timedelta(hours=2)) == ["r-done"]
    assert await listed(reminder_due_before=NOW + timedelta(days=2), pm_id="pm-1", active_only=True) == [
        "r-later", "r-now", "r-past", "r-zoned"]
    loaded = await store.load_project("r-zoned")
    assert loaded is not None and loaded.value.next_reminder_at == due["r-zoned"]

    # A save moves it either way: the index follows the document.
    for project_id, moment in (("r-later", NOW - timedelta(minutes=1)), ("r-past", NOW + timedelta(days=3)),
                               ("r-now", None)):
        current = await store.load_project(project_id)
        assert current is not None
        current.value.next_reminder_at = moment
        await store.save_project(current.value, current.etag, [])
    assert await listed(reminder_due_before=NOW, active_only=True) == ["r-later", "r-zoned"]


@pytest.mark.asyncio
async def test_list_projects_pages_with_continuation_yield_each_project_once(store: Store) -> None:
    for n in range(5):
        project, events = make_project(f"page-{n}", tenant="tenant-a" if n != 2 else "tenant-b")
        await store.create_project(project, events)

    everything = await all_pages(store, ProjectQuery(), page_size=2)
    assert ids(everything) == [f"page-{n}" for n in range(5)]
    assert len(everything) == 5

    first = await store.list_projects(ProjectQuery(), page_size=2)
    assert len(first.items) == 2 and first.continuation is not None

    filtered = await all_pages(store, ProjectQuery(tenant_id="tenant-a"), page_size=2)
    assert ids(filtered) == ["page-0", "page-1", "page-3", "page-4"]
    assert len(filtered) == 4


# -- directory ------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_directory_create_only_refuses_an_existing_key(store: Store) -> None:
    key = user_key("prefs", "29:user-1")
    etag = await store.write_document(key, {"language": "es"}, etag="")

    with pytest.raises(AlreadyExists):
        await store.write_document(key, {"language": "en"}, etag="")

    current = await store.read_document(key)
    assert current is not None and current.value == {"language": "es"} and current.etag == etag


@pytest.mark.asyncio
async def test_directory_conditional_replace_needs_the_current_etag(store: Store) -> None:
    key = user_key("conversation", "19:abc@thread.tacv2")
    first = await store.write_document(key, {"serviceUrl": "https://smba.example/", "n": 1})
    second = await store.write_document(key, {"serviceUrl": "https://smba.example/", "n": 2}, etag=first)
    assert second != first

    with pytest.raises(ConcurrencyConflict):
        await store.write_document(key, {"n": 3}, etag=first)
    with pytest.raises(ConcurrencyConflict):
        await store.write_document(user_key("conversation", "missing"), {"n": 1}, etag=second)

    current = await store.read_document(key)
    assert current is not None and current.value["n"] == 2 and current.etag == second
    assert await store.read_document(user_key("conversation", "missing")) is None


@pytest.mark.asyncio
async def test_directory_unconditional_write_overwrites_and_delete_removes(store: Store) -> None:
    key = user_key("prefs", "u1")
    assert await store.read_document(key) is None
    await store.write_document(key, {"v": 1})
    etag = await store.write_document(key, {"v": 2, "nested": {"list": [1, "two", None]}})

    current = await store.read_document(key)
    assert current is not None and current.etag == etag
    assert current.value == {"v": 2, "nested": {"list": [1, "two", None]}}

    await store.delete_document(key)
    assert await store.read_document(key) is None
    await store.delete_document(key)  # deleting a missing key is fine
    await store.write_document(key, {"v": 3}, etag="")  # and it can be created again
    again = await store.read_document(key)
    assert again is not None and again.value == {"v": 3}


@pytest.mark.asyncio
async def test_directory_keys_may_hold_any_characters(store: Store) -> None:
    keys = [
        user_key("botstate", "msteams/conversations/19:a?b#c\\d/users/29:x"),
        user_key("prefs", "ñandú 🦤 space"),
        user_key("botstate", "x" * 400),
        user_key("botstate", "x" * 401),
    ]
    for n, key in enumerate(keys):
        await store.write_document(key, {"n": n})
    for n, key in enumerate(keys):
        current = await store.read_document(key)
        assert current is not None and current.value == {"n": n}, key
    await store.delete_document(keys[0])
    assert await store.read_document(keys[0]) is None
    assert await store.read_document(keys[1]) is not None


# -- costs ----------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_a_confirmation_on_a_real_playbook_costs_one_read_one_replace_and_at_most_one_create(
    store: Store,
) -> None:
    project, events = make_real_project("p-cost")
    count_operations(store).reset()
    await store.create_project(project, events)
    creation = dict(count_operations(store).counts)
    key, readied = busiest_ready_task(project)

    count_operations(store).reset()
    change, saved = await update_project(store, "p-cost", lambda p: confirm_real(p, key), lambda c: c.events)
    confirmation = dict(count_operations(store).counts)
    count_operations(store).reset()
    loaded = await store.load_project("p-cost")
    status = dict(count_operations(store).counts)
    count_operations(store).reset()
    await update_project(store, "p-cost", lambda p: None, lambda _: [])  # a save without events
    quiet_save = dict(count_operations(store).counts)

    assert readied >= 3 and len(change.events) == readied + 1  # the task done, several made ready
    assert confirmation["read"] == 1 and confirmation["replace"] == 1
    assert confirmation.get("create", 0) <= 1
    assert status == {"read": 1}
    assert quiet_save == {"read": 1, "replace": 1}
    if store.name == "cosmos":  # the events of a write are one batch document
        assert confirmation == {"read": 1, "replace": 1, "create": 1}
        assert creation == {"create": 2}  # the project and the batch of its events
    else:  # one transaction
        assert confirmation == {"read": 1, "replace": 1}
        assert creation == {"create": 1}
    assert loaded is not None and loaded.value.to_dict() == saved.value.to_dict() and loaded.etag == saved.etag
    recorded = await store.project_events("p-cost")
    assert recorded == events + change.events
    assert [e.seq for e in recorded] == list(range(1, len(recorded) + 1))
