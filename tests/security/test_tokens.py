"""Inbound Bot Framework tokens through the real app: botbuilder's validation behind
bot/teams/tokens.py (keys from signing_keys.py), a local OpenID metadata + JWKS server in its
own thread, RS256 tokens signed here. Every bad token is a 401 before the bot runs; a good one
gets an answer."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import jwt
import pytest
from botframework.connector.auth import ChannelValidation
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor
from cryptography.hazmat.primitives import serialization

from bot.config import ConfigError, Settings
from bot.storage.contract import ProjectQuery
from bot.teams.signing_keys import AsyncSigningKeys
from bot.teams.tokens import TeamsBotAuthentication, build_authentication
from tests.security.conftest import (
    APP_ID,
    APP_PASSWORD,
    OTHER_APP_ID,
    OUTBOUND_TOKEN,
    HarnessFactory,
    KeyServer,
    SecureHarness,
    Signer,
)
from tests.support.teams_activities import card_action, message, personal
from tests.teams.conftest import CUSTOMER, TENANT

SIGNER = Signer.new("kid-main")
STRANGER_KEY = Signer.new("kid-main")  # same kid, a key the server never published: forgery
WEBCHAT_ONLY = Signer.new("kid-webchat", endorsements=("webchat",))
NO_ENDORSEMENTS = Signer.new("kid-bare", endorsements=())


@pytest.fixture(autouse=True)
def no_blocking_key_fetch(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """botbuilder's own key fetch (blocking requests.get) must never run."""
    calls: list[str] = []

    def refuse(url: str, *args: Any, **kwargs: Any) -> None:
        calls.append(url)
        raise ConnectionError("no network in tests")

    monkeypatch.setattr("botframework.connector.auth.jwt_token_extractor.requests.get", refuse)
    yield
    assert calls == [], f"botbuilder's blocking key fetch was used: {calls}"


@pytest.fixture
async def secure(make_harness: HarnessFactory) -> AsyncIterator[SecureHarness]:
    keys = KeyServer(SIGNER, WEBCHAT_ONLY, NO_ENDORSEMENTS)
    harness = await make_harness(secure=True, keys=keys, signer=SIGNER)
    yield harness
    keys.close()


