"""Link codes in the real store: one redemption wins when two arrive at once, and a code links
only the staff identity it was made for."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.identity import PersonKey
from bot.storage.sqlite_store import SqliteStore
from bot.storage.staff import LinkRefusal, StaffDirectory

pytestmark = pytest.mark.crossorg
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
STAFF = PersonKey.of("11111111-1111-1111-1111-111111111111", "aaaaaaaa-0000-0000-0000-000000000001")


async def test_two_redemptions_at_once_link_once(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "bot.db")
    await store.open()
    try:
        staff = StaffDirectory(store, settings_pms=frozenset({STAFF.object_id}), settings_admins=frozenset())
        code = await staff.new_link_code(STAFF, NOW)
        guests = [PersonKey.of("33333333-3333-3333-3333-333333333333", f"dddddddd-0000-0000-0000-00000000000{i}") for i in range(4)]
        outcomes = await asyncio.gather(*(staff.redeem(code.lower(), g, is_guest=True, now=NOW + timedelta(seconds=1))
                                          for g in guests))
        assert sum(o == STAFF for o in outcomes) == 1, outcomes
        assert all(o in (STAFF, LinkRefusal.USED) for o in outcomes)
        linked = [g for g in guests if await staff.linked_staff(g) == STAFF]
        assert len(linked) == 1
        assert await staff.redeem(code, guests[0], is_guest=True, now=NOW) is LinkRefusal.USED
    finally:
        await store.close()
