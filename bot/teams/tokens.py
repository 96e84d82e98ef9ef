"""Inbound authentication for the Teams edge: botbuilder's Bot Framework token validation,
wrapped so that every bad token is a clean 401 (botbuilder 4.17.1 answers most with a 500).

`TeamsBotAuthentication` checks the cheap unverified facts first (Bearer, JWT shape, RS256,
a key id, issuer, audience, expiry, serviceurl, the key's channel endorsement), then runs
botbuilder's full validation; either failing raises `Unauthorized` and the bot never runs.
Signing keys that cannot be fetched at all raise `SigningKeysUnavailable` (answered 503).
Keys come from bot/teams/signing_keys.py; what the interface asks for outbound is the
`BotConnector`'s (bot/teams/connector.py). The metadata URL is passed per instance through
botbuilder's parameterized settings, so production and tests run the same code path.
"""

from __future__ import annotations

import jwt
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity, CallerIdConstants
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    ServiceClientCredentialsFactory,
    UserTokenClient,
)

from bot.teams.connector import BotConnector
from bot.teams.signing_keys import AsyncSigningKeys, SigningKeysUnavailable, UnknownSigningKey, signing_keys_for

CHANNEL_ISSUER = AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER  # https://api.botframework.com
PUBLIC_OPENID_METADATA_URL = AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL
SIGNING_ALGORITHM = "RS256"  # the only one the Bot Connector uses (id_token_signing_alg_values_supported)
MAX_TOKEN_LENGTH = 8 * 1024  # real tokens are 1-2 KB


class Unauthorized(PermissionError):
    """The request is not from the Bot Connector for this bot: answer 401, run nothing.

    ``reason`` is a fixed phrase, safe to log (never token or claim contents)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def bearer_token(header: str | None) -> str | None:
    """The token of a well-formed ``Authorization: Bearer <jwt>`` header, else None."""
    if not header or len(header) > MAX_TOKEN_LENGTH + 7:
        return None
    parts = header.split(" ")
    if len(parts) != 2 or parts[0] != "Bearer":
        return None
    token = parts[1]
    segments = token.split(".")
    if len(segments) != 3 or not all(segments[:2]):
        return None
    return token


class _BotFrameworkConfig:
    """The attribute names ConfigurationBotFrameworkAuthentication reads. Setting the
    parameterized ones selects botbuilder's per-instance validator (no class attributes),
    with the public cloud's values and our OpenID metadata URL."""

    def __init__(self, *, app_id: str, app_password: str, app_type: str, app_tenant_id: str, metadata_url: str) -> None:
        self.APP_ID = app_id
        self.APP_PASSWORD = app_password
        self.APP_TYPE = app_type
        self.APP_TENANTID = app_tenant_id
        self.VALIDATE_AUTHORITY = True
        self.TO_CHANNEL_FROM_BOT_LOGIN_URL = AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX
        self.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
        self.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = CHANNEL_ISSUER
        self.OAUTH_URL = AuthenticationConstants.OAUTH_URL
        self.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = metadata_url
        self.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL = AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL
        self.CALLER_ID = CallerIdConstants.public_azure_channel

    def __repr__(self) -> str:  # never print the password
        return f"_BotFrameworkConfig(app_id={self.APP_ID!r})"


