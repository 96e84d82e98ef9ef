"""The Bot Connector clients' HTTP on aiohttp instead of `requests` in threads.

botbuilder 4.17.1's ConnectorClient sends through msrest's default async pipeline, which runs
the blocking `requests` library in the event loop's default thread pool: every proactive
message and card update costs a thread hop, a urllib3 round trip under the GIL, and the
pool's 5 x cores threads cap how many sends can be in flight. Under load that was about a
quarter of the bot's CPU (tests/bench, docs/performance.md).

`use_aiohttp(client, session, headers)` (bot/teams/connector.py calls it for each client it
caches) swaps the pipeline of one connector client for the same msrest policies (user agent,
credentials, raw deserializer, logging) ending in `AiohttpSender`, which sends on the shared
aiohttp session. The generated operations, the error model
(`ErrorResponseException` with the response's status and headers) and the credentials stay
botbuilder's. msrest's own retries (urllib3's) are not kept: delivery retries with its own
policy, which honours Retry-After (bot/delivery/limits.py).
"""

from __future__ import annotations

from typing import Any, Protocol

import aiohttp
from msrest.exceptions import ClientRequestError
from msrest.pipeline import AsyncHTTPPolicy, AsyncHTTPSender, AsyncPipeline, Request, Response, SansIOHTTPPolicy
from msrest.pipeline.universal import RawDeserializer
from msrest.universal_http import ClientRequest, HTTPClientResponse
from yarl import URL

DEFAULT_TIMEOUT = 100.0  # seconds, msrest's own default for a connector call


class SigningTarget:
    """What botbuilder's credentials sign: `signed_session(session)` sets
    `session.headers["Authorization"]` (or removes it for an anonymous bot). One per request,
    so concurrent sends never share a header dictionary."""

    def __init__(self) -> None:
        self.headers: dict[str, str] = {}


class HeaderSource(Protocol):
    """Where the credentials step gets a request's headers (bot/teams/connector.py's CredentialHeaders)."""

    async def of(self, credentials: Any) -> dict[str, str]: ...


class _CredentialsPolicy(AsyncHTTPPolicy):  # type: ignore[misc]
    """msrest's credentials step, with the header from `headers` (msrest's own calls the
    credentials on the event loop for every request)."""

    def __init__(self, credentials: Any, headers: HeaderSource) -> None:
        super().__init__()
        self._credentials = credentials
        self._headers = headers

    async def send(self, request: Request, **kwargs: Any) -> Response:
        context = request.context if isinstance(request.context, _SendContext) else _SendContext()
        request.context = context
        context.session.headers.update(await self._headers.of(self._credentials))
        assert self.next is not None  # the pipeline links every policy to the next one
        response: Response = await self.next.send(request, **kwargs)
        return response


class _SendContext:
    def __init__(self) -> None:
        self.session = SigningTarget()


class AiohttpResponse(HTTPClientResponse):  # type: ignore[misc]
    """A whole response read into memory, in the shape msrest's deserializers read."""

    def __init__(self, request: ClientRequest, status: int, reason: str | None, headers: dict[str, str], body: bytes) -> None:
        super().__init__(request, None)
        # msrest's HttpOperationError keeps `internal_response` (requests' own response object,
        # with status_code and headers) as `error.response`: this object plays that part too.
        self.internal_response = self
        self.status_code = status
        self.reason = reason
        self.headers = headers
        self._body = body

    def body(self) -> bytes:
        return self._body


class AiohttpSender(AsyncHTTPSender):  # type: ignore[misc]
    """The end of the pipeline: one HTTP call on the shared session."""

    def __init__(self, session: aiohttp.ClientSession, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.session = session
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def __aenter__(self) -> AiohttpSender:
        return self

    async def __aexit__(self, *exc_details: Any) -> None:
        return None  # the session belongs to whoever made it

    def build_context(self) -> _SendContext:
        return _SendContext()

    async def send(self, request: Request, **config: Any) -> Response:
        http_request: ClientRequest = request.http_request
        if http_request.files:
            raise ClientRequestError("file uploads are not used by the Bot Connector client")
        headers = dict(http_request.headers)
        context = request.context if isinstance(request.context, _SendContext) else _SendContext()
        headers.update(context.session.headers)
        try:
            # msrest built the URL quoted already; encoded=True keeps yarl from unquoting it.
            async with self.session.request(http_request.method, URL(http_request.url, encoded=True), headers=headers,
                                            data=http_request.data, timeout=self.timeout) as answer:
                body = await answer.read()
                response = AiohttpResponse(http_request, answer.status, answer.reason, dict(answer.headers), body)
        except (TimeoutError, aiohttp.ClientError) as error:
            # msrest's own network error: delivery classifies it as retryable.
            raise ClientRequestError(f"{type(error).__name__} calling the Bot Connector") from error
        return Response(request, response)


def use_aiohttp(client: Any, session: aiohttp.ClientSession, headers: HeaderSource) -> Any:
    """Point a botbuilder ConnectorClient (`client.config.pipeline`) at the shared session, its
    credentials asked through `headers`."""
    config = client.config
    policies: list[Any] = [config.user_agent_policy, RawDeserializer(), config.http_logger_policy]
    credentials = config.credentials
    if credentials:  # where msrest's own default pipeline puts them
        policy_types = (AsyncHTTPPolicy, SansIOHTTPPolicy)
        policies.insert(1, credentials if isinstance(credentials, policy_types) else _CredentialsPolicy(credentials, headers))
    timeout = getattr(getattr(config, "connection", None), "timeout", None) or DEFAULT_TIMEOUT
    config.pipeline = AsyncPipeline(policies, AiohttpSender(session, timeout))
    return client
