"""Who someone is across organisations: a person is their home tenant and their object id there.

Teams tells the bot the *conversation's* tenant; a shared channel's activities carry the host's
tenant even for the customer's people, so the home tenant comes from the member APIs (each
member's own `tenantId`). A guest is a user object of the resource tenant, so a guest is keyed
by that tenant and the guest's object id there, and is provider staff only through a link.
See docs/cross-organisation.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class MemberKind(StrEnum):
    MEMBER = "member"  # a user of the conversation's tenant
    EXTERNAL = "external"  # a shared channel's member from another tenant (B2B direct connect)
    GUEST = "guest"  # a guest user object of the conversation's tenant (B2B collaboration)


@dataclass(frozen=True, slots=True, order=True)
class PersonKey:
    tenant_id: str  # the home tenant (for a guest: the resource tenant it is a user of)
    object_id: str

    @staticmethod
    def of(tenant_id: str | None, object_id: str | None) -> PersonKey:
        return PersonKey((tenant_id or "").lower(), (object_id or "").lower())

    def encode(self) -> str:
        return f"{self.tenant_id}/{self.object_id}"

    @staticmethod
    def decode(value: str) -> PersonKey:
        tenant, _, object_id = value.partition("/")
        return PersonKey.of(tenant, object_id)


@dataclass(frozen=True, slots=True)
class Member:
    """One member as the member API answered for them, in one conversation."""

    key: PersonKey
    teams_id: str
    name: str
    kind: MemberKind
    upn: str = ""

    @property
    def is_guest(self) -> bool:
        return self.kind is MemberKind.GUEST


def member_kind(home_tenant: str, conversation_tenant: str, user_role: str | None, upn: str | None) -> MemberKind:
    """How a member stands to the conversation's tenant. A guest is recognised by its role or by
    the `#EXT#` UPN Entra gives guest objects; neither is ever evidence of staff status."""
    if home_tenant and conversation_tenant and home_tenant != conversation_tenant:
        return MemberKind.EXTERNAL
    if (user_role or "").lower() == "guest" or "#ext#" in (upn or "").lower():
        return MemberKind.GUEST
    return MemberKind.MEMBER
