"""A local stand-in for the Bot Connector service (Teams flavour), for tests.

botbuilder's real ``ConnectorClient`` talks to it when an activity's ``serviceUrl`` is the
stand-in's base URL. It answers the connector's REST paths, records every request, injects
faults, throttles or hangs, and counts violations of Teams' documented rate limits::

    async with ConnectorStandIn() as standin:
        ...  # drive the bot against standin.service_url
        await standin.wait_for(lambda s: len(s.delivered) >= 1)

Anonymous mode only: the ``Authorization`` header is recorded, never checked. When scripting
faults: msrest never retries POSTs; urllib3 retries PUT, DELETE and GET up to 3 times on
408/5xx and on 413/429/503 with Retry-After, each retry its own entry in ``attempts``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import copy
import hashlib
import itertools
import json
import math
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from aiohttp import web

ADAPTIVE_CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"

WRITE_KINDS = frozenset({"send", "reply", "update", "delete"})
DELIVERY_KINDS = frozenset({"send", "reply", "update", "delete", "create_conversation"})

# Teams' documented limits (learn.microsoft.com, Teams "rate limit"): (max requests, window seconds).
TEAMS_CONVERSATION_LIMITS: tuple[tuple[int, float], ...] = (
    (7, 1.0),
    (8, 2.0),
    (60, 30.0),
    (1800, 3600.0),
)
TEAMS_TENANT_LIMITS: tuple[tuple[int, float], ...] = ((50, 1.0),)

DEFAULT_ERROR_CODES: dict[int, str] = {
    400: "BadSyntax",
    401: "Unauthorized",
    403: "ConversationBlockedByUser",
    404: "ConversationNotFound",
    408: "RequestTimeout",
    412: "PreconditionFailed",
    413: "MessageSizeTooBig",
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}

UNKNOWN_TENANT = "<unknown>"


# --------------------------------------------------------------------------- records


@dataclass
class _ServedFile:
    body: bytes
    stall_after: int | None
    status: int
    chunk: int
    send_length: bool


@dataclass
class Attempt:
    """One HTTP request received by the stand-in, whatever its outcome."""

    seq: int
    method: str
    path: str
    query: dict[str, str]
    kind: str  # see ConnectorStandIn.kind docs; 'unknown' for unhandled routes
    conversation_id: str | None
    activity_id: str | None  # path activity id (reply/update/delete), else None
    tenant_id: str | None
    body: Any  # parsed JSON body, raw text if not JSON, None if empty
    headers: dict[str, str]
    authorization: str | None
    timestamp: float  # time.monotonic() when the request arrived
    status: int = 0  # HTTP status answered (0 while in flight)
    outcome: str = "pending"  # 'ok' | 'fault' | 'throttled' | 'hung' | 'not_found' | 'bad_request' | 'blocked' | 'too_large'
    error_code: str | None = None
    retry_after: str | None = None  # the Retry-After header sent, if any
    raw_path: str = ""  # the path as sent, before percent-decoding
    response: Any = None  # JSON body answered

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class Recorded:
    """One successful delivery: send, reply, update, delete or create_conversation."""

    seq: int
    kind: str  # 'send' | 'reply' | 'update' | 'delete' | 'create_conversation'
    conversation_id: str
    activity_id: (
        str | None
    )  # id assigned (send/reply/create) or targeted (update/delete)
    reply_to_id: str | None  # the path activity id of a reply
    activity: dict[str, Any] | None  # activity JSON as received (None for delete)
    tenant_id: str | None
    timestamp: float  # time.monotonic()
    attempt: Attempt
    parameters: dict[str, Any] | None = (
        None  # full ConversationParameters (create only)
    )

    @property
    def text(self) -> str | None:
        return (self.activity or {}).get("text")

    @property
    def cards(self) -> list[dict[str, Any]]:
        """Adaptive Card contents among the activity's attachments."""
        return _adaptive_cards(self.activity)

    @property
    def members(self) -> list[dict[str, Any]]:
        return list((self.parameters or {}).get("members") or [])

    @property
    def is_group(self) -> bool | None:
        return (self.parameters or {}).get("isGroup")

    @property
    def channel_data(self) -> dict[str, Any] | None:
        if self.kind == "create_conversation":
            return (self.parameters or {}).get("channelData")
        return (self.activity or {}).get("channelData")


@dataclass
class LimitViolation:
    """A request that took a sliding window past one of Teams' documented limits."""

    scope: str  # 'conversation' | 'tenant'
    key: str  # the conversation id or tenant id
    limit: int
    window: float  # seconds
    observed: int  # requests in the window including this one
    timestamp: float
    attempt: Attempt

    @property
    def rule(self) -> str:
        window = int(self.window) if float(self.window).is_integer() else self.window
        return f"{self.scope}:{self.limit}/{window}s"


def _filters_match(
    path_contains: str | None,
    conversation_id: str | None,
    method: str | None,
    kind: str | None,
    attempt: Attempt,
) -> bool:
    if path_contains is not None and path_contains not in attempt.path:
        return False
    if conversation_id is not None and attempt.conversation_id != conversation_id:
        return False
    if method is not None and attempt.method != method.upper():
        return False
    return not (kind is not None and attempt.kind != kind)


@dataclass
class _Fault:
    status: int
    retry_after: float | None
    path_contains: str | None
    conversation_id: str | None
    method: str | None
    kind: str | None
    body: Any
    remaining: int  # -1: forever

    def matches(self, attempt: Attempt) -> bool:
        return _filters_match(
            self.path_contains, self.conversation_id, self.method, self.kind, attempt
        )


