"""A small async Microsoft Graph client on aiohttp, for what the bot needs:

- `install_and_open_chat(tenant_id, user_aad_id)`: install the bot's Teams app for a user
  (proactive installation) and return the 1:1 chat id to send to;
- `check_licensing(tenant_id, user_ids, ...)`: the Cloud Voice licensing check
  (bot/graph/licensing.py holds the evaluation and the report).

Every request carries an app-only bearer token for the customer's tenant (bot/graph/tokens.py).
429 and 502/503/504 are retried with capped, jittered exponential backoff, waiting exactly
Retry-After when Graph gives one; 403 and 404 are final. Failures raise the classes in
bot/graph/errors.py. Tokens are never logged.
"""

from __future__ import annotations

import asyncio
import email.utils
import json as jsonlib
import logging
import random
import re
import ssl
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
from yarl import URL

from bot.graph.errors import (
    AppNotInCatalog,
    GraphConflict,
    GraphConsentMissing,
    GraphError,
    GraphForbidden,
    GraphNotFound,
    GraphThrottled,
    GraphUnavailable,
)
from bot.graph.licensing import LicensingReport, evaluate_licences, licence_details_from_assigned
from bot.graph.settings import GraphSettings, is_guid
from bot.graph.tokens import TokenProvider

log = logging.getLogger(__name__)
RETRY_STATUSES = frozenset({429, 502, 503, 504})
_CONSENT_WORDS = re.compile(r"privilege|permission|roles?\b|consent|\bscp\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class GraphRetryPolicy:
    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0  # Graph asks for longer: give up now (GraphThrottled.retry_after) and come back later
    settle_attempts: int = 4  # a new installation or its chat can take a moment to appear
    settle_delay: float = 1.0

    def backoff(self, attempt: int) -> float:
        capped = min(self.max_delay, self.base_delay * (2 ** attempt))
        return random.uniform(capped / 2, capped)  # noqa: S311 - jitter, not security


@dataclass(frozen=True, slots=True)
class GraphResponse:
    status: int
    body: Any


def parse_retry_after(value: str | None, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now()).total_seconds())


def _error_parts(body: Any) -> tuple[str, str]:
    error = body.get("error") if isinstance(body, Mapping) else None
    if isinstance(error, Mapping):
        return str(error.get("code") or ""), str(error.get("message") or "")
    return "", ""


def classify(status: int, body: Any, what: str, retry_after: float | None = None) -> GraphError:
    """An HTTP error answer as one of our errors (the message names the request, never a token)."""
    code, detail = _error_parts(body)
    text = f"{what}: HTTP {status} {code}".strip()
    if status == 403:
        if code == "Authorization_RequestDenied" or _CONSENT_WORDS.search(detail):
            return GraphConsentMissing(text, status=status, code=code or "Forbidden", detail=detail)
        return GraphForbidden(text, status=status, code=code, detail=detail)
    if status == 404:
        return GraphNotFound(text, status=status, code=code, detail=detail)
    if status == 409:
        return GraphConflict(text, status=status, code=code, detail=detail)
    if status == 429:
        return GraphThrottled(text, status=status, code=code, detail=detail, retry_after=retry_after)
    if status >= 500 or status == 401:
        return GraphUnavailable(text, status=status, code=code, detail=detail)
    return GraphError(text, status=status, code=code, detail=detail)


def _segment(value: str) -> str:
    if not value or "/" in value or value in (".", ".."):
        raise ValueError("not a usable Graph id")
    return quote(value, safe="@")


