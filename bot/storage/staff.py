"""Provider staff in the store: PMs and bot admins, the guest identities linked to them, and
one-time link codes. Settings bootstrap it (PM_AAD_IDS, BOT_ADMIN_AAD_IDS): those people are
staff whatever the roster says, so an admin can never lock everyone out.

Every write is conditional (ETag) so two admins at once never undo each other; a link code is
spent by a conditional write too, so it links at most once. See docs/cross-organisation.md.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.domain.identity import PersonKey
from bot.storage.contract import AlreadyExists, ConcurrencyConflict, Store, StoreUnavailable, user_key

log = logging.getLogger(__name__)
ROSTER_KEY = user_key("staff", "roster")
LINK_CODE_LIFETIME = timedelta(minutes=10)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off one screen, typed in another
CODE_LENGTH = 8
ATTEMPTS = 8


class StaffRole(StrEnum):
    PM = "pm"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class StaffMember:
    key: PersonKey
    name: str
    role: StaffRole
    upn: str = ""
    from_settings: bool = False  # bootstrapped: not removable in Teams

    def to_dict(self) -> dict[str, Any]:
        return {"tenantId": self.key.tenant_id, "objectId": self.key.object_id, "name": self.name, "role": self.role.value,
                "upn": self.upn}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> StaffMember:
        return StaffMember(PersonKey.of(str(data.get("tenantId", "")), str(data["objectId"])), str(data.get("name", "")),
                           StaffRole(data.get("role", "pm")), str(data.get("upn", "")))


class LinkRefusal(StrEnum):
    UNKNOWN = "unknown"  # no such code (mistyped, or never shown)
    EXPIRED = "expired"
    USED = "used"
    SAME_IDENTITY = "same_identity"  # typed in the chat that showed it
    NOT_GUEST = "not_guest"  # only a guest identity is linked to a staff identity


class StaffDirectory:
    """Who is provider staff. `settings_pms`/`settings_admins`: object ids from the settings, any
    tenant (as PM_AAD_IDS always meant); `staff_tenant`: everyone of that tenant is a PM."""

    def __init__(self, store: Store, *, settings_pms: frozenset[str], settings_admins: frozenset[str],
                 staff_tenant: str = "") -> None:
        self.store = store
        self.settings_pms = frozenset(i.lower() for i in settings_pms)
        self.settings_admins = frozenset(i.lower() for i in settings_admins)
        self.staff_tenant = staff_tenant.lower()

    # -- the roster ------------------------------------------------------------------------
    async def roster(self) -> list[StaffMember]:
        current = await self.store.read_document(ROSTER_KEY)
        return [StaffMember.from_dict(m) for m in (current.value.get("members", []) if current else [])]

    async def roles_of(self, key: PersonKey) -> frozenset[StaffRole]:
        """The staff roles of exactly this identity (a guest's are none until linked)."""
        roles: set[StaffRole] = set()
        if key.object_id in self.settings_admins:
            roles |= {StaffRole.ADMIN, StaffRole.PM}
        if key.object_id in self.settings_pms or (self.staff_tenant and key.tenant_id == self.staff_tenant):
            roles.add(StaffRole.PM)
        for member in await self.roster():
            if member.key == key:
                roles |= {StaffRole.ADMIN, StaffRole.PM} if member.role is StaffRole.ADMIN else {StaffRole.PM}
        return frozenset(roles)

    async def add(self, member: StaffMember) -> bool:
        """Add (or change the role of) a staff member; False when they held that role already."""
        def mutate(members: list[StaffMember]) -> list[StaffMember] | None:
            if any(m.key == member.key and m.role is member.role for m in members):
                return None
            return [*(m for m in members if m.key != member.key), member]

        return await self._change(mutate)

    async def remove(self, key: PersonKey) -> bool:
        """Remove from the roster; False when they were not on it. Links to them go with them."""
        removed = await self._change(lambda ms: [m for m in ms if m.key != key] if any(m.key == key for m in ms) else None)
        return removed

    async def _change(self, mutate: Any) -> bool:
        for _ in range(ATTEMPTS):
            current = await self.store.read_document(ROSTER_KEY)
            members = [StaffMember.from_dict(m) for m in (current.value.get("members", []) if current else [])]
            after = mutate(members)
            if after is None:
                return False
            try:
                await self.store.write_document(ROSTER_KEY, {"members": [m.to_dict() for m in after]},
                                                current.etag if current else "")
            except (ConcurrencyConflict, AlreadyExists):
                continue
            return True
        raise StoreUnavailable("the staff roster kept changing")

    # -- guest links -----------------------------------------------------------------------
    async def linked_staff(self, guest: PersonKey) -> PersonKey | None:
        """The staff identity a guest identity was linked to, if it is still staff."""
        current = await self.store.read_document(user_key("staff-link", guest.tenant_id, guest.object_id))
        if current is None:
            return None
        staff = PersonKey.of(str(current.value.get("tenantId")), str(current.value.get("objectId")))
        return staff if StaffRole.PM in await self.roles_of(staff) else None

    async def new_link_code(self, staff: PersonKey, now: datetime) -> str:
        """A one-time code for this staff identity, valid for LINK_CODE_LIFETIME."""
        for _ in range(ATTEMPTS):
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            try:
                await self.store.write_document(user_key("link-code", code), {
                    "tenantId": staff.tenant_id, "objectId": staff.object_id,
                    "expiresAt": (now + LINK_CODE_LIFETIME).isoformat()}, "")
            except AlreadyExists:
                continue
            return code
        raise StoreUnavailable("no free link code")

    async def redeem(self, code: str, guest: PersonKey, *, is_guest: bool, now: datetime) -> PersonKey | LinkRefusal:
        """Spend the code to link `guest` to the code's staff identity; the staff key, or why not."""
        key = user_key("link-code", normalise_code(code))
        current = await self.store.read_document(key)
        if current is None:
            return LinkRefusal.UNKNOWN
        body = current.value
        staff = PersonKey.of(str(body.get("tenantId")), str(body.get("objectId")))
        if body.get("usedAt"):
            return LinkRefusal.USED
        if datetime.fromisoformat(str(body["expiresAt"])) <= now:
            return LinkRefusal.EXPIRED
        if staff == guest:
            return LinkRefusal.SAME_IDENTITY
        if not is_guest:
            return LinkRefusal.NOT_GUEST
        try:  # spend it first: two redemptions at once link once
            await self.store.write_document(key, {**body, "usedAt": now.isoformat(), "usedBy": guest.encode()}, current.etag)
        except ConcurrencyConflict:
            return LinkRefusal.USED
        await self.store.write_document(user_key("staff-link", guest.tenant_id, guest.object_id),
                                        {"tenantId": staff.tenant_id, "objectId": staff.object_id, "linkedAt": now.isoformat()})
        log.info("guest identity %s linked to staff %s", guest.encode(), staff.encode())
        return staff

    async def link_from_directory(self, guest: PersonKey, staff: PersonKey, now: datetime) -> bool:
        """Link a guest whose home identity the directory itself named (Graph `originTenantInfo`),
        if that identity is staff; False otherwise (nothing written)."""
        if StaffRole.PM not in await self.roles_of(staff) or staff == guest:
            return False
        await self.store.write_document(user_key("staff-link", guest.tenant_id, guest.object_id),
                                        {"tenantId": staff.tenant_id, "objectId": staff.object_id, "linkedAt": now.isoformat(),
                                         "via": "originTenantInfo"})
        log.info("guest identity %s linked to staff %s through the directory", guest.encode(), staff.encode())
        return True


def normalise_code(code: str) -> str:
    return "".join(c for c in code.upper() if c.isalnum())[:32]
