"""The Bot Framework's signing keys for inbound token checks: fetched with aiohttp (never
blocking the event loop), kept 24 hours, fetched again when a token names an unknown key id,
at most once per ``min_refresh_interval`` (60 s) per metadata URL.

botbuilder 4.17.1's own key source fetches with a blocking ``requests.get`` on the event loop,
keeps keys 24 hours and raises on an unknown key id instead of refreshing (see
/work/shared/notes/teams-platform.md). botbuilder looks its key sources up in
``JwtTokenExtractor.metadataCache`` (a process-wide dict keyed by metadata URL, botbuilder's
own design); ``signing_keys_for`` puts an ``AsyncSigningKeys`` there for our URL, so
botbuilder's validators ask it for keys.
"""

from __future__ import annotations

import asyncio
import binascii
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import jwt
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor
from jwt.algorithms import RSAAlgorithm

log = logging.getLogger(__name__)

MAX_KEY_ID_LENGTH = 200
MAX_KEYS_DOCUMENT_BYTES = 1024 * 1024
KEYS_MAX_AGE = 24 * 3600.0
MIN_REFRESH_INTERVAL = 60.0
RETRY_INTERVAL_WITHOUT_KEYS = 5.0
FETCH_TIMEOUT = 5.0


class SigningKeysUnavailable(Exception):
    """No signing keys could be fetched yet: the token cannot be checked (answer 503)."""


class UnknownSigningKey(Exception):
    """The token names a key id the metadata URL does not publish (after a refresh, if allowed)."""


@dataclass(frozen=True, slots=True)
class SigningKey:
    """What botbuilder's JwtTokenExtractor reads from a key source: the key and its endorsements."""

    public_key: Any
    endorsements: tuple[str, ...]


