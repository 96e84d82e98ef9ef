"""Security test harness: the real aiohttp app and Bot Connector stand-in of tests/teams, in
either mode (anonymous, or with an app id whose tokens come from a local OpenID metadata +
JWKS server running in its own thread), plus helpers to snapshot what the bot stored and
sent so a test can say "nothing changed, nothing leaked"."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp.test_utils import TestServer
from botframework.connector.auth import AppCredentials, PasswordServiceClientCredentialFactory
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from bot.app import RUNTIME_KEY, create_app
from bot.config import Settings
from tests.support.connector_standin import ConnectorStandIn
from tests.teams.conftest import PM, TENANT, FakeClock, Harness, no_error_logged, roster_accounts

__all__ = ["no_error_logged"]  # autouse here too: the security suite drives the same bot

APP_ID = "0b5e6b1e-7d6f-4a4e-9d0c-5a1f3e2d4c6b"
OTHER_APP_ID = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
APP_PASSWORD = "app-password-S3CR3T-do-not-log-0123456789"
OUTBOUND_TOKEN = "outbound-token-S3CR3T-do-not-log-abcdef"
ISSUER = "https://api.botframework.com"


# --------------------------------------------------------------------------- keys and tokens


@dataclass
class Signer:
    """An RSA key pair with a key id, as the Bot Framework publishes it."""

    kid: str
    private_key: rsa.RSAPrivateKey
    endorsements: tuple[str, ...] = ("msteams", "webchat", "emulator")

    @staticmethod
    def new(kid: str | None = None, endorsements: tuple[str, ...] = ("msteams", "webchat", "emulator")) -> Signer:
        return Signer(kid or f"kid-{uuid.uuid4().hex[:12]}", rsa.generate_private_key(public_exponent=65537, key_size=2048),
                      endorsements)

    def jwk(self) -> dict[str, Any]:
        public = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {**public, "kid": self.kid, "use": "sig", "x5t": self.kid, "endorsements": list(self.endorsements)}

    def token(self, service_url: str, *, algorithm: str = "RS256", kid: str | None = "same", **overrides: Any) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {"iss": ISSUER, "aud": APP_ID, "serviceurl": service_url, "nbf": now - 60,
                                  "exp": now + 3600, "iat": now - 60}
        for name, value in overrides.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        headers = {} if kid is None else {"kid": self.kid if kid == "same" else kid}
        return jwt.encode(claims, self.private_key, algorithm=algorithm, headers=headers)


class KeyServer:
    """OpenID metadata + JWKS on 127.0.0.1, served by http.server in its own thread (the bot's
    loop must stay free: botbuilder's own fetch would block it). Counts every fetch."""

    def __init__(self, *signers: Signer) -> None:
        self.signers: list[Signer] = list(signers)
        self.metadata_fetches = 0
        self.keys_fetches = 0
        self.delay = 0.0  # seconds to wait before answering the JWKS (slow key server)
        self.fail = False  # answer 503 to everything
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # http.server's name
                if server.fail:
                    self.send_error(503)
                    return
                if self.path == "/v1/.well-known/openidconfiguration":
                    server.metadata_fetches += 1
                    body: dict[str, Any] = {"issuer": ISSUER, "jwks_uri": f"{server.base}/v1/.well-known/keys",
                                            "id_token_signing_alg_values_supported": ["RS256"],
                                            "token_endpoint_auth_methods_supported": ["private_key_jwt"]}
                elif self.path == "/v1/.well-known/keys":
                    server.keys_fetches += 1
                    if server.delay:
                        time.sleep(server.delay)
                    body = {"keys": [s.jwk() for s in server.signers]}
                else:
                    self.send_error(404)
                    return
                raw = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="jwks-server", daemon=True)
        self._thread.start()

    @property
    def metadata_url(self) -> str:
        return f"{self.base}/v1/.well-known/openidconfiguration"

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


# --------------------------------------------------------------------------- outbound credentials


class OfflineCredentials(AppCredentials):
    """Outbound credentials that need no login.microsoftonline.com: a fixed dummy token."""

    def __init__(self, app_id: str) -> None:
        super().__init__(app_id=app_id)

    def get_access_token(self, force_refresh: bool = False) -> str:
        return OUTBOUND_TOKEN


class OfflineCredentialsFactory(PasswordServiceClientCredentialFactory):
    """botbuilder's password factory (so the audience check is the real one) whose outbound
    credentials work offline."""

    def __init__(self, app_id: str = APP_ID, password: str = APP_PASSWORD) -> None:
        super().__init__(app_id, password)
        self.created = 0

    async def create_credentials(self, app_id: str, oauth_scope: str, login_endpoint: str,
                                 validate_authority: bool) -> AppCredentials:
        if not await self.is_valid_app_id(app_id):
            raise PermissionError("invalid app id")
        self.created += 1
        return OfflineCredentials(app_id)


# --------------------------------------------------------------------------- harnesses