class TeamsBotAuthentication(BotFrameworkAuthentication):
    """botbuilder's Bot Framework authentication with clean failures (see the module doc)."""

    def __init__(self, inner: BotFrameworkAuthentication, *, app_id: str, keys: AsyncSigningKeys | None,
                 connector: BotConnector) -> None:
        self._inner = inner
        self.app_id = app_id
        self.keys = keys  # None when anonymous
        self.connector = connector

    async def close(self) -> None:
        await self.connector.close()

    @property
    def anonymous(self) -> bool:
        return not self.app_id

    async def authenticate_request(self, activity: Activity, auth_header: str | None) -> AuthenticateRequestResult:
        if self.anonymous:
            if auth_header:
                # No app id means no audience to check a token against; refuse rather than guess.
                raise Unauthorized("a token was sent to a bot running without an app id")
            try:
                return self._reusing_connectors(await self._inner.authenticate_request(activity, None))
            except Exception as error:  # noqa: BLE001 - e.g. an emulator-channel activity without a recipient
                raise Unauthorized(f"anonymous request refused ({type(error).__name__})") from None
        token = bearer_token(auth_header)
        if token is None:
            raise Unauthorized("missing or malformed Authorization header")
        assert self.keys is not None
        await self._precheck(token, activity, self.keys)
        try:
            result = await self._inner.authenticate_request(activity, auth_header)
        except (Unauthorized, SigningKeysUnavailable):
            raise
        except UnknownSigningKey:
            raise Unauthorized("unknown signing key") from None
        except Exception as error:  # noqa: BLE001 - botbuilder raises PermissionError, jwt errors and plain Exceptions
            raise Unauthorized(f"rejected by Bot Framework validation ({type(error).__name__})") from None
        identity = result.claims_identity
        if identity is None or not identity.is_authenticated or identity.get_claim_value("aud") != self.app_id:
            raise Unauthorized("validation returned no identity for this bot")
        return self._reusing_connectors(result)

    def _reusing_connectors(self, result: AuthenticateRequestResult) -> AuthenticateRequestResult:
        """The incoming turn's connector factory, its clients cached by the connector."""
        if result.connector_factory is not None and result.claims_identity is not None:
            result.connector_factory = self.connector.reusing(result.connector_factory, result.claims_identity)
        return result

    async def _precheck(self, token: str, activity: Activity, keys: AsyncSigningKeys) -> None:
        """Unverified facts that must hold before botbuilder verifies the signature."""
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, options={"verify_signature": False})
        except (jwt.PyJWTError, ValueError, TypeError):
            raise Unauthorized("not a JWT") from None
        if header.get("alg") != SIGNING_ALGORITHM:
            raise Unauthorized("signing algorithm is not RS256")
        if claims.get("iss") != CHANNEL_ISSUER:
            raise Unauthorized("issuer is not the Bot Framework")
        if claims.get("aud") != self.app_id:
            raise Unauthorized("audience is not this bot")
        if not isinstance(claims.get("exp"), int | float) or isinstance(claims.get("exp"), bool):
            raise Unauthorized("token has no expiry")
        if not activity.service_url or claims.get("serviceurl") != activity.service_url:
            raise Unauthorized("serviceUrl does not match the token")
        channel_id = activity.channel_id
        if not isinstance(channel_id, str) or not channel_id:
            raise Unauthorized("activity names no channel to check the endorsement of")
        try:
            key = await keys.get(header.get("kid"))
        except UnknownSigningKey:
            raise Unauthorized("unknown signing key") from None
        if channel_id not in key.endorsements:
            raise Unauthorized("signing key does not endorse the activity's channel")

    # -- the rest is refused or the connector's ------------------------------------------
    async def authenticate_streaming_request(self, auth_header: str, channel_id_header: str) -> AuthenticateRequestResult:
        raise Unauthorized("streaming connections are not supported")

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return self.connector.connector_factory(claims_identity)

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        return await self.connector.user_token_client(claims_identity)

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        raise Unauthorized("skill callbacks are not supported")


def build_authentication(*, app_id: str, app_password: str, app_type: str, app_tenant_id: str,
                         openid_metadata_url: str = "",
                         credentials_factory: ServiceClientCredentialsFactory | None = None) -> TeamsBotAuthentication:
    """The authentication the CloudAdapter gets, with the app's ``BotConnector``
    (``.connector``). ``credentials_factory`` replaces botbuilder's (outbound tokens and the
    audience check) - tests pass one that works offline."""
    metadata_url = openid_metadata_url or PUBLIC_OPENID_METADATA_URL
    config = _BotFrameworkConfig(app_id=app_id, app_password=app_password, app_type=app_type,
                                 app_tenant_id=app_tenant_id, metadata_url=metadata_url)
    inner = ConfigurationBotFrameworkAuthentication(config, credentials_factory=credentials_factory)
    keys = signing_keys_for(metadata_url) if app_id else None
    return TeamsBotAuthentication(inner, app_id=app_id, keys=keys, connector=BotConnector(inner, app_id=app_id))