@dataclass
class _Hang:
    seconds: float
    deliver: bool
    path_contains: str | None
    conversation_id: str | None
    method: str | None
    kind: str | None
    remaining: int

    def matches(self, attempt: Attempt) -> bool:
        return _filters_match(
            self.path_contains, self.conversation_id, self.method, self.kind, attempt
        )


@dataclass
class _Throttle:
    per_conversation_per_second: float | None = None
    per_tenant_per_second: float | None = None
    teams_limits: bool = False
    retry_after: float | None = None


# --------------------------------------------------------------------------- helpers


def _adaptive_cards(activity: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not activity:
        return []
    out: list[dict[str, Any]] = []
    for att in activity.get("attachments") or []:
        if not isinstance(att, dict):
            continue
        content = att.get("content")
        if att.get("contentType") == ADAPTIVE_CARD_CONTENT_TYPE and isinstance(
            content, dict
        ):
            out.append(content)
    return out


def _error_body(
    status: int, code: str | None = None, message: str | None = None
) -> dict[str, Any]:
    code = code or DEFAULT_ERROR_CODES.get(status, f"Http{status}")
    return {
        "error": {
            "code": code,
            "message": message or f"Stand-in scripted {status} {code}",
        }
    }


def _format_retry_after(seconds: float) -> str:
    # urllib3 only accepts an integer number of seconds (or an HTTP date).
    return str(max(0, math.ceil(seconds)))


def _tenant_from_json(data: Any) -> str | None:
    if not isinstance(data, dict):
        return None
    conv = data.get("conversation")
    if isinstance(conv, dict):
        # botbuilder-python serialises ConversationAccount.tenant_id as "tenantID".
        for key in ("tenantId", "tenantID"):
            if conv.get(key):
                return str(conv[key])
    if data.get("tenantId"):
        return str(data["tenantId"])
    cd = data.get("channelData")
    if isinstance(cd, dict):
        tenant = cd.get("tenant")
        if isinstance(tenant, dict) and tenant.get("id"):
            return str(tenant["id"])
    act = data.get("activity")
    if isinstance(act, dict) and act is not data:
        return _tenant_from_json(act)
    return None


def _rate_rule(per_second: float) -> tuple[int, float]:
    """A rate as (max requests, window seconds): 5 -> (5, 1 s); 0.5 -> (1, 2 s)."""
    if per_second <= 0:
        return (0, 1.0)
    if per_second >= 1:
        return (int(per_second), 1.0)
    return (1, 1.0 / per_second)


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"standin:{offset}".encode()).decode()


