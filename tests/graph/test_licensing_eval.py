"""The pure licensing evaluation (no Graph): service plans decide, not SKU names."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.graph.licensing import LicensingReport, evaluate_licences, licence_details_from_assigned

pytestmark = pytest.mark.graph
ROOT = Path(__file__).resolve().parents[2]


def licence(part: str, *plans: tuple[str, str]) -> dict[str, Any]:
    return {"skuId": f"id-{part}", "skuPartNumber": part,
            "servicePlans": [{"servicePlanId": f"p-{n}", "servicePlanName": n, "provisioningStatus": s} for n, s in plans]}


def sku(part: str, enabled: int, consumed: int, *plans: str, status: str = "Enabled") -> dict[str, Any]:
    return {"skuId": f"id-{part}", "skuPartNumber": part, "capabilityStatus": status, "consumedUnits": consumed,
            "prepaidUnits": {"enabled": enabled}, "servicePlans": [{"servicePlanId": f"p-{n}", "servicePlanName": n} for n in plans]}


def test_service_plans_decide() -> None:
    skus = {"value": [
        sku("CONTOSO_VOICE_SUITE", 4, 1, "MCOEV", "TEAMS1"),  # unknown by name, has Teams Phone
        sku("MCOEV", 5, 5, "MCOEV"),
        sku("SPE_E5", 10, 0, "MCOEV", status="Suspended"),  # suspended: nothing available
        sku("MCOCAP", 2, 0, "MCOEV", "TEAMS1"),
        sku("ENTERPRISEPACK", 100, 3, "TEAMS1"),
    ]}
    details = {
        "u1": [licence("CONTOSO_VOICE_SUITE", ("MCOEV", "Success"))],
        "u2": {"value": [licence("MCOEV", ("MCOEV", "PendingProvisioning"))]},
        "u3": [licence("MCOCAP", ("MCOEV", "Success"))],  # a device licence on a person does not license them
        "u4": [licence("SPE_E5", ("MCOEV", "Success"))],  # a shared device on a user licence
        "u5": None,
    }
    report = evaluate_licences(skus, details, shared_device_user_ids=["u4"], names={"u1": "Uno", "u2": "Dos", "u3": "Tres", "u4": "Cuatro"})
    assert [(p.user_id, p.kind, p.status, p.via, p.pending) for p in report.people] == [
        ("u1", "user", "ok", "CONTOSO_VOICE_SUITE", False),
        ("u2", "user", "ok", "MCOEV", True),
        ("u3", "user", "missing", None, False),
        ("u4", "shared_device", "ok", "SPE_E5", False),
        ("u5", "user", "not_found", None, False),
    ]
    assert report.phone_available == 3 and report.shared_device_available == 2 and not report.has_sku("resource_account")
    assert report.lines("en") == [
        "Teams Phone Standard or E5/A5: 3 available",
        "Uno: Teams Phone ✓ (CONTOSO_VOICE_SUITE)",
        "Dos: Teams Phone Standard ✓ (being set up)",
        "Tres: missing Teams Phone Standard or E5/A5",
        "u5: not found in the tenant",
        "Shared device licences: 2 available",
        "Cuatro: Teams Phone ✓ (user licence Microsoft 365 E5)",
        "Resource account licences: none in the tenant",
    ]
    assert report.lines("es", "shared_devices")[0] == "Licencias de dispositivo compartido: 2 disponibles"


def test_singular_and_resource_plan_without_the_sku_name() -> None:
    report = evaluate_licences([sku("PHONESYSTEM_VIRTUALUSER", 1, 0, "MCOEV_VIRTUALUSER")],
                               {"ra": [licence("SOME_BUNDLE", ("MCOEV_VIRTUALUSER", "Success"))]}, resource_account_ids={"ra"})
    assert report.lines("es", "resource_accounts") == ["Licencias de cuenta de recursos: 1 disponible",
                                                       "ra: Teams Phone Resource Account ✓"]
    assert report.people[0].kind == "resource_account" and report.ok


def test_report_round_trips_and_task_sections() -> None:
    report = evaluate_licences([sku("MCOEV", 2, 1, "MCOEV")], {"a": [licence("MCOEV", ("MCOEV", "Success"))]}, names={"a": "Ana"})
    again = LicensingReport.from_dict(json.loads(json.dumps(report.to_dict())))
    assert again == report
    assert report.lines_for_task("licensing.phone_standard", "en") == report.lines("en", "users")
    assert report.lines_for_task("cloud_voice_teams:licensing.users_a5_e5", "en") == ["Teams Phone Standard or E5/A5: 1 available",
                                                                                      "Ana: Teams Phone Standard ✓"]
    assert report.lines_for_task("cloud_voice_teams:onboarding.login", "en") == []
    unchecked = LicensingReport.unchecked("unavailable", consent_url="https://ignored")
    assert LicensingReport.from_dict(unchecked.to_dict()) == unchecked and unchecked.consent_url is None
    assert unchecked.lines_for_task("licensing.shared_device", "es") == [
        "Licencias no comprobadas: Microsoft Graph no respondió; se volverá a intentar"]


def test_assigned_licences_become_licence_details() -> None:
    skus = [sku("SPE_E5", 5, 1, "MCOEV", "TEAMS1")]
    user = {"assignedLicenses": [{"skuId": "id-SPE_E5", "disabledPlans": ["p-MCOEV"]}, {"skuId": "unknown", "disabledPlans": []}]}
    details = licence_details_from_assigned(user, {"value": skus})
    assert details[0]["skuPartNumber"] == "SPE_E5"
    assert [(p["servicePlanName"], p["provisioningStatus"]) for p in details[0]["servicePlans"]] == [("MCOEV", "Disabled"), ("TEAMS1", "Success")]
    assert details[1] == {"skuId": "unknown", "skuPartNumber": "unknown", "servicePlans": []}
    assert evaluate_licences(skus, {"x": details}).people[0].status == "disabled"


def test_report_and_settings_modules_import_no_sdk() -> None:
    """Cards render a LicensingReport: these modules must stay free of aiohttp, msal and the bot SDK."""
    code = (
        "import importlib, json, sys\n"
        "for name in ('bot.graph', 'bot.graph.licensing', 'bot.graph.settings', 'bot.graph.errors'): importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout)
    forbidden = ("botbuilder", "botframework", "aiohttp", "azure", "msrest", "msal", "requests", "yarl")
    assert sorted(m for m in loaded if m.split(".")[0] in forbidden) == []
