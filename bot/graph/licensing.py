"""The Cloud Voice for Teams licensing check, as pure data and a pure evaluation (SDK-free).

From what Microsoft Graph answers (`/subscribedSkus`, `/users/{id}/licenseDetails`): a person
can call through Direct Routing when a licence gives them the Teams Phone service plan
(`MCOEV`), whether the Teams Phone Standard add-on or a suite that includes it (E5/A5). We look
at service plans, not SKU names, so unknown suites still count and a plan turned off does not.
Common-area phones need the Shared Devices licence (`MCOCAP`); auto attendants and call queues,
resource accounts with the free Resource Account licence (`MCOEV_VIRTUALUSER`).
`LicensingReport.lines(language)` gives a task card's short lines (catalogue "licences.*").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from bot.domain.catalogue import t
from bot.domain.text import Language

Section = Literal["users", "shared_devices", "resource_accounts"]
PersonKind = Literal["user", "shared_device", "resource_account"]
SkuKind = Literal["phone", "shared_device", "resource_account"]
Status = Literal["ok", "missing", "disabled", "not_found"]
UncheckedReason = Literal["consent", "unavailable", "throttled", "not_configured"]

SECTIONS: tuple[Section, ...] = ("users", "shared_devices", "resource_accounts")
# The Cloud Voice playbook's licensing tasks (bot/playbooks/cloud_voice_teams.toml) and what each shows.
TASK_SECTIONS: dict[str, Section] = {
    "licensing.users_a5_e5": "users",
    "licensing.phone_standard": "users",
    "licensing.shared_device": "shared_devices",
    "licensing.resource_accounts": "resource_accounts",
}
_KIND_OF_SECTION: dict[Section, PersonKind] = {"users": "user", "shared_devices": "shared_device", "resource_accounts": "resource_account"}
_SKU_KIND_OF_SECTION: dict[Section, SkuKind] = {"users": "phone", "shared_devices": "shared_device", "resource_accounts": "resource_account"}

# Service plan provisioning states that mean "assigned and on"; the Pending* ones are still being set up.
_ACTIVE = frozenset({"Success", "PendingActivation", "PendingInput", "PendingProvisioning"})
_USABLE_SKU = frozenset({"Enabled", "Warning"})

SKU_NAMES = {
    "MCOEV": "Teams Phone Standard",
    "MCOEV_GOV": "Teams Phone Standard (GCC)",
    "SPE_E5": "Microsoft 365 E5",
    "SPE_E5_NOPSTNCONF": "Microsoft 365 E5",
    "SPE_E5_USGOV_GCCHIGH": "Microsoft 365 E5 (GCC High)",
    "ENTERPRISEPREMIUM": "Office 365 E5",
    "ENTERPRISEPREMIUM_NOPSTNCONF": "Office 365 E5",
    "M365EDU_A5_FACULTY": "Microsoft 365 A5 (faculty)",
    "M365EDU_A5_STUDENT": "Microsoft 365 A5 (students)",
    "M365EDU_A5_NOPSTNCONF_FACULTY": "Microsoft 365 A5 (faculty)",
    "M365EDU_A5_NOPSTNCONF_STUDENT": "Microsoft 365 A5 (students)",
    "ENTERPRISEPREMIUM_FACULTY": "Office 365 A5 (faculty)",
    "ENTERPRISEPREMIUM_STUDENT": "Office 365 A5 (students)",
    "MCOCAP": "Teams Shared Devices",
    "MCOCAP_GOV": "Teams Shared Devices (GCC)",
    "PHONESYSTEM_VIRTUALUSER": "Teams Phone Resource Account",
    "PHONESYSTEM_VIRTUALUSER_GOV": "Teams Phone Resource Account (GCC)",
    "BUSINESS_VOICE_DIRECTROUTING": "Microsoft 365 Business Voice",
    "BUSINESS_VOICE_MED2": "Microsoft 365 Business Voice",
    "MCOTEAMS_ESSENTIALS": "Teams Phone with Calling Plan",
}


def sku_name(part_number: str) -> str:
    return SKU_NAMES.get(part_number, part_number)


def is_phone_plan(plan_name: str) -> bool:
    """Teams Phone (Phone System): MCOEV and its cloud variants, not the resource-account plan."""
    name = plan_name.upper()
    return name == "MCOEV" or (name.startswith("MCOEV_") and "VIRTUALUSER" not in name)


def is_resource_plan(plan_name: str) -> bool:
    return plan_name.upper().startswith("MCOEV_VIRTUALUSER")


def is_shared_device_sku(part_number: str) -> bool:
    return part_number.upper().startswith("MCOCAP")


def is_resource_sku(part_number: str) -> bool:
    return part_number.upper().startswith("PHONESYSTEM_VIRTUALUSER")


@dataclass(frozen=True, slots=True)
class SkuAvailability:
    sku_id: str
    sku_part_number: str
    kind: SkuKind
    enabled: int  # prepaidUnits.enabled
    consumed: int  # consumedUnits
    capability_status: str = "Enabled"

    @property
    def available(self) -> int:
        if self.capability_status not in _USABLE_SKU:
            return 0
        return max(0, self.enabled - self.consumed)


@dataclass(frozen=True, slots=True)
class PersonLicence:
    user_id: str
    name: str
    kind: PersonKind
    status: Status
    via: str | None = None  # SKU part number that gives (or turned off) the licence
    pending: bool = False  # assigned, still being provisioned
    user_licence: bool = False  # a shared device covered by a user licence with Teams Phone instead of MCOCAP

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True, slots=True)
class LicensingReport:
    """What the tenant has and what each person lacks. `checked` is False when Graph could
    not be asked (`reason` says why); then `lines` says so and nothing else is claimed."""

    checked: bool
    people: tuple[PersonLicence, ...] = ()
    skus: tuple[SkuAvailability, ...] = ()
    reason: UncheckedReason | None = None
    consent_url: str | None = None

    @staticmethod
    def unchecked(reason: UncheckedReason, consent_url: str | None = None) -> LicensingReport:
        return LicensingReport(checked=False, reason=reason, consent_url=consent_url if reason == "consent" else None)

    @property
    def retryable(self) -> bool:
        """Not checked for a passing reason (throttled, Graph unavailable): try again later."""
        return self.reason in ("unavailable", "throttled")

    def available(self, kind: SkuKind) -> int:
        return sum(s.available for s in self.skus if s.kind == kind)

    def has_sku(self, kind: SkuKind) -> bool:
        return any(s.kind == kind for s in self.skus)

    @property
    def phone_available(self) -> int:
        return self.available("phone")

    @property
    def shared_device_available(self) -> int:
        return self.available("shared_device")

    @property
    def resource_account_available(self) -> int:
        return self.available("resource_account")

    def people_in(self, section: Section) -> list[PersonLicence]:
        kind = _KIND_OF_SECTION[section]
        return [p for p in self.people if p.kind == kind]

    def missing(self, section: Section | None = None) -> list[PersonLicence]:
        people = self.people if section is None else tuple(self.people_in(section))
        return [p for p in people if not p.ok]

    def section_ok(self, section: Section) -> bool | None:
        """True: everyone in the section is licensed; False: someone is not; None: not checked."""
        if not self.checked:
            return None
        return not self.missing(section)

    @property
    def ok(self) -> bool | None:
        return None if not self.checked else not self.missing()

    def lines(self, language: Language, section: Section | None = None) -> list[str]:
        """Short lines for a task card, in the reader's language; `section` limits them to one
        licensing task's concern (see TASK_SECTIONS). Names are as given: escape them for cards."""
        if not self.checked:
            out = [t(f"licences.unchecked.{self.reason or 'unavailable'}", language)]
            if self.consent_url:
                out.append(t("licences.consent_url", language, url=self.consent_url))
            return out
        out = []
        for current in (section,) if section else SECTIONS:
            out.append(self._tenant_line(current, language))
            out += [_person_line(p, language) for p in self.people_in(current)]
        return out

    def lines_for_task(self, task_id: str, language: Language) -> list[str]:
        """Lines for a licensing task by its id ("licensing.shared_device", or the project key
        "cloud_voice_teams:licensing.shared_device"); [] for other tasks."""
        section = TASK_SECTIONS.get(task_id.split(":", 1)[-1])
        return self.lines(language, section) if section else []

    def _tenant_line(self, section: Section, language: Language) -> str:
        kind = _SKU_KIND_OF_SECTION[section]
        label = t(f"licences.tenant.{section}", language)
        if not self.has_sku(kind):
            return f"{label}: {t('licences.none_in_tenant', language)}"
        return f"{label}: {t('licences.available', language, n=self.available(kind))}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "reason": self.reason,
            "consentUrl": self.consent_url,
            "people": [asdict(p) for p in self.people],
            "skus": [asdict(s) for s in self.skus],
        }

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> LicensingReport:
        return LicensingReport(
            checked=bool(data.get("checked")),
            reason=data.get("reason"),
            consent_url=data.get("consentUrl"),
            people=tuple(PersonLicence(**p) for p in data.get("people", [])),
            skus=tuple(SkuAvailability(**s) for s in data.get("skus", [])),
        )


