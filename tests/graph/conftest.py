"""Fixtures for the Graph tests: a local HTTPS stand-in for Entra ID and Microsoft Graph, and
a guard that fails any attempt to reach anything but the loopback interface."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.graph.client import GraphClient, GraphRetryPolicy
from bot.graph.settings import GraphSettings
from tests.graph.standin import GraphStandIn, make_certificate

TENANT_A = "11111111-1111-1111-1111-111111111111"
TENANT_B = "22222222-2222-2222-2222-222222222222"
CLIENT_ID = "99999999-aaaa-4bbb-8ccc-000000000001"
SECRET = "stand-in-secret-Zq8RkX2v"
APP_ID = "77777777-0000-4000-8000-000000000042"  # the bot's id in the org app catalog
FAST = GraphRetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05, max_retry_after=5.0, settle_attempts=4, settle_delay=0.01)
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests must not touch the network: only loopback names resolve, only loopback connects."""
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in _LOOPBACK:
            raise OSError(f"network access to {name!r} attempted in a Graph test")
        return real_getaddrinfo(host, *args, **kwargs)

    def check(address: Any) -> None:
        if isinstance(address, tuple) and address[0] not in _LOOPBACK:
            raise OSError(f"connection to {address[0]!r} attempted in a Graph test")

    def connect(self: socket.socket, address: Any) -> None:
        check(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    yield


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    cert, key, _ = make_certificate(tmp_path_factory.mktemp("standin-tls"))
    return cert, key


@pytest.fixture
async def standin(tls: tuple[Path, Path]) -> AsyncIterator[GraphStandIn]:
    server = GraphStandIn(*tls, client_id=CLIENT_ID, client_secret=SECRET)
    await server.start()
    yield server
    await server.stop()


def env_for(standin: GraphStandIn, cert: Path, **extra: str) -> dict[str, str]:
    return {
        "MicrosoftAppId": CLIENT_ID,
        "MicrosoftAppPassword": SECRET,
        "GRAPH_ENDPOINT": standin.base,
        "GRAPH_AUTHORITY_HOST": f"127.0.0.1:{standin.port}",
        "TEAMS_APP_ID": APP_ID,
        "GRAPH_CA_BUNDLE": str(cert),
        **extra,
    }


@pytest.fixture
def settings(standin: GraphStandIn, tls: tuple[Path, Path]) -> GraphSettings:
    settings = GraphSettings.from_env(env_for(standin, tls[0]))
    assert settings is not None
    return settings


@pytest.fixture
async def graph(settings: GraphSettings) -> AsyncIterator[GraphClient]:
    async with GraphClient(settings, policy=FAST) as client:
        yield client
