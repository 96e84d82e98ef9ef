"""Roles people hold on a project, and which side of the activation each belongs to."""

from __future__ import annotations

from enum import StrEnum

from bot.domain.catalogue import text
from bot.domain.text import LocalizedText


class Party(StrEnum):
    CUSTOMER = "customer"
    PROVIDER = "provider"
    PARTNER = "partner"


class Role(StrEnum):
    CUSTOMER_PRIMARY_CONTACT = "customer_primary_contact"
    CUSTOMER_GLOBAL_ADMIN = "customer_global_admin"
    AUTHORIZED_SIGNER = "authorized_signer"
    CUSTOMER_ADMIN = "customer_admin"
    PROVIDER_PM = "provider_pm"
    SALES_REP = "sales_rep"
    SUPPORT_LEAD = "support_lead"
    TECHNICIAN = "technician"
    PARTNER = "partner"

    @property
    def party(self) -> Party:
        return ROLE_PARTY[self]

    @property
    def label(self) -> LocalizedText:
        return ROLE_LABELS[self]


ROLE_PARTY: dict[Role, Party] = {
    Role.CUSTOMER_PRIMARY_CONTACT: Party.CUSTOMER,
    Role.CUSTOMER_GLOBAL_ADMIN: Party.CUSTOMER,
    Role.AUTHORIZED_SIGNER: Party.CUSTOMER,
    Role.CUSTOMER_ADMIN: Party.CUSTOMER,
    Role.PROVIDER_PM: Party.PROVIDER,
    Role.SALES_REP: Party.PROVIDER,
    Role.SUPPORT_LEAD: Party.PROVIDER,
    Role.TECHNICIAN: Party.PROVIDER,
    Role.PARTNER: Party.PARTNER,
}

# The labels are the catalogue's "role.<value>" entries.
ROLE_LABELS: dict[Role, LocalizedText] = {role: text(f"role.{role.value}") for role in Role}