# ---------------------------------------------------------------------------------------------
# Evaluation


def _values(payload: Any) -> list[dict[str, Any]]:
    """A Graph collection ({"value": [...]}) or a bare list."""
    if payload is None:
        return []
    if isinstance(payload, Mapping):
        payload = payload.get("value", [])
    return [item for item in payload if isinstance(item, Mapping)]  # type: ignore[misc]


def _plans(licence: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(str(p.get("servicePlanName") or ""), str(p.get("provisioningStatus") or "Success"))
            for p in licence.get("servicePlans") or [] if isinstance(p, Mapping)]


def _sku_kind(sku: Mapping[str, Any]) -> SkuKind | None:
    part = str(sku.get("skuPartNumber") or "")
    if is_shared_device_sku(part):
        return "shared_device"
    names = [name for name, _ in _plans(sku)]
    if is_resource_sku(part) or any(is_resource_plan(n) for n in names):
        return "resource_account"
    if any(is_phone_plan(n) for n in names):
        return "phone"
    return None


def sku_availability(subscribed_skus_json: Any) -> tuple[SkuAvailability, ...]:
    out = []
    for sku in _values(subscribed_skus_json):
        kind = _sku_kind(sku)
        if kind is None:
            continue
        prepaid = sku.get("prepaidUnits") or {}
        out.append(SkuAvailability(
            sku_id=str(sku.get("skuId") or ""),
            sku_part_number=str(sku.get("skuPartNumber") or ""),
            kind=kind,
            enabled=int(prepaid.get("enabled") or 0),
            consumed=int(sku.get("consumedUnits") or 0),
            capability_status=str(sku.get("capabilityStatus") or "Enabled"),
        ))
    return tuple(out)


