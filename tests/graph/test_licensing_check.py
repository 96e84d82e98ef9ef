"""The Cloud Voice licensing check through Graph: a tenant with and without the licences."""

from __future__ import annotations

import pytest

from bot.graph.client import GraphClient
from tests.graph.conftest import CLIENT_ID, TENANT_A, TENANT_B
from tests.graph.standin import GraphStandIn, User

pytestmark = pytest.mark.graph
CAM, ANA, LOBBY, AA = (f"aaaaaaaa-0000-0000-0000-00000000000{i}" for i in range(1, 5))
GIL, EVA, KITCHEN, CQ = (f"bbbbbbbb-0000-0000-0000-00000000000{i}" for i in range(1, 5))


def licensed_tenant(standin: GraphStandIn) -> None:
    standin.tenant(TENANT_A, purchased={"MCOEV": (10, 4), "SPE_E5": (20, 19), "O365_BUSINESS_PREMIUM": (30, 30),
                                        "MCOCAP": (3, 1), "PHONESYSTEM_VIRTUALUSER": (5, 2)}, users={
        CAM: User("Cam", [("O365_BUSINESS_PREMIUM", ()), ("MCOEV", ())]),
        ANA: User("Ana", [("SPE_E5", ())]),
        LOBBY: User("Lobby phone", [("MCOCAP", ())]),
        AA: User("Main line AA", [("PHONESYSTEM_VIRTUALUSER", ())]),
    })


def unlicensed_tenant(standin: GraphStandIn) -> None:
    standin.tenant(TENANT_B, purchased={"ENTERPRISEPACK": (50, 12), "SPE_E5": (2, 2)}, users={
        GIL: User("Gil", [("ENTERPRISEPACK", ())]),
        EVA: User("Eva", [("SPE_E5", ("MCOEV",))]),
        KITCHEN: User("Kitchen phone", []),
        CQ: User("Support queue", []),
    })


async def test_tenant_with_the_licences(standin: GraphStandIn, graph: GraphClient) -> None:
    licensed_tenant(standin)
    report = await graph.check_licensing(TENANT_A, [CAM, ANA], [LOBBY], [AA])
    assert report.checked and report.ok
    assert (report.phone_available, report.shared_device_available, report.resource_account_available) == (7, 2, 3)
    assert report.lines("en") == [
        "Teams Phone Standard or E5/A5: 7 available",
        "Cam: Teams Phone Standard ✓",
        "Ana: Teams Phone ✓ (Microsoft 365 E5)",
        "Shared device licences: 2 available",
        "Lobby phone: shared device licence ✓",
        "Resource account licences: 3 available",
        "Main line AA: Teams Phone Resource Account ✓",
    ]
    assert report.lines_for_task("cloud_voice_teams:licensing.shared_device", "es") == [
        "Licencias de dispositivo compartido: 2 disponibles",
        "Lobby phone: licencia de dispositivo compartido ✓",
    ]
    assert {s.tenant for s in standin.graph} == {TENANT_A}
    assert len(standin.requests_to("/licenseDetails$")) == 4


async def test_tenant_without_the_licences(standin: GraphStandIn, graph: GraphClient) -> None:
    unlicensed_tenant(standin)
    report = await graph.check_licensing(TENANT_B, [GIL, EVA], [KITCHEN], [CQ], names={GIL: "Gil G."})
    assert report.checked and report.ok is False
    assert [p.user_id for p in report.missing()] == [GIL, EVA, KITCHEN, CQ]
    assert report.lines("en") == [
        "Teams Phone Standard or E5/A5: 0 available",
        "Gil G.: missing Teams Phone Standard or E5/A5",
        "Eva: Teams Phone is turned off in their Microsoft 365 E5 licence",
        "Shared device licences: none in the tenant",
        "Kitchen phone: missing a shared device licence",
        "Resource account licences: none in the tenant",
        "Support queue: missing the Teams Phone Resource Account licence (free)",
    ]
    assert report.lines("es", "users") == [
        "Teams Phone Standard o E5/A5: 0 disponibles",
        "Gil G.: falta Teams Phone Standard o E5/A5",
        "Eva: Teams Phone está desactivado en su licencia Microsoft 365 E5",
    ]
    assert report.section_ok("users") is False
    names_fetched = [s for s in standin.graph if s.path == f"/users/{GIL}"]
    assert names_fetched == [], "a name given by the caller is not fetched"