def _decode_token(token: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    prefix, _, number = raw.partition(":")
    if prefix != "standin" or not number.isdigit():
        return None
    return int(number)


def _member_matches(member: dict[str, Any], member_id: str) -> bool:
    wanted = member_id.lower()
    for key in ("id", "aadObjectId", "userPrincipalName", "email"):
        value = member.get(key)
        if isinstance(value, str) and value.lower() == wanted:
            return True
    return False


# --------------------------------------------------------------------------- server


class ConnectorStandIn:
    """A recording, fault-injecting Bot Connector stand-in on 127.0.0.1.

    Request kinds (``Attempt.kind``): 'create_conversation', 'get_conversations',
    'send', 'reply', 'update', 'delete', 'history', 'get_members', 'get_member',
    'delete_member', 'get_paged_members', 'get_activity_members', 'upload_attachment',
    'get_channels', 'get_team', 'unknown'.
    """

    def __init__(
        self,
        *,
        roster: Iterable[dict[str, Any]] | None = None,
        default_tenant_id: str | None = None,
        max_activity_bytes: int | None = None,
        strict_activity_ids: bool = False,
        default_page_size: int = 200,
        host: str = "127.0.0.1",
    ) -> None:
        """
        :param roster: default member list for every conversation (TeamsChannelAccount-like
            dicts: id, name, aadObjectId, email, userPrincipalName, tenantId, userRole).
        :param default_tenant_id: tenant used for rate accounting when none can be inferred.
        :param max_activity_bytes: answer 413 MessageSizeTooBig for larger activity bodies.
        :param strict_activity_ids: 404 on update/delete of an activity id never delivered.
        :param default_page_size: page size for pagedmembers when the client gives none.
        """
        self.host = host
        self.default_tenant_id = default_tenant_id
        self.max_activity_bytes = max_activity_bytes
        self.strict_activity_ids = strict_activity_ids
        self.default_page_size = default_page_size

        self.attempts: list[Attempt] = []
        self.delivered: list[Recorded] = []
        self.unhandled: list[Attempt] = []

        self._default_roster: list[dict[str, Any]] = [dict(m) for m in roster or []]
        self._rosters: dict[str, list[dict[str, Any]]] = {}
        self._channels: dict[str, list[dict[str, Any]]] = {}
        self._teams: dict[str, dict[str, Any]] = {}
        self._conversation_tenants: dict[str, str] = {}
        self._latest: dict[str, dict[str, Any] | None] = {}
        self._activity_conversation: dict[str, str] = {}

        self._faults: list[_Fault] = []
        self._hangs: list[_Hang] = []
        self._throttle = _Throttle()
        self._throttle_windows: dict[tuple[str, str], deque[float]] = {}
        self._limit_windows: dict[tuple[str, str], deque[float]] = {}
        self._violations: list[LimitViolation] = []

        self._seq = itertools.count(1)
        self._id_base = int(time.time() * 1000)
        self._id_counter = itertools.count(1)

        # Files served for Teams-like downloadUrls (serve_file), and every request made for one.
        self._files: dict[str, _ServedFile] = {}
        self.file_requests: list[str] = []

        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._port: int | None = None
        self._condition: asyncio.Condition | None = None
        self._stopping: asyncio.Event | None = None

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> str:
        """Start listening on an ephemeral port; return the base URL (ends with '/')."""
        if self._runner is not None:
            return self.service_url
        self._condition = asyncio.Condition()
        self._stopping = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, self.host, 0)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        if not sockets:  # pragma: no cover - aiohttp internals changed
            await runner.cleanup()
            raise RuntimeError("could not determine the stand-in's port")
        self._port = int(sockets[0].getsockname()[1])
        self._runner, self._site = runner, site
        return self.service_url

    async def stop(self) -> None:
        """Stop the server; hanging requests are released first."""
        if self._stopping is not None:
            self._stopping.set()
        if self._runner is not None:
            runner, self._runner, self._site = self._runner, None, None
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("ConnectorStandIn not started")
        return self._port

    @property
    def service_url(self) -> str:
        """Base URL, e.g. 'http://127.0.0.1:54321/' (same value start() returned)."""
        return f"http://{self.host}:{self.port}/"

    base_url = service_url

    # ------------------------------------------------------------------ configuration

    def set_roster(
        self, members: Iterable[dict[str, Any]], conversation_id: str | None = None
    ) -> None:
        """Set the member list of one conversation (or the default for all)."""
        members_list = [dict(m) for m in members]
        if conversation_id is None:
            self._default_roster = members_list
        else:
            self._rosters[conversation_id] = members_list

    def roster_for(self, conversation_id: str) -> list[dict[str, Any]]:
        return self._rosters.get(conversation_id, self._default_roster)

    def set_channels(
        self,
        team_id: str,
        channels: Iterable[dict[str, Any]],
        *,
        name: str | None = None,
        aad_group_id: str | None = None,
    ) -> None:
        """Channels for GET /v3/teams/{team_id}/conversations ({id, name} dicts)."""
        self._channels[team_id] = [dict(c) for c in channels]
        team = self._teams.setdefault(team_id, {"id": team_id})
        if name is not None:
            team["name"] = name
        if aad_group_id is not None:
            team["aadGroupId"] = aad_group_id

    def register_conversation(self, conversation_id: str, tenant_id: str) -> None:
        """Tell the stand-in which tenant a conversation belongs to (for the 50/s rule)."""
        self._conversation_tenants[conversation_id] = tenant_id

    def seed_activity(
        self,
        conversation_id: str,
        activity_id: str,
        activity: dict[str, Any] | None = None,
    ) -> None:
        """Pretend an activity exists already (useful with strict_activity_ids)."""
        self._latest[activity_id] = dict(
            activity or {"id": activity_id, "type": "message"}
        )
        self._activity_conversation[activity_id] = conversation_id

    def fail_next(
        self,
        n: int = 1,
        status: int = 503,
        retry_after: float | None = None,
        path_contains: str | None = None,
        conversation_id: str | None = None,
        *,
        method: str | None = None,
        kind: str | None = None,
        code: str | None = None,
        body: Any = None,
    ) -> None:
        """Answer the next ``n`` matching requests with ``status``.

        Faults queue in order; a request consumes the first matching fault. ``body``
        defaults to ``{"error": {"code": code or a default for the status, ...}}``
        (403 ConversationBlockedByUser, 404 ConversationNotFound, 429 TooManyRequests,
        412 PreconditionFailed, 502/503/504 ...). ``retry_after`` sets a Retry-After
        header (whole seconds, rounded up). Filters: ``path_contains`` (substring of the
        decoded path), ``conversation_id``, ``method`` ('POST', 'PUT', ...), ``kind``.
        """
        if n <= 0:
            return
        self._faults.append(
            _Fault(
                status=status,
                retry_after=retry_after,
                path_contains=path_contains,
                conversation_id=conversation_id,
                method=method.upper() if method else None,
                kind=kind,
                body=body if body is not None else _error_body(status, code),
                remaining=n,
            )
        )

    def fail_always(
        self,
        status: int,
        *,
        code: str | None = None,
        conversation_id: str | None = None,
        path_contains: str | None = None,
        method: str | None = None,
        kind: str | None = None,
        retry_after: float | None = None,
        body: Any = None,
    ) -> None:
        """Persistent fault (e.g. 403 BotNotInConversationRoster) until clear_faults()."""
        self._faults.append(
            _Fault(
                status=status,
                retry_after=retry_after,
                path_contains=path_contains,
                conversation_id=conversation_id,
                method=method.upper() if method else None,
                kind=kind,
                body=body if body is not None else _error_body(status, code),
                remaining=-1,
            )
        )

    def block_conversation(
        self,
        conversation_id: str,
        status: int = 403,
        code: str = "ConversationBlockedByUser",
    ) -> None:
        """Every request to ``conversation_id`` fails with ``status``/``code`` from now on."""
        self.fail_always(status, code=code, conversation_id=conversation_id)

    def clear_faults(self) -> None:
        """Drop queued and persistent faults and hangs (throttle stays)."""
        self._faults.clear()
        self._hangs.clear()

    @property
    def pending_faults(self) -> int:
        """Scripted one-shot faults not yet consumed."""
        return sum(f.remaining for f in self._faults if f.remaining > 0)

    def hang_next(
        self,
        seconds: float,
        n: int = 1,
        *,
        deliver: bool = True,
        path_contains: str | None = None,
        conversation_id: str | None = None,
        method: str | None = None,
        kind: str | None = None,
    ) -> None:
        """Hold the next ``n`` matching requests for ``seconds`` before answering.

        With ``deliver=True`` the request is then processed normally (recorded as delivered
        even if the client already timed out: the "ghost delivery" that makes retries
        produce duplicates). With ``deliver=False`` it is answered 504 and not delivered.
        stop() releases hanging requests at once.
        """
        if n <= 0:
            return
        self._hangs.append(
            _Hang(
                seconds=seconds,
                deliver=deliver,
                path_contains=path_contains,
                conversation_id=conversation_id,
                method=method.upper() if method else None,
                kind=kind,
                remaining=n,
            )
        )

    def throttle(
        self,
        per_conversation_per_second: float | None = None,
        per_tenant_per_second: float | None = None,
        *,
        teams_limits: bool = False,
        retry_after: float | None = None,
    ) -> None:
        """Answer 429 (with Retry-After) when a client goes over a rate.

        ``per_conversation_per_second`` applies to writes (send/reply/update/delete) per
        conversation; ``per_tenant_per_second`` to every request per tenant. With
        ``teams_limits=True`` the documented Teams limits are enforced as well
        (7/1 s, 8/2 s, 60/30 s, 1800/h per conversation; 50/s per tenant). Only requests
        that were let through count toward the throttle windows. Retry-After defaults to
        the time until the window frees up (whole seconds, at least 1). Call with no
        arguments to switch throttling off. Counted in ``throttled`` / ``throttle_count``.
        """
        self._throttle = _Throttle(
            per_conversation_per_second=per_conversation_per_second,
            per_tenant_per_second=per_tenant_per_second,
            teams_limits=teams_limits,
            retry_after=retry_after,
        )
        self._throttle_windows.clear()

    def reset(self) -> None:
        """Forget records, faults, hangs, throttling and violations (config stays)."""
        self.attempts.clear()
        self.delivered.clear()
        self.unhandled.clear()
        self._latest.clear()
        self._activity_conversation.clear()
        self._faults.clear()
        self._hangs.clear()
        self._throttle = _Throttle()
        self._throttle_windows.clear()
        self._limit_windows.clear()
        self._violations.clear()

    # ------------------------------------------------------------------ queries

    @property
    def sent(self) -> list[Recorded]:
        """Alias of ``delivered``: successful send/reply/update/delete/create_conversation."""
        return self.delivered

    @property
    def failed_attempts(self) -> list[Attempt]:
        """Attempts answered with a non-2xx status (faults, throttling, 404s, ...)."""
        return [a for a in self.attempts if a.status and not a.ok]

    @property
    def throttled(self) -> list[Attempt]:
        return [a for a in self.attempts if a.outcome == "throttled"]

    @property
    def throttle_count(self) -> int:
        return len(self.throttled)

    def attempts_in(
        self, conversation_id: str, kinds: Iterable[str] | None = None
    ) -> list[Attempt]:
        wanted = set(kinds) if kinds is not None else None
        return [
            a
            for a in self.attempts
            if a.conversation_id == conversation_id
            and (wanted is None or a.kind in wanted)
        ]

    def records_in(
        self, conversation_id: str, kinds: Iterable[str] | None = None
    ) -> list[Recorded]:
        """Deliveries to a conversation, in order (all kinds unless ``kinds`` given)."""
        wanted = set(kinds) if kinds is not None else None
        return [
            r
            for r in self.delivered
            if r.conversation_id == conversation_id
            and (wanted is None or r.kind in wanted)
        ]

    def activities_in(
        self, conversation_id: str, kinds: Iterable[str] = ("send", "reply")
    ) -> list[dict[str, Any]]:
        """Activity JSON delivered to a conversation (new messages by default).

        Each is a copy with ``id`` set to the id the stand-in assigned (send/reply) or
        targeted (update). Pass ``kinds=("send", "reply", "update")`` to include updates.
        """
        out: list[dict[str, Any]] = []
        for r in self.records_in(conversation_id, kinds):
            if r.activity is None:
                continue
            act = copy.deepcopy(r.activity)
            if r.activity_id:
                act["id"] = r.activity_id
            out.append(act)
        return out

    def cards_in(
        self, conversation_id: str, kinds: Iterable[str] = ("send", "reply", "update")
    ) -> list[dict[str, Any]]:
        """Adaptive Card contents delivered to a conversation, in delivery order
        (sends, replies and updates by default)."""
        out: list[dict[str, Any]] = []
        for r in self.records_in(conversation_id, kinds):
            out.extend(r.cards)
        return out

    def latest(self, activity_id: str) -> dict[str, Any] | None:
        """Latest version of an activity (original or last update), with ``id`` set;
        None if unknown or deleted."""
        act = self._latest.get(activity_id)
        if act is None:
            return None
        out = copy.deepcopy(act)
        out["id"] = activity_id
        return out

    def is_deleted(self, activity_id: str) -> bool:
        return activity_id in self._latest and self._latest[activity_id] is None

    def conversation_of(self, activity_id: str) -> str | None:
        return self._activity_conversation.get(activity_id)

    @property
    def created_conversations(self) -> list[Recorded]:
        return [r for r in self.delivered if r.kind == "create_conversation"]

    def limit_violations(self) -> list[LimitViolation]:
        """Requests that went past a documented Teams limit (counted on every request
        that arrived, whatever it was answered). Per conversation: writes; per tenant:
        every request."""
        return list(self._violations)

    def violation_counts(self) -> Counter[str]:
        """Violations by rule, e.g. {'conversation:7/1s': 3, 'tenant:50/1s': 1}."""
        return Counter(v.rule for v in self._violations)

    async def wait_for(
        self, predicate: Callable[[ConnectorStandIn], Any], timeout: float = 5.0
    ) -> Any:
        """Wait until ``predicate(self)`` is truthy; return its value.

        Re-evaluated whenever a request arrives and whenever one is answered. Raises ``TimeoutError`` after ``timeout``.
        """
        if self._condition is None:
            raise RuntimeError("ConnectorStandIn not started")
        cond = self._condition
        result: Any = None

        def check() -> bool:
            nonlocal result
            result = predicate(self)
            return bool(result)

        async with cond:
            try:
                await asyncio.wait_for(cond.wait_for(check), timeout)
            except TimeoutError:
                raise TimeoutError(
                    f"stand-in condition not met within {timeout}s"
                ) from None
        return result

    async def wait_for_deliveries(
        self,
        n: int,
        conversation_id: str | None = None,
        kinds: Iterable[str] | None = None,
        timeout: float = 5.0,
    ) -> list[Recorded]:
        """Wait until at least ``n`` deliveries (optionally filtered) exist; return them."""
        wanted = set(kinds) if kinds is not None else None

        def pick(s: ConnectorStandIn) -> list[Recorded]:
            return [
                r
                for r in s.delivered
                if (conversation_id is None or r.conversation_id == conversation_id)
                and (wanted is None or r.kind in wanted)
            ]

        await self.wait_for(lambda s: len(pick(s)) >= n, timeout)
        return pick(self)

    # ------------------------------------------------------------------ internals

    def _new_activity_id(self) -> str:
        return str(self._id_base + next(self._id_counter))

    async def _notify(self) -> None:
        if self._condition is None:
            return
        async with self._condition:
            self._condition.notify_all()

    def _tenant_for(self, conversation_id: str | None, body: Any) -> str | None:
        tenant = _tenant_from_json(body)
        if tenant:
            if conversation_id and conversation_id not in self._conversation_tenants:
                self._conversation_tenants[conversation_id] = tenant
            return tenant
        if conversation_id:
            known = self._conversation_tenants.get(conversation_id)
            if known:
                return known
            base = conversation_id.split(";", 1)[0]
            if base in self._conversation_tenants:
                return self._conversation_tenants[base]
        return self.default_tenant_id

    @staticmethod
    def _classify(
        method: str, parts: list[str]
    ) -> tuple[str, str | None, str | None, str | None]:
        """Return (kind, conversation_id, activity_id, extra) for a path split on '/'."""
        # parts like ['v3', 'conversations', '{cid}', 'activities', '{aid}']
        if len(parts) >= 2 and parts[0] == "v3" and parts[1] == "conversations":
            if len(parts) == 2:
                if method == "POST":
                    return "create_conversation", None, None, None
                if method == "GET":
                    return "get_conversations", None, None, None
                return "unknown", None, None, None
            cid = parts[2]
            rest = parts[3:]
            if rest == ["activities"] and method == "POST":
                return "send", cid, None, None
            if rest == ["activities", "history"] and method == "POST":
                return "history", cid, None, None
            if len(rest) == 2 and rest[0] == "activities":
                aid = rest[1]
                return (
                    {"POST": "reply", "PUT": "update", "DELETE": "delete"}.get(
                        method, "unknown"
                    ),
                    cid,
                    aid,
                    None,
                )
            if (
                len(rest) == 3
                and rest[0] == "activities"
                and rest[2] == "members"
                and method == "GET"
            ):
                return "get_activity_members", cid, rest[1], None
            if rest == ["members"] and method == "GET":
                return "get_members", cid, None, None
            if len(rest) == 2 and rest[0] == "members":
                if method == "GET":
                    return "get_member", cid, None, rest[1]
                if method == "DELETE":
                    return "delete_member", cid, None, rest[1]
            if rest == ["pagedmembers"] and method == "GET":
                return "get_paged_members", cid, None, None
            if rest == ["attachments"] and method == "POST":
                return "upload_attachment", cid, None, None
            return "unknown", cid, None, None
        if (
            len(parts) >= 3
            and parts[0] == "v3"
            and parts[1] == "teams"
            and method == "GET"
        ):
            if len(parts) == 3:
                return "get_team", None, None, parts[2]
            if len(parts) == 4 and parts[3] == "conversations":
                return "get_channels", None, None, parts[2]
        return "unknown", None, None, None

    def _count_limits(self, attempt: Attempt) -> None:
        now = attempt.timestamp
        checks: list[tuple[str, str, tuple[tuple[int, float], ...]]] = []
        if attempt.kind in WRITE_KINDS and attempt.conversation_id:
            checks.append(
                ("conversation", attempt.conversation_id, TEAMS_CONVERSATION_LIMITS)
            )
        checks.append(
            ("tenant", attempt.tenant_id or UNKNOWN_TENANT, TEAMS_TENANT_LIMITS)
        )
        for scope, key, rules in checks:
            window = self._limit_windows.setdefault((scope, key), deque())
            window.append(now)
            longest = max(w for _, w in rules)
            while window and window[0] <= now - longest:
                window.popleft()
            for limit, span in rules:
                observed = sum(1 for t in window if t > now - span)
                if observed > limit:
                    self._violations.append(
                        LimitViolation(scope, key, limit, span, observed, now, attempt)
                    )

    def _check_throttle(self, attempt: Attempt) -> float | None:
        """Seconds to wait if this attempt must be throttled, else None (and count it)."""
        cfg = self._throttle
        now = attempt.timestamp
        buckets: list[tuple[tuple[str, str], list[tuple[int, float]]]] = []
        conv_rules: list[tuple[int, float]] = []
        tenant_rules: list[tuple[int, float]] = []
        if cfg.per_conversation_per_second is not None:
            conv_rules.append(_rate_rule(cfg.per_conversation_per_second))
        if cfg.per_tenant_per_second is not None:
            tenant_rules.append(_rate_rule(cfg.per_tenant_per_second))
        if cfg.teams_limits:
            conv_rules.extend(TEAMS_CONVERSATION_LIMITS)
            tenant_rules.extend(TEAMS_TENANT_LIMITS)
        if conv_rules and attempt.kind in WRITE_KINDS and attempt.conversation_id:
            buckets.append((("conversation", attempt.conversation_id), conv_rules))
        if tenant_rules:
            buckets.append(
                (("tenant", attempt.tenant_id or UNKNOWN_TENANT), tenant_rules)
            )
        if not buckets:
            return None
        wait = 0.0
        for key, rules in buckets:
            window = self._throttle_windows.setdefault(key, deque())
            longest = max(w for _, w in rules)
            while window and window[0] <= now - longest:
                window.popleft()
            for limit, span in rules:
                inside = [t for t in window if t > now - span]
                if len(inside) >= limit:
                    # frees up when the oldest counted request leaves the window
                    oldest = inside[len(inside) - limit] if limit > 0 else now
                    wait = max(wait, oldest + span - now, 1e-3)
        if wait > 0:
            return wait
        for key, _ in buckets:
            self._throttle_windows[key].append(now)
        return None

    def _take_fault(self, attempt: Attempt) -> _Fault | None:
        for fault in self._faults:
            if fault.matches(attempt):
                if fault.remaining > 0:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                return fault
        return None

    def _take_hang(self, attempt: Attempt) -> _Hang | None:
        for hang in self._hangs:
            if hang.matches(attempt):
                hang.remaining -= 1
                if hang.remaining <= 0:
                    self._hangs.remove(hang)
                return hang
        return None

    def _respond(
        self,
        attempt: Attempt,
        status: int,
        body: Any,
        outcome: str,
        retry_after: str | None = None,
    ) -> web.Response:
        attempt.status = status
        attempt.outcome = outcome
        attempt.response = body
        attempt.retry_after = retry_after
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            attempt.error_code = body["error"].get("code")
        headers = {"Retry-After": retry_after} if retry_after is not None else None
        if body is None:
            return web.Response(status=status, headers=headers)
        return web.json_response(body, status=status, headers=headers)

    def serve_file(self, body: bytes, name: str = "file", *, stall_after: int | None = None, status: int = 200,
                   chunk: int = 64 * 1024, send_length: bool = True) -> str:
        """A pre-authorised download address for `body`, as Teams gives in a file attachment's
        `downloadUrl`. `stall_after`: send that many bytes, then nothing until the stand-in stops."""
        token = uuid.uuid4().hex
        self._files[token] = _ServedFile(body, stall_after, status, chunk, send_length)
        return f"{self.service_url}_files/{token}/{name}"

    async def _serve_file(self, request: web.Request) -> web.StreamResponse:
        self.file_requests.append(request.path)
        parts = request.path.split("/")
        served = self._files.get(parts[2]) if len(parts) > 2 else None
        if served is None:
            return web.Response(status=404)
        if served.status != 200:
            return web.Response(status=served.status)
        headers = {"Content-Type": "application/octet-stream"}
        if served.send_length:
            headers["Content-Length"] = str(len(served.body))
        response = web.StreamResponse(headers=headers)
        await response.prepare(request)
        limit = len(served.body) if served.stall_after is None else served.stall_after
        for offset in range(0, limit, served.chunk):
            await response.write(served.body[offset:min(offset + served.chunk, limit)])
        if served.stall_after is not None:
            assert self._stopping is not None
            await self._stopping.wait()  # never finishes: the bot must give up
            return response
        await response.write_eof()
        return response

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        if request.path.startswith("/_files/"):
            return await self._serve_file(request)
        try:
            response = await self._handle(request)
        finally:
            await self._notify()
        return response

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        method = request.method.upper()
        path = request.path  # percent-decoded
        parts = [p for p in path.split("/") if p]
        kind, cid, aid, extra = self._classify(method, parts)
        tenant = self._tenant_for(cid, body)
        attempt = Attempt(
            seq=next(self._seq),
            method=method,
            path=path,
            query=dict(request.query),
            kind=kind,
            conversation_id=cid,
            activity_id=aid,
            tenant_id=tenant,
            body=body,
            headers=dict(request.headers),
            authorization=request.headers.get("Authorization"),
            timestamp=time.monotonic(),
            raw_path=request.raw_path,
        )
        self.attempts.append(attempt)
        self._count_limits(attempt)
        await self._notify()

        hang = self._take_hang(attempt)
        if hang is not None:
            assert self._stopping is not None
            try:
                await asyncio.wait_for(self._stopping.wait(), hang.seconds)
            except TimeoutError:
                pass
            if not hang.deliver or self._stopping.is_set():
                return self._respond(attempt, 504, _error_body(504), "hung")

        fault = self._take_fault(attempt)
        if fault is not None:
            outcome = "blocked" if fault.remaining < 0 else "fault"
            retry_after = (
                _format_retry_after(fault.retry_after)
                if fault.retry_after is not None
                else None
            )
            return self._respond(
                attempt, fault.status, fault.body, outcome, retry_after
            )

        wait = self._check_throttle(attempt)
        if wait is not None:
            seconds = (
                self._throttle.retry_after
                if self._throttle.retry_after is not None
                else max(1.0, wait)
            )
            return self._respond(
                attempt,
                429,
                _error_body(429, message="Stand-in throttled"),
                "throttled",
                _format_retry_after(seconds),
            )

        if (
            self.max_activity_bytes is not None
            and kind in ("send", "reply", "update", "create_conversation")
            and len(raw) > self.max_activity_bytes
        ):
            return self._respond(attempt, 413, _error_body(413), "too_large")

        handler = getattr(self, f"_on_{kind}", None)
        if handler is None:
            self.unhandled.append(attempt)
            return self._respond(
                attempt,
                404,
                _error_body(404, "NotFound", f"no route {method} {path}"),
                "not_found",
            )
        result: web.Response = await handler(attempt, extra)
        return result

    def _record(
        self,
        attempt: Attempt,
        kind: str,
        conversation_id: str,
        activity_id: str | None,
        activity: dict[str, Any] | None,
        reply_to_id: str | None = None,
        parameters: dict[str, Any] | None = None,
    ) -> Recorded:
        rec = Recorded(
            seq=attempt.seq,
            kind=kind,
            conversation_id=conversation_id,
            activity_id=activity_id,
            reply_to_id=reply_to_id,
            activity=activity,
            tenant_id=attempt.tenant_id,
            timestamp=time.monotonic(),
            attempt=attempt,
            parameters=parameters,
        )
        self.delivered.append(rec)
        return rec

    def _body_dict(self, attempt: Attempt) -> dict[str, Any] | None:
        return attempt.body if isinstance(attempt.body, dict) else None

    # ---- route handlers (called as _on_<kind>)

    async def _on_create_conversation(
        self, attempt: Attempt, _extra: str | None
    ) -> web.Response:
        params = self._body_dict(attempt)
        if params is None:
            return self._respond(
                attempt,
                400,
                _error_body(400, "BadArgument", "body must be JSON"),
                "bad_request",
            )
        members = params.get("members") or []
        channel_data = params.get("channelData") or {}
        channel = (
            channel_data.get("channel") if isinstance(channel_data, dict) else None
        )
        activity = (
            params.get("activity") if isinstance(params.get("activity"), dict) else None
        )
        activity_id: str | None = None
        if isinstance(channel, dict) and channel.get("id"):
            # New thread in a channel: "<channel id>;messageid=<root activity id>".
            activity_id = self._new_activity_id()
            cid = f"{channel['id']};messageid={activity_id}"
        elif (
            len(members) == 1
            and not params.get("isGroup")
            and isinstance(members[0], dict)
        ):
            # 1:1 chats are stable per user, as in Teams.
            digest = hashlib.sha256(str(members[0].get("id", "")).encode()).hexdigest()[
                :32
            ]
            cid = f"a:1on1-{digest}"
        else:
            cid = f"a:{uuid.uuid4()}"
        tenant = attempt.tenant_id
        if tenant:
            self._conversation_tenants.setdefault(cid, tenant)
            if isinstance(channel, dict) and channel.get("id"):
                self._conversation_tenants.setdefault(str(channel["id"]), tenant)
        if activity is not None and activity_id is None:
            activity_id = self._new_activity_id()
        attempt.conversation_id = cid
        self._record(
            attempt,
            "create_conversation",
            cid,
            activity_id,
            activity,
            parameters=params,
        )
        if activity is not None and activity_id is not None:
            self._latest[activity_id] = activity
            self._activity_conversation[activity_id] = cid
        response: dict[str, Any] = {"id": cid, "serviceUrl": self.service_url}
        if activity_id is not None:
            response["activityId"] = activity_id
        return self._respond(attempt, 201, response, "ok")

    async def _on_send(self, attempt: Attempt, _extra: str | None) -> web.Response:
        return self._deliver_new(attempt, "send", None)

    async def _on_reply(self, attempt: Attempt, _extra: str | None) -> web.Response:
        return self._deliver_new(attempt, "reply", attempt.activity_id)

    def _deliver_new(
        self, attempt: Attempt, kind: str, reply_to_id: str | None
    ) -> web.Response:
        activity = self._body_dict(attempt)
        if activity is None or not activity.get("type"):
            return self._respond(
                attempt,
                400,
                _error_body(400, "BadArgument", "activity type missing"),
                "bad_request",
            )
        assert attempt.conversation_id is not None
        new_id = self._new_activity_id()
        self._record(
            attempt,
            kind,
            attempt.conversation_id,
            new_id,
            activity,
            reply_to_id=reply_to_id,
        )
        self._latest[new_id] = activity
        self._activity_conversation[new_id] = attempt.conversation_id
        return self._respond(attempt, 201, {"id": new_id}, "ok")

    def _unknown_activity(self, attempt: Attempt) -> bool:
        aid = attempt.activity_id
        return self.strict_activity_ids and (
            aid is None or aid not in self._latest or self._latest[aid] is None
        )

    async def _on_update(self, attempt: Attempt, _extra: str | None) -> web.Response:
        activity = self._body_dict(attempt)
        if activity is None:
            return self._respond(
                attempt,
                400,
                _error_body(400, "BadArgument", "body must be JSON"),
                "bad_request",
            )
        if self._unknown_activity(attempt):
            return self._respond(
                attempt,
                404,
                _error_body(404, "ActivityNotFoundInConversation"),
                "not_found",
            )
        assert attempt.conversation_id is not None and attempt.activity_id is not None
        self._record(
            attempt, "update", attempt.conversation_id, attempt.activity_id, activity
        )
        self._latest[attempt.activity_id] = activity
        self._activity_conversation.setdefault(
            attempt.activity_id, attempt.conversation_id
        )
        return self._respond(attempt, 200, {"id": attempt.activity_id}, "ok")

    async def _on_delete(self, attempt: Attempt, _extra: str | None) -> web.Response:
        if self._unknown_activity(attempt):
            return self._respond(
                attempt,
                404,
                _error_body(404, "ActivityNotFoundInConversation"),
                "not_found",
            )
        assert attempt.conversation_id is not None and attempt.activity_id is not None
        self._record(
            attempt, "delete", attempt.conversation_id, attempt.activity_id, None
        )
        self._latest[attempt.activity_id] = None
        self._activity_conversation.setdefault(
            attempt.activity_id, attempt.conversation_id
        )
        return self._respond(attempt, 200, None, "ok")

    async def _on_history(self, attempt: Attempt, _extra: str | None) -> web.Response:
        return self._respond(attempt, 201, {"id": self._new_activity_id()}, "ok")

    async def _on_get_conversations(
        self, attempt: Attempt, _extra: str | None
    ) -> web.Response:
        seen: dict[str, dict[str, Any]] = {}
        for r in self.delivered:
            seen.setdefault(r.conversation_id, {"id": r.conversation_id, "members": []})
        return self._respond(attempt, 200, {"conversations": list(seen.values())}, "ok")

    async def _on_get_members(
        self, attempt: Attempt, _extra: str | None
    ) -> web.Response:
        assert attempt.conversation_id is not None
        return self._respond(
            attempt, 200, self.roster_for(attempt.conversation_id), "ok"
        )

    async def _on_get_activity_members(
        self, attempt: Attempt, _extra: str | None
    ) -> web.Response:
        assert attempt.conversation_id is not None
        return self._respond(
            attempt, 200, self.roster_for(attempt.conversation_id), "ok"
        )

    async def _on_get_member(
        self, attempt: Attempt, member_id: str | None
    ) -> web.Response:
        assert attempt.conversation_id is not None
        for member in self.roster_for(attempt.conversation_id):
            if member_id and _member_matches(member, member_id):
                return self._respond(attempt, 200, member, "ok")
        return self._respond(
            attempt,
            404,
            _error_body(
                404, "MemberNotFoundInConversation", "The member was not found"
            ),
            "not_found",
        )

    async def _on_delete_member(
        self, attempt: Attempt, member_id: str | None
    ) -> web.Response:
        assert attempt.conversation_id is not None
        roster = self.roster_for(attempt.conversation_id)
        kept = [m for m in roster if not (member_id and _member_matches(m, member_id))]
        if len(kept) == len(roster):
            return self._respond(
                attempt,
                404,
                _error_body(404, "MemberNotFoundInConversation"),
                "not_found",
            )
        self._rosters[attempt.conversation_id] = kept
        return self._respond(attempt, 200, None, "ok")

    async def _on_get_paged_members(
        self, attempt: Attempt, _extra: str | None
    ) -> web.Response:
        assert attempt.conversation_id is not None
        roster = self.roster_for(attempt.conversation_id)
        size_raw = attempt.query.get("pageSize")
        try:
            size = int(size_raw) if size_raw else self.default_page_size
        except ValueError:
            return self._respond(
                attempt, 400, _error_body(400, "BadArgument", "pageSize"), "bad_request"
            )
        size = max(1, min(size, 500))
        token = attempt.query.get("continuationToken")
        offset = 0
        if token:
            decoded = _decode_token(token)
            if decoded is None or decoded > len(roster):
                return self._respond(
                    attempt,
                    400,
                    _error_body(400, "BadArgument", "invalid continuation token"),
                    "bad_request",
                )
            offset = decoded
        page = roster[offset : offset + size]
        body: dict[str, Any] = {"members": page}
        if offset + size < len(roster):
            body["continuationToken"] = _encode_token(offset + size)
        return self._respond(attempt, 200, body, "ok")

    async def _on_upload_attachment(
        self, attempt: Attempt, _extra: str | None
    ) -> web.Response:
        return self._respond(attempt, 200, {"id": f"att-{uuid.uuid4().hex[:12]}"}, "ok")

    async def _on_get_channels(
        self, attempt: Attempt, team_id: str | None
    ) -> web.Response:
        assert team_id is not None
        channels = self._channels.get(team_id)
        if channels is None:
            channels = [
                {"id": team_id, "name": None}
            ]  # the General channel shares the team id
        return self._respond(attempt, 200, {"conversations": channels}, "ok")

    async def _on_get_team(self, attempt: Attempt, team_id: str | None) -> web.Response:
        assert team_id is not None
        team = dict(self._teams.get(team_id, {"id": team_id}))
        team.setdefault("channelCount", len(self._channels.get(team_id, [{}])))
        team.setdefault("memberCount", len(self._default_roster))
        return self._respond(attempt, 200, team, "ok")


__all__ = [
    "ADAPTIVE_CARD_CONTENT_TYPE",
    "TEAMS_CONVERSATION_LIMITS",
    "TEAMS_TENANT_LIMITS",
    "Attempt",
    "ConnectorStandIn",
    "LimitViolation",
    "Recorded",
]