def _phone(licences: list[dict[str, Any]]) -> tuple[Status, str | None, bool]:
    """Teams Phone from any licence: ok (preferring the standalone add-on), disabled, or missing."""
    active: list[tuple[str, bool]] = []
    disabled: str | None = None
    for licence in licences:
        part = str(licence.get("skuPartNumber") or licence.get("skuId") or "")
        if is_shared_device_sku(part):
            continue  # a device licence does not license a person
        for name, state in _plans(licence):
            if not is_phone_plan(name):
                continue
            if state in _ACTIVE:
                active.append((part, state != "Success"))
            else:
                disabled = disabled or part
    if active:
        active.sort(key=lambda item: (item[1], not item[0].upper().startswith("MCOEV")))
        return "ok", active[0][0], active[0][1]
    if disabled:
        return "disabled", disabled, False
    return "missing", None, False


def _evaluate_person(user_id: str, name: str, kind: PersonKind, licences: list[dict[str, Any]]) -> PersonLicence:
    if kind == "resource_account":
        for licence in licences:
            part = str(licence.get("skuPartNumber") or "")
            plans = _plans(licence)
            if is_resource_sku(part) or any(is_resource_plan(n) and s in _ACTIVE for n, s in plans):
                pending = any(is_resource_plan(n) and s != "Success" for n, s in plans)
                return PersonLicence(user_id, name, kind, "ok", part, pending)
        return PersonLicence(user_id, name, kind, "missing")
    if kind == "shared_device":
        for licence in licences:
            part = str(licence.get("skuPartNumber") or "")
            if is_shared_device_sku(part):
                pending = any(is_phone_plan(n) and s != "Success" for n, s in _plans(licence))
                return PersonLicence(user_id, name, kind, "ok", part, pending)
        status, via, pending = _phone(licences)
        if status == "ok":
            return PersonLicence(user_id, name, kind, "ok", via, pending, user_licence=True)
        return PersonLicence(user_id, name, kind, "missing")
    status, via, pending = _phone(licences)
    return PersonLicence(user_id, name, kind, status, via, pending)


