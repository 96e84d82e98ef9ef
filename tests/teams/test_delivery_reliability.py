"""Proactive delivery under a Bot Connector that throttles, fails and refuses, with a crash
mid-run and a second bot instance: nothing lost, nothing sent twice, limits never exceeded."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestServer

from bot.app import RUNTIME_KEY, Runtime, create_app
from bot.config import Settings
from bot.domain.project import ConversationTarget, Person, ProjectOptions
from bot.domain.roles import Role
from bot.service import NewProjectRequest
from bot.storage.contract import ProjectQuery, user_key
from tests.support.connector_standin import ConnectorStandIn
from tests.teams.conftest import FakeClock

TENANTS = [f"7{i}777777-7777-7777-7777-777777777777" for i in range(3)]
INTERVAL = 0.5  # seconds between two messages to one conversation: inside Teams' 8 per 2 s and 60 per 30 s
TENANT_RATE = 12.0


class Crash(BaseException):
    """A process dying mid-run: not an Exception, so nothing in the bot catches it."""


class RecordingMessenger:
    """Wraps the botbuilder messenger under the pacing layer: when each send really starts."""

    def __init__(self, inner: Any, log: list[tuple[str, str, float]]) -> None:
        self.inner = inner
        self.log = log

    async def send(self, target: ConversationTarget, card: dict[str, Any], mentions_text: str | None = None) -> str:
        self.log.append((target.conversation_id, target.tenant_id, time.monotonic()))
        result: str = await self.inner.send(target, card, mentions_text)
        return result

    async def update(self, target: ConversationTarget, activity_id: str, card: dict[str, Any]) -> None:
        self.log.append((target.conversation_id, target.tenant_id, time.monotonic()))
        await self.inner.update(target, activity_id, card)

    async def open_personal(self, via: ConversationTarget, user_teams_id: str) -> ConversationTarget:
        result: ConversationTarget = await self.inner.open_personal(via, user_teams_id)
        return result


class CrashingMessenger:
    """Lets `sends_before_crash` sends through, then the process is dead: nothing more leaves.
    Sends already on the wire finish (as they would at the connector)."""

    def __init__(self, inner: Any, sends_before_crash: int) -> None:
        self.inner = inner
        self.left = sends_before_crash
        self.in_flight = 0

    async def send(self, target: ConversationTarget, card: dict[str, Any], mentions_text: str | None = None) -> str:
        if self.left <= 0:
            raise Crash
        self.left -= 1
        self.in_flight += 1
        try:
            result: str = await self.inner.send(target, card, mentions_text)
        finally:
            self.in_flight -= 1
        return result

    async def wait_dead(self) -> None:
        """Until every send that was on the wire at the crash has come back (and been settled)."""
        while self.in_flight:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)

    async def update(self, target: ConversationTarget, activity_id: str, card: dict[str, Any]) -> None:
        await self.inner.update(target, activity_id, card)

    async def open_personal(self, via: ConversationTarget, user_teams_id: str) -> ConversationTarget:
        result: ConversationTarget = await self.inner.open_personal(via, user_teams_id)
        return result


def settings_for(tmp_path: Path) -> Settings:
    return Settings.from_env({"ALLOW_ANONYMOUS": "1", "DATA_DIR": str(tmp_path), "SCHEDULER": "0",
                              "SEND_INTERVAL": str(INTERVAL), "TENANT_SEND_RATE": str(TENANT_RATE),
                              "PM_AAD_IDS": ",".join(f"{t[:8]}-0000-0000-0000-00000000000{n}" for t in TENANTS for n in (0,))})


async def started_runtime(settings: Settings, clock: FakeClock, log: list[tuple[str, str, float]]) -> tuple[Runtime, TestServer]:
    server = TestServer(create_app(settings, clock=clock, scheduler=False), host="127.0.0.1")
    await server.start_server()
    runtime = server.app[RUNTIME_KEY]
    paced = runtime.delivery.sender.messenger
    paced.inner = RecordingMessenger(paced.inner, log)  # type: ignore[attr-defined]
    return runtime, server


async def seed(runtime: Runtime, standin: ConnectorStandIn) -> dict[str, Any]:
    """Three tenants, two projects each; two people who cannot be reached (403, 404)."""
    service = runtime.service
    unreachable = {}
    for t_index, tenant in enumerate(TENANTS):
        pm = Person(f"{tenant[:8]}-0000-0000-0000-000000000000", f"PM {t_index}", f"29:pm-{t_index}")
        for p_index in range(2):
            customer = Person(f"{tenant[:8]}-0000-0000-0001-00000000000{p_index}", f"Customer {t_index}.{p_index}",
                              f"29:cust-{t_index}-{p_index}")
            admin = Person(f"{tenant[:8]}-0000-0000-0002-00000000000{p_index}", f"Admin {t_index}.{p_index}",
                           f"29:admin-{t_index}-{p_index}")
            channel = ConversationTarget(f"19:chan-{t_index}-{p_index}@thread.tacv2", standin.service_url, tenant)
            standin.register_conversation(channel.conversation_id, tenant)
            actor = service.actor(pm.id, pm.name, tenant)
            request = NewProjectRequest(
                customer_name=f"Customer {t_index}.{p_index}", products=("cloud_voice_teams",), options=ProjectOptions(porting=True),
                kickoff=date(2026, 11, 26), timezone="America/New_York", language="en", requested_port_date=date(2027, 1, 15),
                people={Role.PROVIDER_PM: [pm], Role.CUSTOMER_PRIMARY_CONTACT: [customer],
                        Role.CUSTOMER_GLOBAL_ADMIN: [admin], Role.CUSTOMER_ADMIN: [admin]},
                channel=channel,
            )
            await service.create_project(actor, request, tenant)
        if t_index < 2:  # the first admin of tenants 0 and 1 blocked the bot / left
            person_id = f"{tenant[:8]}-0000-0000-0002-000000000000"
            conversation = f"a:unreachable-{t_index}"
            standin.register_conversation(conversation, tenant)
            standin.block_conversation(conversation, 403 if t_index == 0 else 404,
                                       code="ConversationBlockedByUser" if t_index == 0 else "ConversationNotFound")
            await runtime.store.write_document(user_key("user", person_id), {"conversation": ConversationTarget(
                conversation, standin.service_url, tenant).to_dict()})
            unreachable[person_id] = conversation
    return unreachable


async def owed(runtime: Runtime) -> list[tuple[str, str, str]]:
    """(project, target, kind/key) of every outbox item now owed."""
    items = []
    async for summary in _summaries(runtime):
        project = await runtime.service.load(summary)
        assert project is not None
        items += [(project.id, o.target.encode(), f"{o.kind.value}:{o.params.get('key', '')}") for o in project.outbox]
    return items


async def _summaries(runtime: Runtime) -> AsyncIterator[str]:
    page = await runtime.store.list_projects(ProjectQuery(), page_size=100)
    for summary in page.items:
        yield summary.id


def card_key(activity: dict[str, Any] | None) -> str | None:
    for attachment in (activity or {}).get("attachments", []):
        data = ((attachment.get("content") or {}).get("refresh") or {}).get("action", {}).get("data") or {}
        if "k" in data:
            return f"{data['p']}/{data['k']}"
    return None


async def test_nothing_lost_nothing_twice_limits_kept(tmp_path: Path) -> None:
    clock = FakeClock(datetime(2026, 11, 26, 15, 0, tzinfo=UTC))
    settings = settings_for(tmp_path)
    async with ConnectorStandIn(default_tenant_id=TENANTS[0]) as standin:
        first_log: list[tuple[str, str, float]] = []
        first, first_server = await started_runtime(settings, clock, first_log)
        unreachable = await seed(first, standin)
        before = await owed(first)
        expected_task_cards = Counter((p, target, key) for p, target, key in before if key.startswith("task_card"))
        assert len(before) > 60
        # The connector misbehaves: throttling with Retry-After, 503s and 502s along the way.
        standin.fail_next(3, 429, retry_after=1, kind="send")
        standin.fail_next(2, 503, kind="send")
        standin.fail_next(2, 502, kind="create_conversation")
        # Instance one crashes (hard: no clean-up, its lease left behind) after 25 sends.
        crashing = CrashingMessenger(first.delivery.sender.messenger, sends_before_crash=25)
        first.delivery.sender.messenger = crashing

        async def no_release(project_id: str) -> None:
            return None

        first.delivery.sender._release_lease = no_release  # type: ignore[method-assign]
        crashed = False
        try:
            await first.delivery.sweep()
        except Crash:
            crashed = True
        assert crashed
        await crashing.wait_dead()
        await first.delivery.stop(timeout=0)  # the crashed instance's drains end where they are
        await first_server.close()
        sent_before_restart = len([r for r in standin.delivered if r.kind in ("send", "reply")])
        assert 0 < sent_before_restart < len(before)
        # Instance two starts after the dead instance's lease has expired, next to a third instance.
        clock.advance(seconds=61)
        # Each process paces itself: instances share nothing but the store (and the lease).
        second_log: list[tuple[str, str, float]] = []
        second, second_server = await started_runtime(settings, clock, second_log)
        third_log: list[tuple[str, str, float]] = []
        third, third_server = await started_runtime(settings, clock, third_log)
        try:
            results = await asyncio.gather(second.delivery.sweep(), third.delivery.sweep())
            assert sum(results) > 0
            left = await owed(second)
            assert left == [], f"still owed: {left[:5]}"
        finally:
            await second_server.close()
            await third_server.close()

    sends = [r for r in standin.delivered if r.kind in ("send", "reply")]
    # 0 duplicates: each task card reached each conversation at most once.
    per_card = Counter((r.conversation_id, card_key(r.activity)) for r in sends if card_key(r.activity))
    assert [k for k, n in per_card.items() if n > 1] == []
    # 0 lost: every task card owed to a reachable target arrived.
    delivered_cards = sum(per_card.values())
    to_unreachable = sum(n for (p, target, key), n in expected_task_cards.items() if target.removeprefix("user:") in unreachable)
    assert delivered_cards == sum(expected_task_cards.values()) - to_unreachable
    # The unreachable were not retried, and each PM heard about each of them once.
    for conversation in unreachable.values():
        assert len([a for a in standin.attempts if a.conversation_id == conversation]) <= 2
    notices = [r for r in sends if "can't message" in str(r.activity)]
    assert len(notices) == len(unreachable)
    # Limits: Teams' documented ones never exceeded, and our own pacing kept.
    assert standin.limit_violations() == []
    for log in (first_log, second_log, third_log):
        _assert_spacing(log, INTERVAL)
        _assert_tenant_rate(log, TENANT_RATE)
    # Retry-After was honoured: no retry came sooner than it said.
    throttled = [a for a in standin.attempts if a.status == 429]
    for attempt in throttled:
        later = [a for a in standin.attempts if a.seq > attempt.seq and a.conversation_id == attempt.conversation_id]
        if later:
            assert later[0].timestamp - attempt.timestamp >= 0.95


def _windows(stamps: list[float], width: float) -> int:
    """The most events inside any window of `width` seconds."""
    stamps = sorted(stamps)
    return max((sum(1 for s in stamps[i:] if s - start < width) for i, start in enumerate(stamps)), default=0)


def _assert_spacing(log: list[tuple[str, str, float]], interval: float) -> None:
    """Per conversation, sends start at least `interval` apart (a little timer slack allowed)."""
    by_conversation: dict[str, list[float]] = {}
    for conversation, _, at in log:
        by_conversation.setdefault(conversation, []).append(at)
    for conversation, stamps in by_conversation.items():
        stamps.sort()
        gaps = [b - a for a, b in itertools.pairwise(stamps)]
        assert all(gap >= interval for gap in gaps), (conversation, min(gaps))


def _assert_tenant_rate(log: list[tuple[str, str, float]], rate: float) -> None:
    by_tenant: dict[str, list[float]] = {}
    for _, tenant, at in log:
        by_tenant.setdefault(tenant, []).append(at)
    for tenant, stamps in by_tenant.items():
        assert _windows(stamps, 1.0) <= rate + 1, tenant