class AsyncSigningKeys:
    """A drop-in for botbuilder's ``_OpenIdMetadata`` (``await get(key_id)``) that fetches
    with aiohttp, refreshes on an unknown key id, and rate-limits its fetches.

    It keeps no loop-bound state between calls (a fresh ClientSession per fetch; the shared
    in-flight fetch is only joined from the loop that started it), so one instance can serve
    app instances on different event loops (tests)."""

    def __init__(self, metadata_url: str, *, min_refresh_interval: float = MIN_REFRESH_INTERVAL,
                 max_age: float = KEYS_MAX_AGE, timeout: float = FETCH_TIMEOUT,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.url = metadata_url
        self.min_refresh_interval = min_refresh_interval
        self.max_age = max_age
        self.timeout = timeout
        self.monotonic = monotonic
        self.keys: dict[str, SigningKey] = {}
        self._fetched_at: float | None = None  # last successful fetch
        self._attempted_at: float | None = None  # last attempt, successful or not
        self._inflight: asyncio.Task[bool] | None = None

    # -- the interface botbuilder's JwtTokenExtractor calls ------------------------------
    async def get(self, key_id: str | None) -> SigningKey:
        """The key for ``key_id``; refreshes when the keys are stale or the id is unknown
        (at most once per ``min_refresh_interval``). Raises UnknownSigningKey or
        SigningKeysUnavailable, never returns None."""
        if not isinstance(key_id, str) or not key_id or len(key_id) > MAX_KEY_ID_LENGTH:
            raise UnknownSigningKey("no usable key id")
        if self._stale() and self._may_fetch():
            await self._refresh()
        if not self.keys:
            raise SigningKeysUnavailable(self.url)
        key = self.keys.get(key_id)
        if key is None and (self._may_fetch() or self._fetching()):
            log.info("token names an unknown signing key: fetching the keys again")
            await self._refresh()
            key = self.keys.get(key_id)
        if key is None:
            raise UnknownSigningKey("unknown key id")
        return key

    # -- fetching ------------------------------------------------------------------------
    def _stale(self) -> bool:
        return self._fetched_at is None or self.monotonic() - self._fetched_at >= self.max_age

    def _may_fetch(self) -> bool:
        if self._attempted_at is None:
            return True
        interval = self.min_refresh_interval if self.keys else min(self.min_refresh_interval, RETRY_INTERVAL_WITHOUT_KEYS)
        return self.monotonic() - self._attempted_at >= interval

    def _fetching(self) -> bool:
        task = self._inflight
        return task is not None and not task.done() and task.get_loop() is asyncio.get_running_loop()

    async def _refresh(self) -> bool:
        """Fetch once for everyone waiting on this loop; a failure keeps the old keys."""
        if not self._fetching():
            self._attempted_at = self.monotonic()
            self._inflight = asyncio.get_running_loop().create_task(self._fetch_and_store())
        assert self._inflight is not None
        # shield: a caller that goes away (client disconnect) does not cancel the others' fetch
        return await asyncio.shield(self._inflight)

    async def _fetch_and_store(self) -> bool:
        try:
            keys = await self._fetch()
        except Exception as error:  # noqa: BLE001 - any failure keeps the keys we have
            log.warning("could not fetch the Bot Framework signing keys (%s); keeping %d cached key(s)",
                        type(error).__name__, len(self.keys))
            return False
        self.keys = keys
        self._fetched_at = self.monotonic()
        log.info("fetched %d Bot Framework signing key(s)", len(keys))
        return True

    async def _fetch(self) -> dict[str, SigningKey]:
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with aiohttp.ClientSession(timeout=timeout, trust_env=True) as session:
            metadata = await _get_json(session, self.url)
            jwks_uri = metadata.get("jwks_uri") if isinstance(metadata, dict) else None
            if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
                raise ValueError("OpenID metadata has no jwks_uri")
            document = await _get_json(session, jwks_uri)
        entries = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(entries, list):
            raise ValueError("JWKS document has no keys")
        keys: dict[str, SigningKey] = {}
        for entry in entries:
            parsed = _parse_key(entry)
            if parsed is not None:
                keys[parsed[0]] = parsed[1]
        if not keys:
            raise ValueError("JWKS document has no usable RSA keys")
        return keys


async def _get_json(session: aiohttp.ClientSession, url: str) -> Any:
    async with session.get(url) as response:
        response.raise_for_status()
        if response.content_length is not None and response.content_length > MAX_KEYS_DOCUMENT_BYTES:
            raise ValueError("key document too large")
        raw = await response.content.read(MAX_KEYS_DOCUMENT_BYTES + 1)
        while len(raw) <= MAX_KEYS_DOCUMENT_BYTES:
            more = await response.content.read(MAX_KEYS_DOCUMENT_BYTES + 1 - len(raw))
            if not more:
                break
            raw += more
        if len(raw) > MAX_KEYS_DOCUMENT_BYTES:
            raise ValueError("key document too large")
        return json.loads(raw)


def _parse_key(entry: Any) -> tuple[str, SigningKey] | None:
    if not isinstance(entry, dict) or entry.get("kty") != "RSA":
        return None
    kid = entry.get("kid")
    if not isinstance(kid, str) or not kid or len(kid) > MAX_KEY_ID_LENGTH:
        return None
    try:
        public_key = RSAAlgorithm.from_jwk(json.dumps(entry))
    except (jwt.InvalidKeyError, ValueError, TypeError, KeyError, binascii.Error):
        log.info("skipping an unusable signing key in the JWKS document")
        return None
    raw = entry.get("endorsements")
    endorsements = tuple(e for e in raw if isinstance(e, str)) if isinstance(raw, list) else ()
    return kid, SigningKey(public_key, endorsements)


def signing_keys_for(metadata_url: str) -> AsyncSigningKeys:
    """The async key source botbuilder will use for ``metadata_url`` (installed once).

    botbuilder resolves key sources through ``JwtTokenExtractor.metadataCache``, its own
    process-wide cache keyed by URL, so this is where ours must go. Apps configured with the
    same URL share one source (the same keys; the rate limit is per URL by design); apps
    with different URLs never see each other's."""
    existing = JwtTokenExtractor.metadataCache.get(metadata_url)
    if isinstance(existing, AsyncSigningKeys):
        return existing
    source = AsyncSigningKeys(metadata_url)
    JwtTokenExtractor.metadataCache[metadata_url] = source
    return source
