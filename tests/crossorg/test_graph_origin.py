"""With Microsoft Graph configured, a PM working as a guest links by typing `link` in the guest
chat: the directory's `originTenantInfo` (Graph beta) names their home identity, and only a
guest whose home identity is staff is linked. Graph runs as a local HTTPS stand-in that also
answers `/beta/users/{id}` the way Graph does for guests and members."""

from __future__ import annotations

import ssl
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.config import Settings
from bot.storage.contract import user_key
from tests.crossorg.conftest import CAM, CUSTOMER_MEMBERS, CUSTOMER_TEAM, CUSTOMER_TENANT, GUESTS, OTHER_GUEST, PM_GUEST, PROVIDER_MEMBERS, last_answer, say
from tests.crossorg.flows import create_in, values
from tests.graph.conftest import APP_ID, CLIENT_ID, SECRET
from tests.graph.standin import GraphStandIn, Seen, make_certificate
from tests.support.teams_activities import personal
from tests.teams.conftest import PM, TENANT, Harness, harness_env, running_harness

pytestmark = pytest.mark.crossorg
ELSEWHERE = "55555555-5555-5555-5555-555555555555"


class BetaGraph(GraphStandIn):
    """The Graph stand-in plus `GET /beta/users/{id}` with `originTenantInfo` for guests."""

    origins: dict[tuple[str, str], tuple[str, str]]

    async def start(self) -> None:
        self.origins = {}
        app = web.Application()
        app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", self._discovery)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        app.router.add_get("/beta/users/{user}", self._beta_user)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_path, self.key_path)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def _beta_user(self, request: web.Request) -> web.Response:
        auth = request.headers.get("Authorization", "")
        tenant = self.tokens.get(auth.removeprefix("Bearer "))
        user = request.match_info["user"]
        self.graph.append(Seen(request.method, f"/beta/users/{user}", dict(request.query), tenant, time.monotonic()))
        if tenant is None:
            return web.json_response({"error": {"code": "InvalidAuthenticationToken"}}, status=401)
        origin = self.origins.get((tenant, user))
        if origin is None:
            return web.json_response({"id": user, "userType": "Member"})
        return web.json_response({"id": user, "userType": "Guest",
                                  "originTenantInfo": {"originTenantId": origin[0], "originUserId": origin[1]}})


@pytest.fixture
async def graph_harness(tmp_path: Path) -> AsyncIterator[tuple[Harness, BetaGraph]]:
    cert, key, _ = make_certificate(tmp_path / "tls")
    graph = BetaGraph(cert, key, client_id=CLIENT_ID, client_secret=SECRET)
    await graph.start()
    graph.tenant(CUSTOMER_TENANT, catalog={APP_ID})
    graph.origins[(CUSTOMER_TENANT, PM_GUEST.aad_object_id)] = (TENANT, PM.aad_object_id)
    graph.origins[(CUSTOMER_TENANT, OTHER_GUEST.aad_object_id)] = (ELSEWHERE, "eeeeeeee-0000-0000-0000-0000000000ff")
    settings = Settings.from_env(harness_env(
        tmp_path, GRAPH_CLIENT_ID=CLIENT_ID, GRAPH_CLIENT_SECRET=SECRET, GRAPH_ENDPOINT=graph.base,
        GRAPH_AUTHORITY_HOST=f"127.0.0.1:{graph.port}", TEAMS_APP_ID=APP_ID, GRAPH_CA_BUNDLE=str(cert)))
    try:
        async with running_harness(settings) as running:
            running.standin.set_roster([*PROVIDER_MEMBERS, *CUSTOMER_MEMBERS, *GUESTS])
            running.standin.set_roster([*CUSTOMER_MEMBERS, *GUESTS], conversation_id=CUSTOMER_TEAM.id)
            yield running, graph
    finally:
        await graph.stop()


async def test_a_guest_whose_home_identity_is_staff_links_through_the_directory(graph_harness: tuple[Harness, BetaGraph]) -> None:
    harness, graph = graph_harness
    await harness.post(say(PM_GUEST, personal(PM_GUEST), "link", harness))
    assert "Done: here you act as" in last_answer(harness, personal(PM_GUEST).id)
    assert graph.requests_to(r"/beta/users/") and graph.requests_to(r"/beta/users/")[0].tenant == CUSTOMER_TENANT
    project = await create_in(harness, CUSTOMER_TEAM, PM_GUEST, values(provider_roles=False))
    pm = project.person(PM.aad_object_id)
    assert pm is not None and pm.tenant_id == TENANT


async def test_a_guest_from_elsewhere_or_a_member_is_not_linked_through_the_directory(graph_harness: tuple[Harness, BetaGraph]) -> None:
    harness, _ = graph_harness
    for user in (OTHER_GUEST, CAM):
        await harness.post(say(user, personal(user), "link", harness))
        assert "can ask for a link code" in last_answer(harness, personal(user).id)
        link = await harness.runtime.store.read_document(user_key("staff-link", CUSTOMER_TENANT, user.aad_object_id))
        assert link is None