async def test_licence_check_without_consent(standin: GraphStandIn, graph: GraphClient) -> None:
    licensed_tenant(standin)
    standin.tenants[TENANT_A].denied.add("directory")
    report = await graph.check_licensing(TENANT_A, [CAM])
    assert not report.checked and report.reason == "consent" and not report.retryable
    assert report.ok is None and report.section_ok("users") is None
    assert report.lines("en") == [
        "Licences not checked: consent needed (a customer admin must grant the app access)",
        f"Admin consent: https://127.0.0.1:{standin.port}/{TENANT_A}/adminconsent?client_id={CLIENT_ID}",
    ]
    assert report.lines("es")[0].startswith("Licencias no comprobadas: falta el consentimiento")
    assert len(standin.graph) == 1, "403 is not retried"


async def test_licence_check_when_token_consent_missing(standin: GraphStandIn, graph: GraphClient) -> None:
    standin.tenant(TENANT_A, token_error={"error": "invalid_grant", "error_codes": [65001],
                                          "error_description": "AADSTS65001: not consented"})
    report = await graph.check_licensing(TENANT_A, [CAM])
    assert report.reason == "consent" and standin.graph == []


async def test_licence_details_refused_falls_back_to_assigned_licences(standin: GraphStandIn, graph: GraphClient) -> None:
    unlicensed_tenant(standin)
    standin.tenants[TENANT_B].denied.add("licenseDetails")
    report = await graph.check_licensing(TENANT_B, [GIL, EVA], [KITCHEN], [CQ], names={GIL: "Gil G."})
    assert [(p.name, p.status, p.via) for p in report.people] == [
        ("Gil G.", "missing", None), ("Eva", "disabled", "SPE_E5"), ("Kitchen phone", "missing", None), ("Support queue", "missing", None)]
    assert len(standin.requests_to("/licenseDetails$")) == 1, "after one refusal the tenant goes straight to assignedLicenses"
    licensed_tenant(standin)
    standin.tenants[TENANT_A].denied.add("licenseDetails")
    assert (await graph.check_licensing(TENANT_A, [CAM, ANA], [LOBBY], [AA])).ok


async def test_unknown_user_and_throttled_check(standin: GraphStandIn, graph: GraphClient) -> None:
    licensed_tenant(standin)
    report = await graph.check_licensing(TENANT_A, [CAM, "cccccccc-0000-0000-0000-000000000000"])
    assert report.lines("en", "users")[-1] == "cccccccc-0000-0000-0000-000000000000: not found in the tenant"
    standin.fail("GET", "/licenseDetails$", 429, retry_after="0", times=100)
    throttled = await graph.check_licensing(TENANT_A, [CAM])
    assert throttled.reason == "throttled" and throttled.retryable
    assert throttled.lines("en") == ["Licences not checked: Microsoft Graph asked us to wait; will try again"]


async def test_tenant_totals_without_a_user_list(standin: GraphStandIn, graph: GraphClient) -> None:
    licensed_tenant(standin)
    report = await graph.check_licensing(TENANT_A, [])
    assert report.lines("en") == ["Teams Phone Standard or E5/A5: 7 available", "Shared device licences: 2 available",
                                  "Resource account licences: 3 available"]
    assert len(standin.graph) == 1, "only /subscribedSkus"


async def test_user_principal_names_work_as_ids(standin: GraphStandIn, graph: GraphClient) -> None:
    standin.tenant(TENANT_A, purchased={"MCOEV": (1, 1)}, users={"cam@contoso.com": User("Cam", [("MCOEV", ())])})
    report = await graph.check_licensing(TENANT_A, ["cam@contoso.com"])
    assert report.lines("en", "users")[1] == "Cam: Teams Phone Standard ✓"
