"""App-only tokens for Microsoft Graph, one msal ConfidentialClientApplication per customer
tenant (authority https://{authority host}/{tenant}).

msal keeps each app's token cache and decides when a token must be fetched again; we never
look at expiry ourselves. msal is synchronous (requests), so every call into it, including
creating an app (which fetches the tenant's OpenID configuration), runs in a worker thread.
Tokens and secrets are never logged or put in exception messages.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from pathlib import Path
from typing import Any

import msal
import requests
import requests.adapters

from bot.graph.errors import GraphConsentMissing, GraphCredentialsInvalid, GraphError, GraphNotFound, GraphUnavailable
from bot.graph.settings import GraphSettings, is_tenant_id

log = logging.getLogger(__name__)

# Entra ID error codes (AADSTSnnnn) on the token endpoint.
CONSENT_CODES = frozenset({
    65001,     # the user or administrator has not consented to use the application
    7000229,   # the client application is missing a service principal in the tenant (never consented there)
    700016,    # application not found in the directory (not provisioned in the tenant)
    500011,    # the resource principal (Graph) was not found in the tenant
})
TENANT_NOT_FOUND_CODES = frozenset({90002, 900023, 90033})
CREDENTIAL_CODES = frozenset({7000215, 7000222, 700027, 700024, 7000274, 50012})
_AADSTS = re.compile(r"AADSTS(\d+)")
_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z ]+)-----.+?-----END \1-----", re.DOTALL)


def load_client_credential(settings: GraphSettings) -> str | dict[str, str]:
    """The client_credential msal takes: the secret, or the certificate (PEM with the private key,
    optionally the certificate itself; or a .pfx/.p12 without a password)."""
    if not settings.certificate_path:
        if not settings.client_secret:
            raise GraphCredentialsInvalid("no client secret or certificate for Microsoft Graph", code="no_credential")
        return settings.client_secret
    path = Path(settings.certificate_path)
    if path.suffix.lower() in (".pfx", ".p12"):
        return {"private_key_pfx_path": str(path)}
    text = path.read_text(encoding="utf-8")
    blocks = {m.group(1): m.group(0) for m in _PEM_BLOCK.finditer(text)}
    key = next((block for kind, block in blocks.items() if kind.endswith("PRIVATE KEY")), None)
    certificate = blocks.get("CERTIFICATE")
    if key is None:
        raise GraphCredentialsInvalid(f"{path.name} holds no private key", code="bad_certificate")
    if settings.certificate_thumbprint:
        return {"private_key": key, "thumbprint": settings.certificate_thumbprint}
    if certificate is None:
        raise GraphCredentialsInvalid(
            f"{path.name} holds no certificate: add it to the PEM or set GRAPH_CERTIFICATE_THUMBPRINT", code="bad_certificate")
    return {"private_key": key, "public_certificate": certificate}  # msal computes the thumbprint


def _codes(result: dict[str, Any]) -> set[int]:
    codes = {int(c) for c in result.get("error_codes") or [] if str(c).isdigit()}
    codes |= {int(c) for c in _AADSTS.findall(str(result.get("error_description") or ""))}
    return codes


def classify_token_error(result: dict[str, Any], tenant_id: str) -> GraphError:
    """An msal error result as one of our errors. Only codes, never the description text, go
    into the message (descriptions can echo request details)."""
    error = str(result.get("error") or "token_error")
    codes = _codes(result)
    shown = ", ".join(f"AADSTS{c}" for c in sorted(codes)) or error
    if codes & CONSENT_CODES or error == "consent_required":
        return GraphConsentMissing(f"the app has no admin consent in tenant {tenant_id} ({shown})", code=shown)
    if codes & TENANT_NOT_FOUND_CODES:
        return GraphNotFound(f"tenant {tenant_id} not found ({shown})", code=shown)
    if codes & CREDENTIAL_CODES or error in ("invalid_client", "unauthorized_client"):
        return GraphCredentialsInvalid(f"the app's credential was refused ({shown})", code=shown)
    return GraphUnavailable(f"no token for tenant {tenant_id} ({shown})", code=shown)


class TokenProvider:
    """Bearer tokens for Graph per customer tenant, cached by msal."""

    def __init__(self, settings: GraphSettings, *, timeout: float = 20.0) -> None:
        self.settings = settings
        self.timeout = timeout
        self._credential = load_client_credential(settings)
        self._apps: dict[str, msal.ConfidentialClientApplication] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def _http_client(self) -> requests.Session:
        """What msal would build, except that `verify` is passed on every request: a Session's
        own `verify` loses to REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE in the environment."""
        session = requests.Session()
        session.request = functools.partial(session.request, timeout=self.timeout, verify=self.settings.verify)  # type: ignore[method-assign]
        adapter = requests.adapters.HTTPAdapter(max_retries=1)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    def _build(self, tenant_id: str) -> msal.ConfidentialClientApplication:
        return msal.ConfidentialClientApplication(
            self.settings.client_id,
            client_credential=self._credential,
            authority=self.settings.authority(tenant_id),
            instance_discovery=False,  # never ask login.microsoftonline.com about other hosts (sovereign clouds, tests)
            http_client=self._http_client(),
            token_cache=msal.TokenCache(),
        )

    async def _app(self, tenant_id: str) -> msal.ConfidentialClientApplication:
        app = self._apps.get(tenant_id)
        if app is not None:
            return app
        try:
            app = await asyncio.to_thread(self._build, tenant_id)
        except requests.RequestException as error:
            raise GraphUnavailable(f"authority for tenant {tenant_id} unreachable ({type(error).__name__})", code="network") from None
        except ValueError as error:
            if "authority configuration" in str(error):  # msal: tenant discovery answered 4xx (unknown tenant)
                raise GraphNotFound(f"tenant {tenant_id} not found by the authority", code="tenant_not_found") from None
            raise GraphCredentialsInvalid(f"could not set up the Graph client for tenant {tenant_id} ({type(error).__name__})",
                                          code="setup") from None
        self._apps[tenant_id] = app
        return app

    async def token(self, tenant_id: str) -> str:
        """A valid access token for Graph in the tenant (from msal's cache when it has one)."""
        if not is_tenant_id(tenant_id):
            raise ValueError("tenant_id must be a GUID or a domain name")
        lock = self._locks.setdefault(tenant_id, asyncio.Lock())
        async with lock:  # one fetch per tenant at a time: concurrent callers share the cached result
            app = await self._app(tenant_id)
            try:
                result = await asyncio.to_thread(app.acquire_token_for_client, scopes=[self.settings.scope])
            except requests.RequestException as error:
                raise GraphUnavailable(f"token endpoint for tenant {tenant_id} unreachable ({type(error).__name__})",
                                       code="network") from None
            except ValueError:
                raise GraphUnavailable(f"token endpoint for tenant {tenant_id} answered something unreadable",
                                       code="bad_response") from None
        if result and "access_token" in result:
            return str(result["access_token"])
        refusal = classify_token_error(result or {}, tenant_id)
        log.warning("Graph token for tenant %s refused: %s", tenant_id, refusal.code)
        raise refusal

    async def forget(self, tenant_id: str) -> None:
        """Drop the tenant's cached token (Graph answered 401 to it)."""
        app = self._apps.get(tenant_id)
        if app is not None:
            await asyncio.to_thread(app.remove_tokens_for_client)