def evaluate_licences(subscribed_skus_json: Any, licence_details_by_user: Mapping[str, Any], *,
                      shared_device_user_ids: Iterable[str] = (), resource_account_ids: Iterable[str] = (),
                      names: Mapping[str, str] | None = None) -> LicensingReport:
    """The report from Graph's answers. `licence_details_by_user` maps each Entra object id to
    its `licenseDetails` collection (the response, or its "value" list), or None when the user
    does not exist. Ids listed as shared devices or resource accounts are judged as such; every
    other id is a phone user."""
    shared = set(shared_device_user_ids)
    resources = set(resource_account_ids)
    names = names or {}
    people = []
    for user_id, details in licence_details_by_user.items():
        kind: PersonKind = "resource_account" if user_id in resources else "shared_device" if user_id in shared else "user"
        name = names.get(user_id) or user_id
        if details is None:
            people.append(PersonLicence(user_id, name, kind, "not_found"))
        else:
            people.append(_evaluate_person(user_id, name, kind, _values(details)))
    return LicensingReport(checked=True, people=tuple(people), skus=sku_availability(subscribed_skus_json))


def licence_details_from_assigned(user_json: Mapping[str, Any], subscribed_skus_json: Any) -> list[dict[str, Any]]:
    """licenseDetails-shaped entries from a user's `assignedLicenses` (GET /users/{id}?$select=
    assignedLicenses) and the tenant's subscribedSkus: each assigned SKU's service plans, the
    ones in `disabledPlans` marked Disabled. Used when /licenseDetails is refused app-only."""
    by_id = {str(s.get("skuId")): s for s in _values(subscribed_skus_json)}
    out = []
    for assigned in user_json.get("assignedLicenses") or []:
        sku_id = str(assigned.get("skuId") or "")
        disabled = {str(p) for p in assigned.get("disabledPlans") or []}
        sku = by_id.get(sku_id, {})
        plans = [
            {"servicePlanId": p.get("servicePlanId"), "servicePlanName": p.get("servicePlanName"),
             "provisioningStatus": "Disabled" if str(p.get("servicePlanId")) in disabled else "Success"}
            for p in sku.get("servicePlans") or [] if isinstance(p, Mapping)
        ]
        out.append({"skuId": sku_id, "skuPartNumber": sku.get("skuPartNumber") or sku_id, "servicePlans": plans})
    return out


# ---------------------------------------------------------------------------------------------
# Words (the texts are the catalogue's "licences.*" entries)


def _person_line(person: PersonLicence, language: Language) -> str:
    name, sku = person.name, sku_name(person.via or "")
    if person.status == "not_found":
        return t("licences.not_found", language, name=name)
    if person.kind == "resource_account":
        line = t("licences.resource.ok" if person.ok else "licences.resource.missing", language, name=name)
    elif person.kind == "shared_device":
        if not person.ok:
            line = t("licences.shared.missing", language, name=name)
        else:
            line = t("licences.shared.ok_user" if person.user_licence else "licences.shared.ok", language, name=name, sku=sku)
    elif person.status == "ok":
        standalone = (person.via or "").upper().startswith("MCOEV")
        line = t("licences.user.ok_standard" if standalone else "licences.user.ok_via", language, name=name, sku=sku)
    elif person.status == "disabled":
        line = t("licences.user.disabled", language, name=name, sku=sku)
    else:
        line = t("licences.user.missing", language, name=name)
    return line + (t("licences.pending", language) if person.ok and person.pending else "")


__all__ = [
    "SECTIONS",
    "TASK_SECTIONS",
    "LicensingReport",
    "PersonLicence",
    "SkuAvailability",
    "evaluate_licences",
    "licence_details_from_assigned",
    "sku_availability",
]
