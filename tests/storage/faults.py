"""Fault injection at the azure-core transport: what a real network and a busy Cosmos DB do.

`FaultTransport` wraps the real aiohttp transport (pass it as `transport=` to CosmosClient)
and, for requests matching a scripted `Fault`, answers with an error status (429 with
x-ms-retry-after-ms, 503, 401...), raises the exception aiohttp would raise on a timeout or a
dropped connection, or forwards the request first and then fails the response (the server
applied the write; the client never learns). Everything that reaches the server is logged
with the status the server really answered.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlparse

import aiohttp
from azure.core.exceptions import ServiceRequestError, ServiceResponseTimeoutError
from azure.core.pipeline.transport import AioHttpTransport, AsyncHttpResponse, AsyncHttpTransport, HttpRequest
from azure.core.utils import CaseInsensitiveDict

ACTIONS = ("respond", "respond_after", "timeout_after", "drop", "drop_after", "hang")


@dataclass(frozen=True, slots=True)
class Call:
    """What a request does: op in account/read/replace/create/upsert/delete/query/other."""

    op: str
    collection: str | None
    doc_id: str | None
    body: Any

    @property
    def doc_type(self) -> str | None:
        return self.body.get("type") if isinstance(self.body, dict) else None


def describe(request: HttpRequest) -> Call:
    parts = [unquote(p) for p in urlparse(request.url).path.split("/") if p]
    headers = {k.lower(): str(v).lower() for k, v in request.headers.items()}
    collection = parts[3] if len(parts) > 3 and parts[2] == "colls" else None
    doc_id = parts[5] if len(parts) > 5 and parts[4] == "docs" else None
    on_docs = len(parts) >= 5 and parts[4] == "docs"
    raw: Any = request.data if request.data is not None else request.body
    try:
        body = json.loads(raw) if isinstance(raw, (str, bytes)) and raw else None
    except (TypeError, ValueError):
        body = None
    method = request.method.upper()
    if not parts and method == "GET":
        op = "account"
    elif on_docs and doc_id is not None:
        op = {"GET": "read", "PUT": "replace", "DELETE": "delete"}.get(method, "other")
    elif on_docs and method == "POST":
        if headers.get("x-ms-documentdb-isquery") == "true" or "query" in headers.get("content-type", ""):
            op = "query"
        elif headers.get("x-ms-documentdb-is-upsert") == "true":
            op = "upsert"
        else:
            op = "create"
    else:
        op = "other"
    return Call(op, collection, doc_id, body)


@dataclass(slots=True)
class Fault:
    """Fail the next `times` matching requests (times < 0: all of them)."""

    action: str
    op: str | None = None
    collection: str | None = None
    doc_type: str | None = None
    match: Callable[[Call], bool] | None = None
    times: int = 1
    status: int = 503
    retry_after_ms: int | None = None
    hang_seconds: float = 3600.0
    used: int = 0

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(self.action)

    def matches(self, call: Call) -> bool:
        if self.times >= 0 and self.used >= self.times:
            return False
        if self.op is not None and call.op != self.op:
            return False
        if self.collection is not None and call.collection != self.collection:
            return False
        if self.doc_type is not None and call.doc_type != self.doc_type:
            return False
        return self.match is None or self.match(call)


class _ScriptedResponse(AsyncHttpResponse):
    def __init__(self, request: HttpRequest, status: int, headers: dict[str, str], body: bytes) -> None:
        super().__init__(request, None)
        self.status_code = status
        self.headers = CaseInsensitiveDict(headers)
        self.reason = {401: "Unauthorized", 429: "Too Many Requests", 503: "Service Unavailable"}.get(status, "Error")
        self.content_type = "application/json"
        self._body = body

    def body(self) -> bytes:
        return self._body

    async def load_body(self) -> None:
        return None

    def close(self) -> None:
        return None


@dataclass(slots=True)
class Forwarded:
    call: Call
    status: int


@dataclass
class FaultTransport(AsyncHttpTransport):  # type: ignore[type-arg]
    faults: list[Fault] = field(default_factory=list)
    forwarded: list[Forwarded] = field(default_factory=list)
    injected: list[tuple[str, Call]] = field(default_factory=list)
    inner: AioHttpTransport = field(default_factory=AioHttpTransport)

    def add(self, fault: Fault) -> Fault:
        self.faults.append(fault)
        return fault

    def clear(self) -> None:
        self.faults.clear()

    def applied(self, op: str, collection: str | None = None, doc_type: str | None = None) -> list[Forwarded]:
        """Requests the server answered with success."""
        return [
            f for f in self.forwarded
            if f.call.op == op and f.status < 300
            and (collection is None or f.call.collection == collection)
            and (doc_type is None or f.call.doc_type == doc_type)
        ]

    async def __aenter__(self) -> FaultTransport:
        await self.inner.__aenter__()
        return self

    async def __aexit__(self, *args: Any) -> None:
        await self.inner.__aexit__(*args)

    async def open(self) -> None:
        await self.inner.open()

    async def close(self) -> None:
        await self.inner.close()

    async def _forward(self, request: HttpRequest, call: Call, **kwargs: Any) -> Any:
        response = await self.inner.send(request, **kwargs)
        self.forwarded.append(Forwarded(call, response.status_code))
        return response

    async def send(self, request: HttpRequest, **kwargs: Any) -> Any:
        call = describe(request)
        fault = next((f for f in self.faults if f.matches(call)), None)
        if fault is None:
            return await self._forward(request, call, **kwargs)
        fault.used += 1
        self.injected.append((fault.action, call))
        if fault.action in ("respond_after", "timeout_after", "drop_after"):
            await self._forward(request, call, **kwargs)  # the server applies it; the answer is lost
        if fault.action in ("respond", "respond_after"):
            headers = {"content-type": "application/json", "x-ms-activity-id": "fault"}
            if fault.retry_after_ms is not None:
                headers["x-ms-retry-after-ms"] = str(fault.retry_after_ms)
            body = json.dumps({"code": str(fault.status), "message": f"injected {fault.status}"}).encode()
            return _ScriptedResponse(request, fault.status, headers, body)
        if fault.action == "hang":
            await asyncio.sleep(fault.hang_seconds)
        if fault.action in ("timeout_after", "hang"):
            error = TimeoutError()
            raise ServiceResponseTimeoutError(error, error=error)
        dropped = aiohttp.ServerDisconnectedError() if fault.action == "drop_after" else ConnectionResetError(
            "Connection reset by peer")
        raise ServiceRequestError(dropped, error=dropped)