@dataclass
class SecureHarness(Harness):
    keys: KeyServer | None = None
    signer: Signer | None = None
    turns: list[str] = field(default_factory=list)  # activity ids the bot's on_turn saw

    async def post_with(self, activity: dict[str, Any], *, authorization: str | None = None,
                        token: str | None = None, settle: bool = True,
                        headers: dict[str, str] | None = None) -> tuple[int, Any]:
        sent_headers = dict(headers or {})
        if token is not None:
            sent_headers["Authorization"] = f"Bearer {token}"
        elif authorization is not None:
            sent_headers["Authorization"] = authorization
        async with self.session.post(f"{self.url}/api/messages", json=activity, headers=sent_headers) as response:
            body = await response.json() if response.content_type == "application/json" else await response.text()
            status = response.status
        if settle:
            await self.runtime.settle()
        return status, body

    async def post(self, activity: dict[str, Any], *, settle: bool = True) -> tuple[int, Any]:
        """Posts as the Bot Connector would: with a valid token when the bot has an app id."""
        if self.signer is not None:
            return await self.post_with(activity, token=self.signer.token(self.service_url), settle=settle)
        return await super().post(activity, settle=settle)


HarnessFactory = Callable[..., Awaitable[SecureHarness]]


async def open_harness(data_dir: Path, cleanups: list[Callable[[], Awaitable[None]]], *, env: dict[str, str] | None = None,
                       secure: bool = False, keys: KeyServer | None = None, signer: Signer | None = None) -> SecureHarness:
    """The app on loopback plus a connector stand-in; what to close goes on `cleanups`."""
    base = {"DATA_DIR": str(data_dir / uuid.uuid4().hex[:8]), "PM_AAD_IDS": PM.aad_object_id, "SCHEDULER": "0",
            "SEND_INTERVAL": "0"}
    factory = None
    if secure:
        if keys is None:
            signer = signer or Signer.new()
            keys = KeyServer(signer)
            cleanups.append(_async(keys.close))
        base.update({"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": APP_PASSWORD, "BOT_OPENID_METADATA_URL": keys.metadata_url,
                     "MicrosoftAppTenantId": TENANT})  # single-tenant, the default
        factory = OfflineCredentialsFactory()
    else:
        base["ALLOW_ANONYMOUS"] = "1"
    settings = Settings.from_env({**base, **(env or {})})
    clock = FakeClock(datetime(2026, 11, 26, 15, 0, tzinfo=UTC))
    standin = ConnectorStandIn(roster=roster_accounts(), default_tenant_id=TENANT)
    await standin.start()
    cleanups.append(standin.stop)
    app = create_app(settings, clock=clock, scheduler=False, credentials_factory=factory)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    cleanups.append(server.close)
    session = aiohttp.ClientSession()
    cleanups.append(session.close)
    runtime = app[RUNTIME_KEY]
    harness = SecureHarness(str(server.make_url("")).rstrip("/"), standin, runtime, clock, session,
                            keys=keys, signer=signer if secure else None)
    original = runtime.bot.on_turn

    async def counting_on_turn(turn_context: Any) -> None:
        harness.turns.append(str(turn_context.activity.id))
        await original(turn_context)

    runtime.bot.on_turn = counting_on_turn  # type: ignore[method-assign]
    return harness


@pytest.fixture
async def make_harness(tmp_path: Path) -> AsyncIterator[HarnessFactory]:
    """Builds harnesses: `await make_harness(env={...}, secure=True)`. Secure ones have an app
    id, a local key server and offline outbound credentials."""
    cleanups: list[Callable[[], Awaitable[None]]] = []

    async def build(**options: Any) -> SecureHarness:
        return await open_harness(tmp_path, cleanups, **options)

    yield build
    for cleanup in reversed(cleanups):
        await cleanup()


def _async(function: Callable[[], None]) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        function()

    return run


class LiveApp:
    """A harness on its own event loop in a thread, for synchronous tests (hypothesis):
    `live.run(coroutine_function, *args)` runs it on that loop and returns the result."""

    def __init__(self, data_dir: Path, **options: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="live-app", daemon=True)
        self._thread.start()
        self._cleanups: list[Callable[[], Awaitable[None]]] = []
        self.harness: SecureHarness = self.run(open_harness, data_dir, self._cleanups, **options)

    def run(self, function: Callable[..., Coroutine[Any, Any, Any]], *args: Any, **kwargs: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(function(*args, **kwargs), self.loop).result(timeout=60)

    def close(self) -> None:
        async def cleanup() -> None:
            for step in reversed(self._cleanups):
                await step()

        self.run(cleanup)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        self.loop.close()


@pytest.fixture
async def anon(make_harness: HarnessFactory) -> SecureHarness:
    return await make_harness()


# --------------------------------------------------------------------------- snapshots


async def project_snapshot(harness: Harness, project_id: str) -> tuple[str, list[str]]:
    """The stored project document and its events, serialised, for before/after comparisons."""
    current = await harness.runtime.store.load_project(project_id)
    assert current is not None
    events = await harness.runtime.store.project_events(project_id)
    return json.dumps(current.value.to_dict(), sort_keys=True, default=str), [
        json.dumps(getattr(e, "to_dict", lambda e=e: repr(e))(), sort_keys=True, default=str) for e in events
    ]


def delivered_since(harness: Harness, start: int) -> list[dict[str, Any]]:
    """Activities the bot sent to the connector after the `start`-th delivery."""
    return [r.activity or {} for r in harness.standin.delivered[start:]] + [
        r.parameters or {} for r in harness.standin.delivered[start:] if r.kind == "create_conversation"
    ]


def texts_of(value: Any) -> str:
    """Everything a person could read in a reply, card or invoke answer, as one string."""
    return json.dumps(value, ensure_ascii=False, default=str)
