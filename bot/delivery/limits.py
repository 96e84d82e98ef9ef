"""Pacing and retries for everything the bot sends on its own initiative.

Teams allows about 7 messages per second per conversation and 50 requests per second per
app and tenant; we keep well inside that: at most one message per second per conversation
and a configurable per-tenant rate (default 30/s). Transient failures (412, 429, 502, 503,
504, network) are retried with capped, jittered exponential backoff, honouring Retry-After;
403 and 404 are never retried.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.domain.project import ConversationTarget

Card = dict[str, Any]
RETRYABLE = frozenset({412, 429, 502, 503, 504})
PERMANENT = frozenset({403, 404})


class DeliveryError(Exception):
    def __init__(self, status: int, code: str = "", retry_after: float | None = None) -> None:
        super().__init__(f"{status} {code}".strip())
        self.status = status
        self.code = code
        self.retry_after = retry_after

    @property
    def permanent(self) -> bool:
        return self.status in PERMANENT

    @property
    def retryable(self) -> bool:
        return self.status in RETRYABLE or self.status == 0


class Messenger(Protocol):
    async def send(self, target: ConversationTarget, card: Card, mentions_text: str | None = None) -> str: ...

    async def update(self, target: ConversationTarget, activity_id: str, card: Card) -> None: ...

    async def open_personal(self, via: ConversationTarget, user_teams_id: str) -> ConversationTarget: ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_delay)
        capped: float = min(self.max_delay, self.base_delay * (2 ** attempt))
        return random.uniform(capped / 2, capped)  # noqa: S311 - jitter, not security


async def with_retries(call: Callable[[], Awaitable[Any]], policy: RetryPolicy,
                       sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> Any:
    for attempt in range(policy.attempts):
        try:
            return await call()
        except DeliveryError as error:
            if not error.retryable or attempt == policy.attempts - 1:
                raise
            await sleep(policy.delay(attempt, error.retry_after))
    raise AssertionError("unreachable")


@dataclass(slots=True)
class SendLimits:
    """Per-conversation spacing and a per-tenant rate, shared by all sends of a process.

    Sends to one conversation are serialised, and each starts at least `interval` after the
    previous one started; the start time is taken right before the request leaves (no await
    in between), so event-loop delays can stretch the spacing but never shrink it."""

    per_conversation_interval: float = 1.0
    per_tenant_rate: float = 30.0
    clock: Callable[[], float] = time.monotonic
    _conversation_locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    _last_start: dict[str, float] = field(default_factory=dict)
    _tenant_locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    _tenant_next: dict[str, float] = field(default_factory=dict)

    async def run(self, conversation_id: str, tenant_id: str, call: Callable[[], Awaitable[Any]]) -> Any:
        lock = self._conversation_locks.setdefault(conversation_id, asyncio.Lock())
        async with lock:
            wait = self._last_start.get(conversation_id, float("-inf")) + self.per_conversation_interval - self.clock()
            if wait > 0:
                await asyncio.sleep(wait)
            await self._tenant_turn(tenant_id)
            self._last_start[conversation_id] = self.clock()
            return await call()

    async def run_tenant(self, tenant_id: str, call: Callable[[], Awaitable[Any]]) -> Any:
        """A request that is no message to a conversation (creating a 1:1 chat): the tenant's rate only."""
        await self._tenant_turn(tenant_id)
        return await call()

    async def _tenant_turn(self, tenant_id: str) -> None:
        lock = self._tenant_locks.setdefault(tenant_id, asyncio.Lock())
        async with lock:
            wait = self._tenant_next.get(tenant_id, float("-inf")) - self.clock()
            if wait > 0:
                await asyncio.sleep(wait)
            self._tenant_next[tenant_id] = self.clock() + 1.0 / self.per_tenant_rate


class PacedMessenger:
    """A Messenger that waits its turn before every call and retries transient failures."""

    def __init__(self, inner: Messenger, limits: SendLimits, policy: RetryPolicy) -> None:
        self.inner = inner
        self.limits = limits
        self.policy = policy

    async def _paced(self, target: ConversationTarget, call: Callable[[], Awaitable[Any]]) -> Any:
        conversation = target.conversation_id.split(";")[0]
        return await with_retries(lambda: self.limits.run(conversation, target.tenant_id, call), self.policy)

    async def send(self, target: ConversationTarget, card: Card, mentions_text: str | None = None) -> str:
        result: str = await self._paced(target, lambda: self.inner.send(target, card, mentions_text))
        return result

    async def update(self, target: ConversationTarget, activity_id: str, card: Card) -> None:
        await self._paced(target, lambda: self.inner.update(target, activity_id, card))

    async def open_personal(self, via: ConversationTarget, user_teams_id: str) -> ConversationTarget:
        result: ConversationTarget = await with_retries(
            lambda: self.limits.run_tenant(via.tenant_id, lambda: self.inner.open_personal(via, user_teams_id)), self.policy)
        return result
