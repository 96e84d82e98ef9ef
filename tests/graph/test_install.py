"""Reaching a user: install the bot for them through Graph and get the 1:1 chat to send to."""

from __future__ import annotations

import pytest

from bot.graph.client import GraphClient
from bot.graph.errors import AppNotInCatalog, GraphConsentMissing, GraphNotFound
from bot.graph.settings import GraphSettings
from tests.graph.conftest import APP_ID, FAST, TENANT_A
from tests.graph.standin import GraphStandIn, User

pytestmark = pytest.mark.graph
CAM = "aaaaaaaa-0000-0000-0000-000000000002"
GIL = "aaaaaaaa-0000-0000-0000-000000000003"


def customer(standin: GraphStandIn, **kwargs: object) -> None:
    standin.tenant(TENANT_A, users={CAM: User("Cam Customer"), GIL: User("Gil Admin")}, catalog={APP_ID}, **kwargs)  # type: ignore[arg-type]


async def test_fresh_installation_returns_the_chat(standin: GraphStandIn, graph: GraphClient) -> None:
    customer(standin)
    chat_id = await graph.install_and_open_chat(TENANT_A, CAM)
    assert chat_id == f"19:{CAM}_bot@unq.gbl.spaces"
    installation = standin.tenants[TENANT_A].installations[CAM]
    assert installation["appId"] == APP_ID
    assert [(s.method, s.path) for s in standin.graph] == [
        ("POST", f"/users/{CAM}/teamwork/installedApps"),
        ("GET", f"/users/{CAM}/teamwork/installedApps"),
        ("GET", f"/users/{CAM}/teamwork/installedApps/{installation['id']}/chat"),
    ]
    lookup = standin.graph[1].query
    assert lookup == {"$expand": "teamsApp", "$filter": f"teamsApp/id eq '{APP_ID}'"}


async def test_already_installed_409_is_looked_up(standin: GraphStandIn, graph: GraphClient) -> None:
    customer(standin)
    first = await graph.install_and_open_chat(TENANT_A, CAM)
    standin.graph.clear()
    again = await graph.install_and_open_chat(TENANT_A, CAM)
    assert again == first
    assert len(standin.requests_to("/installedApps$", "POST")) == 1, "409 Conflict is not retried"
    assert len(standin.tenants[TENANT_A].installations) == 1


async def test_new_installation_listed_late_is_waited_for(standin: GraphStandIn, graph: GraphClient) -> None:
    customer(standin, hide_new_installations=2)
    assert await graph.install_and_open_chat(TENANT_A, GIL) == f"19:{GIL}_bot@unq.gbl.spaces"
    assert len(standin.requests_to("/installedApps$", "GET")) == 3


async def test_app_not_in_catalog(standin: GraphStandIn, graph: GraphClient) -> None:
    standin.tenant(TENANT_A, users={CAM: User("Cam Customer")}, catalog=set())
    with pytest.raises(AppNotInCatalog) as missing:
        await graph.install_and_open_chat(TENANT_A, CAM)
    assert missing.value.status == 404
    assert len(standin.graph) == 1, "404 is final: no retry, no lookup"


async def test_unknown_user_is_not_blamed_on_the_catalog(standin: GraphStandIn, graph: GraphClient) -> None:
    customer(standin)
    with pytest.raises(GraphNotFound) as missing:
        await graph.install_and_open_chat(TENANT_A, "aaaaaaaa-0000-0000-0000-00000000dead")
    assert not isinstance(missing.value, AppNotInCatalog)


async def test_install_without_consent_403(standin: GraphStandIn, graph: GraphClient) -> None:
    customer(standin, denied={"install"})
    with pytest.raises(GraphConsentMissing) as refused:
        await graph.install_and_open_chat(TENANT_A, CAM)
    assert refused.value.status == 403 and refused.value.code == "Forbidden"
    assert len(standin.graph) == 1, "403 is final: not retried"


async def test_no_teams_app_id_configured(standin: GraphStandIn, settings: GraphSettings) -> None:
    customer(standin)
    unset = GraphSettings(**{**{f: getattr(settings, f) for f in settings.__dataclass_fields__}, "teams_app_id": None})
    async with GraphClient(unset, policy=FAST) as graph:
        with pytest.raises(AppNotInCatalog) as missing:
            await graph.install_and_open_chat(TENANT_A, CAM)
    assert missing.value.code == "not_configured"
    assert standin.graph == [] and standin.token_requests == []


async def test_per_tenant_catalog_id_overrides_the_default(standin: GraphStandIn, graph: GraphClient) -> None:
    tenant_catalog_id = "88888888-0000-4000-8000-000000000001"
    standin.tenant(TENANT_A, users={CAM: User("Cam Customer")}, catalog={tenant_catalog_id})
    with pytest.raises(AppNotInCatalog):
        await graph.install_and_open_chat(TENANT_A, CAM)
    assert await graph.install_and_open_chat(TENANT_A, CAM, teams_app_id=tenant_catalog_id) == f"19:{CAM}_bot@unq.gbl.spaces"