def hello(harness: SecureHarness, **changes: Any) -> dict[str, Any]:
    activity = message(CUSTOMER, personal(CUSTOMER), "help", harness.service_url)
    activity.update(changes)
    return activity


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def hs256_with_public_key(url: str) -> str:
    """The classic algorithm confusion: HMAC keyed with the RSA public key's PEM."""
    pem = SIGNER.private_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo)
    claims = json.loads(base64.urlsafe_b64decode(SIGNER.token(url).split(".")[1] + "=="))
    header = b64({"alg": "HS256", "typ": "JWT", "kid": SIGNER.kid})
    payload = b64(claims)
    import hashlib
    import hmac

    signature = hmac.new(pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def alg_none(url: str) -> str:
    claims = json.loads(base64.urlsafe_b64decode(SIGNER.token(url).split(".")[1] + "=="))
    return f"{b64({'alg': 'none', 'typ': 'JWT', 'kid': SIGNER.kid})}.{b64(claims)}."


def tampered(url: str) -> str:
    """A real signature over other claims: the payload now names another serviceUrl."""
    header, _, signature = SIGNER.token(url).split(".")
    claims = json.loads(base64.urlsafe_b64decode(SIGNER.token(url).split(".")[1] + "=="))
    claims["aud"] = OTHER_APP_ID
    return f"{header}.{b64(claims)}.{signature}"


now = lambda: int(time.time())  # noqa: E731

# name -> (Authorization header for a service URL, activity changes)
BAD: dict[str, Callable[[str], str | None]] = {
    "missing": lambda url: None,
    "empty": lambda url: "",
    "basic scheme": lambda url: "Basic " + base64.b64encode(b"bot:" + APP_PASSWORD.encode()).decode(),
    "lower-case bearer": lambda url: "bearer " + SIGNER.token(url),
    "bearer without token": lambda url: "Bearer ",
    "garbage": lambda url: "Bearer not-a-jwt",
    "three garbage segments": lambda url: "Bearer a.b.c",
    "long garbage": lambda url: "Bearer " + "a" * 8000 + ".b.c",
    "forged signature": lambda url: "Bearer " + STRANGER_KEY.token(url),
    "tampered payload": lambda url: "Bearer " + tampered(url),
    "expired": lambda url: "Bearer " + SIGNER.token(url, exp=now() - 3600, nbf=now() - 7200, iat=now() - 7200),
    "not yet valid": lambda url: "Bearer " + SIGNER.token(url, nbf=now() + 3600, iat=now() + 3600, exp=now() + 7200),
    "no expiry": lambda url: "Bearer " + SIGNER.token(url, exp=None),
    "wrong audience": lambda url: "Bearer " + SIGNER.token(url, aud=OTHER_APP_ID),
    "no audience": lambda url: "Bearer " + SIGNER.token(url, aud=None),
    "audience list": lambda url: "Bearer " + SIGNER.token(url, aud=[OTHER_APP_ID]),
    "wrong issuer": lambda url: "Bearer " + SIGNER.token(url, iss="https://api.botframework.com.evil.example"),
    "emulator issuer": lambda url: "Bearer " + SIGNER.token(
        url, iss="https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/", ver="1.0", appid=APP_ID),
    "skill token": lambda url: "Bearer " + SIGNER.token(url, ver="2.0", azp=OTHER_APP_ID, aud=OTHER_APP_ID),
    "wrong serviceUrl": lambda url: "Bearer " + SIGNER.token("https://smba.trafficmanager.net.evil.example/"),
    "no serviceUrl": lambda url: "Bearer " + SIGNER.token(url, serviceurl=None),
    "unknown key id": lambda url: "Bearer " + Signer.new("kid-nobody-published").token(url),
    "no key id": lambda url: "Bearer " + SIGNER.token(url, kid=None),
    "HS256 with the public key": lambda url: "Bearer " + hs256_with_public_key(url),
    "alg none": lambda url: "Bearer " + alg_none(url),
    "RS384": lambda url: "Bearer " + SIGNER.token(url, algorithm="RS384"),
    "PS256": lambda url: "Bearer " + SIGNER.token(url, algorithm="PS256"),
    "unendorsed channel": lambda url: "Bearer " + WEBCHAT_ONLY.token(url),
    "key without endorsements": lambda url: "Bearer " + NO_ENDORSEMENTS.token(url),
}


async def assert_refused(harness: SecureHarness, status: int, body: Any) -> None:
    assert status == 401, (status, body)
    assert body == {"error": "unauthorized"}
    assert harness.turns == [], "the bot ran for an unauthenticated request"
    assert harness.standin.attempts == [], "something was sent to the connector"
    assert len(harness.runtime.received) == 0
    page = await harness.runtime.store.list_projects(ProjectQuery())
    assert page.items == []


@pytest.mark.parametrize("case", sorted(BAD))
async def test_bad_token_is_401_and_the_bot_does_not_run(secure: SecureHarness, case: str) -> None:
    header = BAD[case](secure.service_url)
    status, body = await secure.post_with(hello(secure), authorization=header)
    await assert_refused(secure, status, body)


@pytest.mark.parametrize("case", ["unendorsed channel", "wrong serviceUrl"])
async def test_invokes_with_bad_tokens_are_401_too(secure: SecureHarness, case: str) -> None:
    invoke = card_action(CUSTOMER, personal(CUSTOMER), "confirm", {"p": "x", "k": "y", "r": 1}, secure.service_url)
    status, body = await secure.post_with(invoke, authorization=BAD[case](secure.service_url))
    await assert_refused(secure, status, body)


@pytest.mark.parametrize(("field", "value"), [("channelId", ""), ("channelId", "webchat-but-not-endorsed"),
                                              ("serviceUrl", "https://smba.trafficmanager.net/amer/")])
async def test_a_valid_token_for_another_activity_is_401(secure: SecureHarness, field: str, value: str) -> None:
    """The token is genuine, but the activity claims a channel or serviceUrl it does not vouch for."""
    token = SIGNER.token(secure.service_url)
    status, body = await secure.post_with(hello(secure, **{field: value}), token=token)
    await assert_refused(secure, status, body)


async def test_a_valid_token_gets_an_answer_through_the_connector(secure: SecureHarness) -> None:
    token = SIGNER.token(secure.service_url)
    status, _ = await secure.post_with(hello(secure), token=token)
    assert status == 201
    assert len(secure.turns) == 1
    replies = secure.standin.activities_in(personal(CUSTOMER).id)
    assert replies and replies[-1]["attachments"][0]["content"]["type"] == "AdaptiveCard"
    # The reply carried the bot's own (offline) outbound token, never the caller's.
    authorizations = {a.authorization for a in secure.standin.attempts}
    assert authorizations == {f"Bearer {OUTBOUND_TOKEN}"}
    assert token not in json.dumps([a.body for a in secure.standin.attempts])


async def test_clock_skew_within_five_minutes_is_tolerated(secure: SecureHarness) -> None:
    """botbuilder's documented 5-minute leeway: just expired / almost valid still pass."""
    for token in (SIGNER.token(secure.service_url, exp=now() - 120),
                  SIGNER.token(secure.service_url, nbf=now() + 120)):
        status, _ = await secure.post_with(hello(secure), token=token)
        assert status == 201
    assert len(secure.turns) == 2


async def test_a_valid_invoke_gets_its_typed_answer(secure: SecureHarness) -> None:
    invoke = card_action(CUSTOMER, personal(CUSTOMER), "refresh", {"p": "nope", "k": "nope", "r": 1}, secure.service_url)
    status, body = await secure.post_with(invoke, token=SIGNER.token(secure.service_url))
    assert status == 200 and body["type"] in ("application/vnd.microsoft.error", "application/vnd.microsoft.card.adaptive")


async def test_with_an_app_id_no_header_is_401_before_the_body_is_read(secure: SecureHarness) -> None:
    """ALLOW_ANONYMOUS is refused with an app id by config; here: no header -> 401, even for junk."""
    async with secure.session.post(f"{secure.url}/api/messages", data=b"{not json", headers={"Content-Type": "text/plain"}) as r:
        assert r.status == 401 and r.headers["WWW-Authenticate"] == "Bearer"
    status, body = await secure.post_with(hello(secure))
    await assert_refused(secure, status, body)


async def test_anonymous_bot_refuses_any_token(anon: SecureHarness) -> None:
    """Without an app id there is no audience to check a token against."""
    status, _ = await anon.post_with(hello(anon), token=SIGNER.token(anon.service_url))
    assert status == 401 and anon.turns == []
    status, _ = await anon.post_with(hello(anon))
    assert status == 201 and len(anon.turns) == 1


# --------------------------------------------------------------------------- botbuilder alone


# Left out: the two botbuilder accepts (below); "missing"/"empty" never reach it; and "emulator
# issuer", for which botbuilder alone would fetch the emulator's keys with its blocking requests.get.
@pytest.mark.parametrize("case", sorted(set(BAD) - {"no expiry", "key without endorsements", "missing", "empty",
                                                    "emulator issuer"}))
async def test_botbuilders_own_failures_are_401_without_our_precheck(secure: SecureHarness, case: str,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """With the unverified pre-checks switched off, botbuilder's validators still reject every
    case, and whatever they raise becomes a 401 (not the 500 botbuilder gives alone).
    ("no expiry" and "key without endorsements" pass botbuilder: they are why the pre-checks exist.)"""

    async def no_precheck(self: TeamsBotAuthentication, token: str, activity: Any, keys: AsyncSigningKeys) -> None:
        return None

    monkeypatch.setattr(TeamsBotAuthentication, "_precheck", no_precheck)
    status, body = await secure.post_with(hello(secure), authorization=BAD[case](secure.service_url))
    await assert_refused(secure, status, body)


@pytest.mark.parametrize("case", ["no expiry", "key without endorsements"])
async def test_what_botbuilder_alone_would_accept(secure: SecureHarness, case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Documents why the pre-checks exist: botbuilder 4.17.1 accepts these two."""

    async def no_precheck(self: TeamsBotAuthentication, token: str, activity: Any, keys: AsyncSigningKeys) -> None:
        return None

    monkeypatch.setattr(TeamsBotAuthentication, "_precheck", no_precheck)
    status, _ = await secure.post_with(hello(secure), authorization=BAD[case](secure.service_url))
    assert status == 201


# --------------------------------------------------------------------------- keys: refresh, rate limit, no blocking


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_key_rotation_refreshes_once_and_unknown_kids_are_rate_limited(make_harness: HarnessFactory) -> None:
    old, new = Signer.new("kid-2026-a"), Signer.new("kid-2026-b")
    keys = KeyServer(old)
    try:
        harness = await make_harness(secure=True, keys=keys, signer=old)
        source = harness.runtime.adapter.bot_framework_authentication.keys
        clock = FakeMonotonic()
        source.monotonic = clock
        url = harness.service_url

        assert (await harness.post_with(hello(harness), token=old.token(url)))[0] == 201
        assert keys.metadata_fetches == 1
        # Hours later the Bot Framework rotates: the new key replaces the old one.
        keys.signers = [new]
        clock.now += 3 * 3600
        assert (await harness.post_with(hello(harness), token=new.token(url)))[0] == 201  # one forced refresh
        assert keys.metadata_fetches == 2
        # The old key is gone now; unknown kids do not cause fetches within 60 s.
        for signer in (old, Signer.new("kid-bogus-1"), Signer.new("kid-bogus-2"), old):
            clock.now += 10
            assert (await harness.post_with(hello(harness), token=signer.token(url)))[0] == 401
        assert keys.metadata_fetches == 2
        # Many at once after the interval: one shared fetch.
        clock.now += 61
        bogus = Signer.new("kid-bogus-3").token(url)
        results = await asyncio.gather(*(harness.post_with(hello(harness), token=bogus) for _ in range(8)))
        assert {status for status, _ in results} == {401}
        assert keys.metadata_fetches == 3
        # Known keys keep working without fetching, until they are 24 hours old.
        assert (await harness.post_with(hello(harness), token=new.token(url)))[0] == 201
        assert keys.metadata_fetches == 3
        clock.now += 24 * 3600
        assert (await harness.post_with(hello(harness), token=new.token(url)))[0] == 201
        assert keys.metadata_fetches == 4
        assert len(harness.turns) == 4
    finally:
        keys.close()


async def test_key_fetch_does_not_block_the_event_loop(make_harness: HarnessFactory) -> None:
    keys = KeyServer(SIGNER)
    keys.delay = 0.6
    try:
        harness = await make_harness(secure=True, keys=keys, signer=SIGNER)
        gaps: list[float] = []
        stop = asyncio.Event()

        async def ticker() -> None:
            last = time.perf_counter()
            while not stop.is_set():
                await asyncio.sleep(0.01)
                current = time.perf_counter()
                gaps.append(current - last)
                last = current

        ticking = asyncio.create_task(ticker())
        started = time.perf_counter()
        status, _ = await harness.post_with(hello(harness), token=SIGNER.token(harness.service_url))
        elapsed = time.perf_counter() - started
        stop.set()
        await ticking
        assert status == 201 and elapsed >= 0.6  # the slow JWKS was really waited for...
        assert max(gaps) < 0.3, f"the event loop stalled for {max(gaps):.2f}s"  # ...without stalling the loop
    finally:
        keys.close()


async def test_unreachable_key_server_is_503_not_500(make_harness: HarnessFactory) -> None:
    keys = KeyServer(SIGNER)
    keys.fail = True
    try:
        harness = await make_harness(secure=True, keys=keys, signer=SIGNER)
        clock = FakeMonotonic()
        harness.runtime.adapter.bot_framework_authentication.keys.monotonic = clock
        status, _ = await harness.post_with(hello(harness), token=SIGNER.token(harness.service_url))
        assert status == 503 and harness.turns == []
        keys.fail = False  # it comes back: without any keys the bot tries again after 5 s, not 60
        clock.now += 1
        assert (await harness.post_with(hello(harness), token=SIGNER.token(harness.service_url)))[0] == 503
        clock.now += 5
        assert (await harness.post_with(hello(harness), token=SIGNER.token(harness.service_url)))[0] == 201
        # Once it has keys, a failing key server no longer matters for known keys.
        keys.fail = True
        clock.now += 25 * 3600  # stale: a refresh is tried, fails, and the old keys are kept
        assert (await harness.post_with(hello(harness), token=SIGNER.token(harness.service_url)))[0] == 201
    finally:
        keys.close()


async def test_metadata_url_is_per_app_and_no_class_attribute_is_set(make_harness: HarnessFactory) -> None:
    first, second = Signer.new("kid-first"), Signer.new("kid-second")
    one, two = KeyServer(first), KeyServer(second)
    try:
        app_one = await make_harness(secure=True, keys=one, signer=first)
        app_two = await make_harness(secure=True, keys=two, signer=second)
        assert (await app_one.post_with(hello(app_one), token=first.token(app_one.service_url)))[0] == 201
        assert (await app_two.post_with(hello(app_two), token=second.token(app_two.service_url)))[0] == 201
        # Each app trusts only the keys its own metadata URL publishes.
        assert (await app_one.post_with(hello(app_one), token=second.token(app_one.service_url)))[0] == 401
        assert (await app_two.post_with(hello(app_two), token=first.token(app_two.service_url)))[0] == 401
        assert ChannelValidation.open_id_metadata_endpoint is None
        assert isinstance(JwtTokenExtractor.metadataCache[one.metadata_url], AsyncSigningKeys)
        assert JwtTokenExtractor.metadataCache[one.metadata_url] is not JwtTokenExtractor.metadataCache[two.metadata_url]
    finally:
        one.close()
        two.close()


# --------------------------------------------------------------------------- secrets in logs


async def test_failed_auth_logs_no_token_or_password(secure: SecureHarness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    tokens = [SIGNER.token(secure.service_url, aud=OTHER_APP_ID), STRANGER_KEY.token(secure.service_url),
              SIGNER.token(secure.service_url, exp=now() - 3600), hs256_with_public_key(secure.service_url)]
    for token in tokens:
        status, _ = await secure.post_with(hello(secure), token=token)
        assert status == 401
    assert "request refused (401)" in caplog.text
    for token in tokens:
        for part in token.split("."):
            assert part not in caplog.text
    assert APP_PASSWORD not in caplog.text and OUTBOUND_TOKEN not in caplog.text


@pytest.mark.allows_error_log("the turn is made to fail")
async def test_failing_turn_logs_no_secret_and_shows_only_a_reference(secure: SecureHarness,
                                                                      caplog: pytest.LogCaptureFixture,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.DEBUG)
    secret_message = "connection failed: internal detail 42"

    async def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError(secret_message)

    monkeypatch.setattr(secure.runtime.service, "remember_user", explode)
    token = SIGNER.token(secure.service_url)
    status, _ = await secure.post_with(hello(secure), token=token)
    assert status in (200, 201)
    reply = secure.standin.activities_in(personal(CUSTOMER).id)[-1]["text"]
    assert "ref." in reply and "RuntimeError" not in reply and APP_PASSWORD not in reply and "connection failed" not in reply
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == [
        f"unhandled error in turn (ref {reply[-9:-1]}): RuntimeError"]  # logged with the user's reference, type only
    for part in token.split("."):
        assert part not in caplog.text
    assert OUTBOUND_TOKEN not in caplog.text
    assert APP_PASSWORD not in caplog.text
    invoke = card_action(CUSTOMER, personal(CUSTOMER), "refresh", {"p": "x", "k": "y", "r": 1}, secure.service_url)
    status, body = await secure.post_with(invoke, token=SIGNER.token(secure.service_url))
    assert status == 200 and body["type"] == "application/vnd.microsoft.error", body
    assert "ref." in body["value"]["message"] and "connection failed" not in json.dumps(body) and "RuntimeError" not in json.dumps(body)


def test_anonymous_needs_allow_anonymous_and_no_app_id_and_secrets_stay_out_of_reprs() -> None:
    with pytest.raises(ConfigError):
        Settings.from_env({"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": APP_PASSWORD, "ALLOW_ANONYMOUS": "1"})
    with pytest.raises(ConfigError):
        Settings.from_env({})
    with pytest.raises(ConfigError):
        Settings.from_env({"MicrosoftAppId": APP_ID})  # no password
    settings = Settings.from_env({"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": APP_PASSWORD, "MicrosoftAppType": "MultiTenant",
                                  "COSMOS_ENDPOINT": "https://cosmos.example:443/", "COSMOS_KEY": "cosmos-KEY-S3CR3T"})
    assert not settings.anonymous
    assert APP_PASSWORD not in repr(settings) and "cosmos-KEY-S3CR3T" not in repr(settings)
    auth = build_authentication(app_id=APP_ID, app_password=APP_PASSWORD, app_type="MultiTenant", app_tenant_id="",
                                openid_metadata_url="http://127.0.0.1:9/v1/.well-known/openidconfiguration")
    assert APP_PASSWORD not in repr(auth) and APP_PASSWORD not in repr(vars(auth))


def test_tokens_here_are_really_rs256() -> None:
    token = SIGNER.token("http://x/")
    assert jwt.get_unverified_header(token) == {"alg": "RS256", "typ": "JWT", "kid": "kid-main"}


async def test_outbound_tokens_are_fetched_off_the_event_loop_and_kept_briefly(secure: SecureHarness, monkeypatch) -> None:
    # MSAL is synchronous: a token fetch on the loop would stall every conversation. Replies in a
    # turn and proactive sends both ask through CredentialHeaders, in a worker thread.
    import threading

    from bot.domain.project import ConversationTarget
    from tests.security.conftest import OfflineCredentials

    fetched_in: list[str] = []
    original = OfflineCredentials.get_access_token

    def recording(self: OfflineCredentials, force_refresh: bool = False) -> str:
        fetched_in.append(threading.current_thread().name)
        return original(self, force_refresh)

    monkeypatch.setattr(OfflineCredentials, "get_access_token", recording)
    for _ in range(3):
        status, _ = await secure.post_with(hello(secure), token=SIGNER.token(secure.service_url))
        assert status == 201
    messenger = secure.runtime.delivery.sender.messenger.inner
    target = ConversationTarget(personal(CUSTOMER).id, secure.service_url, TENANT)
    for _ in range(3):
        await messenger.send(target, {"type": "AdaptiveCard", "version": "1.5", "body": []})
    assert {a.authorization for a in secure.standin.attempts} == {f"Bearer {OUTBOUND_TOKEN}"}
    main = threading.main_thread().name
    assert fetched_in and main not in fetched_in and threading.current_thread().name not in fetched_in
    assert len(fetched_in) <= 2  # one per connector client (the turn's and the proactive one), not per request

    authentication = secure.runtime.adapter.bot_framework_authentication
    assert isinstance(authentication, TeamsBotAuthentication)
    authentication.connector.credential_headers.ttl = 0  # kept no longer: every request asks again
    before = len(fetched_in)
    await messenger.send(target, {"type": "AdaptiveCard", "version": "1.5", "body": []})
    assert len(fetched_in) == before + 1
