"""Person records in the store's directory: read them, and change them with their ETag so two
instances writing one person's record (a turn and a delivery, say) never undo each other."""

from __future__ import annotations

from collections.abc import Callable

from bot.domain.people import PersonRecord
from bot.storage.contract import AlreadyExists, ConcurrencyConflict, Store, StoreUnavailable, Versioned, user_key

ATTEMPTS = 8


class PersonRecords:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def read(self, person_id: str) -> Versioned[PersonRecord] | None:
        current = await self.store.read_document(user_key("user", person_id))
        return Versioned(PersonRecord.from_dict(current.value), current.etag) if current else None

    async def get(self, person_id: str) -> PersonRecord:
        """The person's record; an empty one for someone the bot has not met."""
        current = await self.read(person_id)
        return current.value if current else PersonRecord()

    async def change(self, person_id: str, mutate: Callable[[PersonRecord], PersonRecord | None],
                     start_from: Versioned[PersonRecord] | None = None) -> PersonRecord:
        """Apply `mutate` (None: leave it as it is) and write with the ETag; on a conflict read
        again and decide again. Returns the record as it now stands."""
        key = user_key("user", person_id)
        for attempt in range(ATTEMPTS):
            current = start_from if attempt == 0 and start_from is not None else await self.read(person_id)
            before = current.value if current else PersonRecord()
            after = mutate(before)
            if after is None or (current is not None and after == before):
                return before
            try:
                await self.store.write_document(key, after.to_dict(), current.etag if current else "")
            except (ConcurrencyConflict, AlreadyExists):
                continue
            return after
        raise StoreUnavailable(f"the record of {person_id} kept changing under {ATTEMPTS} attempts")