class GraphClient:
    """One per process; holds one aiohttp session and the per-tenant token provider."""

    def __init__(self, settings: GraphSettings, *, tokens: TokenProvider | None = None,
                 policy: GraphRetryPolicy | None = None, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 timeout: float = 30.0, concurrency: int = 4) -> None:
        self.settings = settings
        self.tokens = tokens or TokenProvider(settings)
        self.policy = policy or GraphRetryPolicy()
        self.sleep = sleep
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.concurrency = concurrency
        self._session: aiohttp.ClientSession | None = None
        self._no_licence_details: set[str] = set()  # tenants where /licenseDetails is refused app-only

    async def __aenter__(self) -> GraphClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _ssl(self) -> ssl.SSLContext | bool:
        verify = self.settings.verify
        if verify is False:
            return False
        if isinstance(verify, str):
            return ssl.create_default_context(cafile=verify)
        return True

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=self._ssl(), limit=32),
                timeout=self.timeout,
                trust_env=True,  # proxies from the environment, as msal (requests) does
            )
        return self._session

    def _url(self, path: str, params: Mapping[str, str] | None) -> URL:
        if path.startswith("https://") or path.startswith("http://"):
            if not path.startswith(self.settings.endpoint + "/"):
                raise GraphUnavailable("Graph sent a link to another host; not following it", code="foreign_link")
            url = path
        else:
            url = self.settings.api_base + path
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params, quote_via=quote, safe="$'/(),")
        return URL(url, encoded=True)

    async def request(self, method: str, tenant_id: str, path: str, *, params: Mapping[str, str] | None = None,
                      json: Any = None) -> GraphResponse:
        """One Graph call with retries; returns 2xx answers, raises a GraphError for the rest."""
        url = self._url(path, params)
        what = f"{method} {path.split('?')[0]}"
        attempt = 0
        token_renewed = False
        while True:
            token = await self.tokens.token(tenant_id)
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            try:
                async with self._client().request(method, url, json=json, headers=headers) as response:
                    status = response.status
                    retry_after = parse_retry_after(response.headers.get("Retry-After"))
                    raw = await response.read()
            except (aiohttp.ClientError, TimeoutError) as error:
                log.debug("Graph %s in tenant %s: %s (attempt %d)", what, tenant_id, type(error).__name__, attempt + 1)
                if attempt + 1 >= self.policy.attempts:
                    raise GraphUnavailable(f"{what}: {type(error).__name__}", code="network") from None
                await self.sleep(self.policy.backoff(attempt))
                attempt += 1
                continue
            body = _decode(raw)
            log.debug("Graph %s in tenant %s -> %d (attempt %d)", what, tenant_id, status, attempt + 1)
            if status < 300:
                return GraphResponse(status, body)
            if status == 401 and not token_renewed:
                token_renewed = True  # a revoked or stale token: drop it from msal's cache and ask once more
                await self.tokens.forget(tenant_id)
                continue
            failure = classify(status, body, what, retry_after)
            if status not in RETRY_STATUSES:
                raise failure
            if attempt + 1 >= self.policy.attempts:
                log.warning("Graph %s in tenant %s still %d after %d attempts", what, tenant_id, status, attempt + 1)
                raise failure
            if retry_after is not None and retry_after > self.policy.max_retry_after:
                raise failure
            await self.sleep(retry_after if retry_after is not None else self.policy.backoff(attempt))
            attempt += 1

    async def get_all(self, tenant_id: str, path: str, params: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        """A collection, following @odata.nextLink."""
        items: list[dict[str, Any]] = []
        next_path: str | None = path
        next_params = params
        while next_path:
            body = (await self.request("GET", tenant_id, next_path, params=next_params)).body or {}
            items += [v for v in body.get("value", []) if isinstance(v, dict)]
            next_path, next_params = body.get("@odata.nextLink"), None
        return items

    # -- reach --------------------------------------------------------------------------------

    async def install_and_open_chat(self, tenant_id: str, user_aad_id: str, *, teams_app_id: str | None = None) -> str:
        """Install the bot's Teams app for the user (if it is not yet) and return the id of the
        user's 1:1 chat with the bot: the conversation id to send to (with the tenant's
        serviceUrl). `teams_app_id` overrides TEAMS_APP_ID for a tenant whose org catalog gave
        the app its own id. Raises GraphConsentMissing (no TeamsAppInstallation permission),
        AppNotInCatalog (the app is not in the tenant's catalog, or no app id), GraphNotFound
        (no such user), GraphThrottled or GraphUnavailable."""
        app_id = teams_app_id or self.settings.teams_app_id
        if not app_id:
            raise AppNotInCatalog("TEAMS_APP_ID is not set: cannot install the app for users", code="not_configured")
        if not is_guid(app_id):
            raise ValueError("a Teams app catalog id is a GUID")
        user = _segment(user_aad_id)
        base = f"/users/{user}/teamwork/installedApps"
        try:
            await self.request("POST", tenant_id, base, json={"teamsApp@odata.bind": f"{self.settings.api_base}/appCatalogs/teamsApps/{app_id}"})
            log.info("installed the app for user %s in tenant %s", user_aad_id, tenant_id)
        except GraphConflict:
            log.debug("the app was already installed for user %s in tenant %s", user_aad_id, tenant_id)
        except GraphNotFound as error:
            raise self._install_not_found(error, user_aad_id, app_id) from None
        installation_id = await self._settled(lambda: self._installation_id(tenant_id, base, app_id))
        chat = await self._settled(lambda: self._chat_id(tenant_id, f"{base}/{_segment(installation_id)}/chat"))
        return chat

    def _install_not_found(self, error: GraphNotFound, user_aad_id: str, app_id: str) -> GraphNotFound:
        """404 on the install: the teamsApp binding (app not in the catalog), unless Graph says the user is missing."""
        said = error.detail.lower()
        if "user" in said and "app" not in said:
            return GraphNotFound(f"user {user_aad_id} not found", status=404, code=error.code, detail=error.detail)
        return AppNotInCatalog(f"app {app_id} is not in the tenant's app catalog", status=404,
                               code=error.code, detail=error.detail)

    async def _installation_id(self, tenant_id: str, base: str, app_id: str) -> str:
        params = {"$expand": "teamsApp", "$filter": f"teamsApp/id eq '{app_id.replace(chr(39), chr(39) * 2)}'"}
        for item in await self.get_all(tenant_id, base, params):
            if (item.get("teamsApp") or {}).get("id", app_id) == app_id and item.get("id"):
                return str(item["id"])
        raise GraphNotFound("the app's installation for the user is not listed", status=404, code="installation_not_listed")

    async def _chat_id(self, tenant_id: str, path: str) -> str:
        body = (await self.request("GET", tenant_id, path)).body or {}
        if not body.get("id"):
            raise GraphNotFound("the installation has no chat yet", status=404, code="chat_not_ready")
        return str(body["id"])

    async def _settled(self, call: Callable[[], Awaitable[str]]) -> str:
        """Graph is eventually consistent: a new installation and its chat may 404 for a moment."""
        for attempt in range(self.policy.settle_attempts):
            try:
                return await call()
            except GraphNotFound:
                if attempt + 1 >= self.policy.settle_attempts:
                    raise
                await self.sleep(self.policy.settle_delay)
        raise AssertionError("unreachable")

    # -- licensing ----------------------------------------------------------------------------

    async def origin_of_guest(self, tenant_id: str, user_id: str) -> tuple[str, str] | None:
        """A guest user's home tenant and object id there (Graph beta `originTenantInfo`, which
        needs User.Read.All); None for a member, or when Graph does not say (issue 15)."""
        url = f"{self.settings.endpoint}/beta/users/{quote(user_id, safe='')}"
        answer = await self.request("GET", tenant_id, url, params={"$select": "id,userType,originTenantInfo"})
        body = answer.body if isinstance(answer.body, dict) else {}
        origin = body.get("originTenantInfo") if isinstance(body.get("originTenantInfo"), dict) else {}
        if str(body.get("userType", "")).lower() != "guest" or not origin:
            return None
        home, home_id = str(origin.get("originTenantId") or "").lower(), str(origin.get("originUserId") or "").lower()
        return (home, home_id) if is_guid(home) and is_guid(home_id) else None

    async def check_licensing(self, tenant_id: str, user_ids: Sequence[str], shared_device_user_ids: Sequence[str] = (),
                              resource_account_ids: Sequence[str] = (), *,
                              names: Mapping[str, str] | None = None) -> LicensingReport:
        """Who has what for Cloud Voice: never raises for Graph trouble; a report that could not
        be made says so (`checked=False`, `reason` consent / throttled / unavailable)."""
        ids = list(dict.fromkeys([*user_ids, *shared_device_user_ids, *resource_account_ids]))
        known = dict(names or {})
        try:
            skus = await self.get_all(tenant_id, "/subscribedSkus")
            semaphore = asyncio.Semaphore(self.concurrency)

            async def one(user_id: str) -> tuple[list[dict[str, Any]] | None, str | None]:
                async with semaphore:
                    return await self._licences_of(tenant_id, user_id, skus, need_name=user_id not in known)

            # The first person alone: it learns whether the tenant answers /licenseDetails, then the rest in parallel.
            results = list(await asyncio.gather(*(one(u) for u in ids[:1]), return_exceptions=True))
            if not any(isinstance(r, BaseException) for r in results):
                results += await asyncio.gather(*(one(u) for u in ids[1:]), return_exceptions=True)
            failures = [r for r in results if isinstance(r, BaseException)]
            if failures:
                raise _most_telling(failures)
        except GraphForbidden as error:
            log.warning("licensing check in tenant %s: no consent (%s)", tenant_id, error.code)
            return LicensingReport.unchecked("consent", self.settings.admin_consent_url(tenant_id))
        except GraphThrottled:
            log.warning("licensing check in tenant %s: throttled", tenant_id)
            return LicensingReport.unchecked("throttled")
        except GraphError as error:
            log.warning("licensing check in tenant %s failed: %s", tenant_id, error)
            return LicensingReport.unchecked("unavailable")
        details: dict[str, Any] = {}
        for user_id, result in zip(ids, results, strict=True):
            licences, display_name = result  # type: ignore[misc]
            details[user_id] = licences
            if display_name and user_id not in known:
                known[user_id] = display_name
        return evaluate_licences({"value": skus}, details, shared_device_user_ids=shared_device_user_ids,
                                 resource_account_ids=resource_account_ids, names=known)

    async def _licences_of(self, tenant_id: str, user_id: str, skus: list[dict[str, Any]],
                           need_name: bool) -> tuple[list[dict[str, Any]] | None, str | None]:
        """(licenseDetails, display name); (None, None) when the user does not exist. When the
        tenant refuses /licenseDetails to the app, the user's assignedLicenses and the tenant's
        SKUs give the same answer (docs/graph.md)."""
        user = _segment(user_id)
        if tenant_id not in self._no_licence_details:
            try:
                licences = await self.get_all(tenant_id, f"/users/{user}/licenseDetails")
            except GraphNotFound:
                return None, None
            except GraphForbidden:
                log.info("tenant %s refuses /licenseDetails to the app; reading assignedLicenses instead", tenant_id)
                self._no_licence_details.add(tenant_id)
            else:
                if not need_name:
                    return licences, None
                try:
                    body = (await self.request("GET", tenant_id, f"/users/{user}", params={"$select": "id,displayName"})).body or {}
                except GraphNotFound:
                    return None, None
                return licences, body.get("displayName")
        try:
            body = (await self.request("GET", tenant_id, f"/users/{user}",
                                       params={"$select": "id,displayName,assignedLicenses"})).body or {}
        except GraphNotFound:
            return None, None
        return licence_details_from_assigned(body, skus), body.get("displayName")


def _decode(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return jsonlib.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def _most_telling(failures: list[BaseException]) -> BaseException:
    """Of several failed lookups, the one that decides what the report says."""
    for kind in (GraphForbidden, GraphThrottled, GraphUnavailable, GraphError):
        for failure in failures:
            if isinstance(failure, kind):
                return failure
    return failures[0]
