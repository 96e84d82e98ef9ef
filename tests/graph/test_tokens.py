"""App-only tokens through the real msal client against the local Entra ID stand-in."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.graph.client import GraphClient
from bot.graph.errors import GraphConsentMissing, GraphCredentialsInvalid, GraphNotFound
from bot.graph.settings import GraphConfigError, GraphSettings
from bot.graph.tokens import TokenProvider
from tests.graph.conftest import CLIENT_ID, FAST, SECRET, TENANT_A, TENANT_B, env_for
from tests.graph.standin import GraphStandIn, make_certificate

pytestmark = pytest.mark.graph


async def test_one_token_per_tenant_cached_by_msal(standin: GraphStandIn, graph: GraphClient) -> None:
    standin.tenant(TENANT_A, purchased={"MCOEV": (5, 1)})
    standin.tenant(TENANT_B, purchased={"SPE_E5": (10, 10)})

    first = await graph.request("GET", TENANT_A, "/subscribedSkus")
    second = await graph.request("GET", TENANT_A, "/subscribedSkus")
    assert first.body == second.body
    assert standin.tokens_for(TENANT_A) == 1, "the second call must reuse msal's cached token"
    assert standin.discovery_requests == [TENANT_A], "msal discovers the tenant once (instance discovery off)"

    other = await graph.request("GET", TENANT_B, "/subscribedSkus")
    assert [s["skuPartNumber"] for s in other.body["value"]] == ["SPE_E5"]
    assert standin.tokens_for(TENANT_B) == 1 and standin.tokens_for(TENANT_A) == 1
    assert [s.tenant for s in standin.graph] == [TENANT_A, TENANT_A, TENANT_B], "each call carried its own tenant's token"
    assert {r["scope"] for r in standin.token_requests} == {f"{standin.base}/.default"}
    assert {r["grant_type"] for r in standin.token_requests} == {"client_credentials"}


async def test_concurrent_first_calls_fetch_one_token(standin: GraphStandIn, graph: GraphClient) -> None:
    import asyncio

    standin.tenant(TENANT_A, purchased={"MCOEV": (5, 1)})
    await asyncio.gather(*(graph.request("GET", TENANT_A, "/subscribedSkus") for _ in range(5)))
    assert standin.tokens_for(TENANT_A) == 1


async def test_tokens_and_secret_never_logged(standin: GraphStandIn, graph: GraphClient, caplog: pytest.LogCaptureFixture) -> None:
    standin.tenant(TENANT_A, purchased={"MCOEV": (5, 1)})
    standin.tenant(TENANT_B, token_error={"error": "invalid_grant", "error_codes": [65001],
                                          "error_description": "AADSTS65001: The user or administrator has not consented."})
    caplog.set_level(logging.DEBUG)  # root: msal, urllib3, aiohttp and ours
    await graph.request("GET", TENANT_A, "/subscribedSkus")
    standin.revoke_tokens()  # 401 -> the client drops msal's cached token and fetches another
    await graph.request("GET", TENANT_A, "/subscribedSkus")
    with pytest.raises(GraphConsentMissing) as refused:
        await graph.request("GET", TENANT_B, "/subscribedSkus")
    issued = [r for r in standin.token_requests if r["tenant"] == TENANT_A]
    assert len(issued) == 2
    assert caplog.records, "DEBUG logging was captured"
    secrets_seen = [SECRET, *standin.tokens]
    assert standin.tokens, "the stand-in issued tokens"
    for secret in secrets_seen:
        assert secret not in caplog.text
        assert secret not in str(refused.value) and secret not in repr(refused.value)
    assert SECRET not in repr(graph.settings)


@pytest.mark.parametrize(("code", "error"), [(65001, "invalid_grant"), (7000229, "invalid_client")])
async def test_token_consent_errors(standin: GraphStandIn, graph: GraphClient, code: int, error: str) -> None:
    standin.tenant(TENANT_A, token_error={"error": error, "error_codes": [code],
                                          "error_description": f"AADSTS{code}: consent missing in the stand-in."})
    with pytest.raises(GraphConsentMissing) as refused:
        await graph.request("GET", TENANT_A, "/subscribedSkus")
    assert refused.value.code == f"AADSTS{code}"
    assert standin.graph == [], "no Graph call without a token"
    with pytest.raises(GraphConsentMissing):
        await graph.install_and_open_chat(TENANT_A, "aaaaaaaa-0000-0000-0000-000000000001")


async def test_unknown_tenant_and_wrong_secret(standin: GraphStandIn, settings: GraphSettings) -> None:
    async with GraphClient(settings, policy=FAST) as graph:
        with pytest.raises(GraphNotFound):
            await graph.request("GET", "33333333-3333-3333-3333-333333333333", "/subscribedSkus")
    standin.tenant(TENANT_A)
    wrong = GraphSettings(**{**{f: getattr(settings, f) for f in settings.__dataclass_fields__}, "client_secret": "wrong"})
    async with GraphClient(wrong, policy=FAST) as graph:
        with pytest.raises(GraphCredentialsInvalid) as refused:
            await graph.request("GET", TENANT_A, "/subscribedSkus")
    assert refused.value.code == "AADSTS7000215"


async def test_certificate_credential(tls: tuple[Path, Path], tmp_path: Path) -> None:
    client_cert, _, both = make_certificate(tmp_path / "client", rsa_key=True, name="activation-bot")
    standin = GraphStandIn(*tls, client_id=CLIENT_ID, client_certificate=client_cert)
    await standin.start()
    try:
        standin.tenant(TENANT_A, purchased={"MCOEV": (5, 1)})
        env = env_for(standin, tls[0], GRAPH_CERTIFICATE_PATH=both)
        del env["MicrosoftAppPassword"]
        settings = GraphSettings.from_env(env)
        assert settings is not None and settings.client_secret is None
        tokens = TokenProvider(settings)
        assert await tokens.token(TENANT_A) == await tokens.token(TENANT_A)
        assert standin.tokens_for(TENANT_A) == 1
        header = standin.assertion_headers[0]
        assert header["alg"] == "PS256" and "x5t#S256" in header, "msal signs with the certificate, SHA-256 thumbprint"
    finally:
        await standin.stop()


def test_settings_from_env(tmp_path: Path) -> None:
    assert GraphSettings.from_env({}) is None
    assert GraphSettings.from_env({"MicrosoftAppId": CLIENT_ID}) is None, "the bot's id without a secret (managed identity): Graph off"
    settings = GraphSettings.from_env({"MicrosoftAppId": CLIENT_ID, "MicrosoftAppPassword": SECRET})
    assert settings is not None
    assert (settings.endpoint, settings.authority_host, settings.client_id, settings.client_secret, settings.verify) == (
        "https://graph.microsoft.com", "login.microsoftonline.com", CLIENT_ID, SECRET, True)
    assert settings.authority(TENANT_A) == f"https://login.microsoftonline.com/{TENANT_A}"
    assert settings.scope == "https://graph.microsoft.com/.default"
    assert settings.admin_consent_url(TENANT_A) == f"https://login.microsoftonline.com/{TENANT_A}/adminconsent?client_id={CLIENT_ID}"
    other = GraphSettings.from_env({"MicrosoftAppId": CLIENT_ID, "MicrosoftAppPassword": SECRET,
                                    "GRAPH_CLIENT_ID": "12345678-1234-4234-8234-123456789012", "GRAPH_CLIENT_SECRET": "other",
                                    "GRAPH_ENDPOINT": "https://graph.microsoft.us/v1.0/", "GRAPH_AUTHORITY_HOST": "login.microsoftonline.us"})
    assert other is not None
    assert (other.client_id, other.client_secret, other.endpoint) == ("12345678-1234-4234-8234-123456789012", "other",
                                                                        "https://graph.microsoft.us")
    with pytest.raises(GraphConfigError) as bad:
        GraphSettings.from_env({"GRAPH_CLIENT_ID": "not-a-guid", "GRAPH_ENDPOINT": "http://graph", "TEAMS_APP_ID": "x",
                                "GRAPH_CA_BUNDLE": str(tmp_path / "missing.pem"), "GRAPH_CERTIFICATE_PATH": str(tmp_path / "nope.pem")})
    assert len(bad.value.problems) == 5
    with pytest.raises(GraphConfigError, match="neither GRAPH_CLIENT_SECRET"):
        GraphSettings.from_env({"GRAPH_CLIENT_ID": CLIENT_ID})
