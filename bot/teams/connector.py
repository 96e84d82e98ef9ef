"""The one path to the Bot Connector: the HTTP session, the cached clients and the outbound
credentials that every call from the bot to Teams goes through.

Two kinds of call use it. botbuilder's ConnectorClient (replies in a turn, TeamsInfo, opening a
1:1 chat) comes from `BotConnector.connector_factory` or `reusing`, cached and pointed at the
session (bot/teams/connector_http.py). Proactive sends and card updates are plain REST calls
(`BotConnector.request`, bot/teams/messenger.py) on the same session, signed with the
credentials of the same cached client. Both ask for the Authorization header through one
`CredentialHeaders`.

botbuilder 4.17.1 builds a new ConnectorClient and UserTokenClient for every turn, incoming or
proactive: each costs about 3 ms of CPU (msrest's retry policy set-up) and its own HTTP
session. They hold nothing turn-specific, so one per (app, service URL, audience) is reused
(tests/bench, docs/performance.md).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import aiohttp
from botframework.connector.auth import (
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)
from msrest.exceptions import ClientRequestError
from yarl import URL

from bot.teams.connector_http import DEFAULT_TIMEOUT, SigningTarget, use_aiohttp

CLIENT_CACHE_CAPACITY = 64  # Teams uses a handful of service URLs (one per region)
CONNECTOR_CONNECTIONS = 100  # open connections to the Bot Connector at once, all service URLs together
MAX_KEPT_CREDENTIALS = 256  # one per cached connector client (at most CLIENT_CACHE_CAPACITY of those)


class CredentialHeaders:
    """The Authorization header botbuilder's credentials give, fetched off the event loop and
    kept for a short while. `signed_session` asks MSAL synchronously; on a cache miss (about
    once an hour per credential) that is an HTTPS round trip to Entra ID, which would stall
    every conversation the bot is in. MSAL hands out tokens with at least five minutes left, so
    a header kept for two minutes is never stale."""

    def __init__(self, ttl: float = 120.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._kept: dict[int, tuple[Any, dict[str, str], float]] = {}

    async def of(self, credentials: Any) -> dict[str, str]:
        if not credentials:
            return {}
        kept = self._kept.get(id(credentials))
        now = self.clock()
        if kept is not None and kept[0] is credentials and now - kept[2] < self.ttl:
            return kept[1]
        signing = SigningTarget()
        await asyncio.to_thread(credentials.signed_session, signing)  # sets Authorization, or none when anonymous
        if len(self._kept) >= MAX_KEPT_CREDENTIALS:
            self._kept.clear()
        self._kept[id(credentials)] = (credentials, dict(signing.headers), now)
        return dict(signing.headers)


class ClientCache:
    """At most `capacity` clients, least recently used dropped first: keys include the
    activity's service URL, which an anonymous (local) caller chooses freely."""

    def __init__(self, capacity: int = CLIENT_CACHE_CAPACITY) -> None:
        self.capacity = capacity
        self._clients: OrderedDict[tuple[Any, ...], Any] = OrderedDict()

    def get(self, key: tuple[Any, ...]) -> Any:
        client = self._clients.get(key)
        if client is not None:
            self._clients.move_to_end(key)
        return client

    def put(self, key: tuple[Any, ...], client: Any) -> None:
        self._clients[key] = client
        self._clients.move_to_end(key)
        while len(self._clients) > self.capacity:
            self._clients.popitem(last=False)

    def __len__(self) -> int:
        return len(self._clients)


def _identity_key(claims_identity: ClaimsIdentity) -> tuple[Any, ...]:
    claims = getattr(claims_identity, "claims", None) or {}
    return tuple(claims.get(name) for name in ("aud", "azp", "appid", "ver"))


class _CachingConnectorFactory(ConnectorFactory):
    def __init__(self, inner: ConnectorFactory, identity: tuple[Any, ...], connector: BotConnector) -> None:
        self._inner = inner
        self._identity = identity
        self._connector = connector

    async def create(self, service_url: str, audience: str | None = None) -> Any:
        return await self._connector._client(self._inner, self._identity, service_url, audience)


class BotConnector:
    """Owns the session, the client caches and the credential headers for one app.

    `outbound` is botbuilder's own authentication: it builds the clients and their credentials
    (through its credentials factory); this class caches them and sends what they send."""

    def __init__(self, outbound: BotFrameworkAuthentication, *, app_id: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        self._outbound = outbound
        self.app_id = app_id
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._connectors = ClientCache()
        self._token_clients = ClientCache()
        self._session: aiohttp.ClientSession | None = None
        self.credential_headers = CredentialHeaders()

    def http_session(self) -> aiohttp.ClientSession:
        """The HTTP session every connector call is sent on (made in the running loop)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONNECTOR_CONNECTIONS))
        return self._session

    async def close(self) -> None:
        # The cached clients send on this session: drop them with it, so nothing reuses a closed one.
        self._connectors = ClientCache()
        self._token_clients = ClientCache()
        if self._session is not None and not self._session.closed:
            await self._session.close()

    # -- botbuilder's clients ----------------------------------------------------------------
    def connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        """botbuilder's connector factory for `claims_identity`, its clients cached."""
        return self.reusing(self._outbound.create_connector_factory(claims_identity), claims_identity)

    def reusing(self, factory: ConnectorFactory, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        """`factory` (an incoming turn's, from botbuilder's validation) with its clients cached."""
        return _CachingConnectorFactory(factory, _identity_key(claims_identity), self)

    async def _client(self, factory: ConnectorFactory, identity: tuple[Any, ...], service_url: str,
                      audience: str | None) -> Any:
        key = (*identity, service_url, audience)
        client = self._connectors.get(key)
        if client is None:
            client = use_aiohttp(await factory.create(service_url, audience), self.http_session(), self.credential_headers)
            self._connectors.put(key, client)
        return client

    async def user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        key = _identity_key(claims_identity)
        client: UserTokenClient | None = self._token_clients.get(key)
        if client is None:
            client = await self._outbound.create_user_token_client(claims_identity)
            self._token_clients.put(key, client)
        return client

    # -- REST calls ----------------------------------------------------------------------------
    async def request(self, method: str, service_url: str, path: str, body: bytes) -> tuple[int, str | None, bytes]:
        """One JSON call to `service_url` + `path` (quoted already), signed as this bot's
        proactive connector client would sign it: the status, the Retry-After header and the
        body. A network failure or timeout raises ClientRequestError, as on botbuilder's clients."""
        client = await self._proactive_client(service_url)
        headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json",
                   **await self.credential_headers.of(client.config.credentials)}
        url = f"{service_url.rstrip('/')}{path}"
        try:
            # encoded=True: the path is sent as quoted (as botbuilder's client sends it); yarl
            # would otherwise unquote ':', '@' and ';' in Teams conversation ids.
            async with self.http_session().request(method, URL(url, encoded=True), data=body, headers=headers,
                                                   timeout=self.timeout) as answer:
                raw = await answer.read()
                return answer.status, answer.headers.get("Retry-After"), raw
        except (TimeoutError, aiohttp.ClientError) as error:
            raise ClientRequestError(f"{type(error).__name__} calling the Bot Connector") from error

    async def _proactive_client(self, service_url: str) -> Any:
        """The (cached) connector client botbuilder would build for a proactive turn of this bot."""
        identity = ClaimsIdentity({AuthenticationConstants.AUDIENCE_CLAIM: self.app_id,
                                   AuthenticationConstants.APP_ID_CLAIM: self.app_id}, True)
        return await self.connector_factory(identity).create(service_url, self._outbound.get_originating_audience())
