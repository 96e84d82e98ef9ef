"""One send budget for the deployment: three `python -m bot` processes and the job, on one
store, drain a burst owed to one tenant. Teams' limits hold for their sum (0 windows over
50 requests/s for the tenant, 0 over 7 messages/s in any conversation), and every message
owed is sent exactly once."""

from __future__ import annotations

import asyncio
import os
import sys
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

from bot.delivery.budget import TEAMS_CONVERSATION_LIMIT, TEAMS_TENANT_LIMIT, SendBudget
from bot.domain.authorization import Actor
from bot.domain.playbook import load_playbooks
from bot.domain.project import ConversationTarget, Person, ProjectOptions
from bot.domain.roles import Role
from bot.service import ActivationService, NewProjectRequest, utc_now
from bot.storage.contract import ProjectQuery
from bot.storage.sqlite_store import SqliteStore
from tests.support.connector_standin import ConnectorStandIn
from tests.support.node_server import free_port
from tests.teams.conftest import PM, TENANT, roster_accounts
from tests.teams.flows import ROLE_HOLDERS

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = 8
BOTS = 3
SHARES = BOTS + 1  # the Bicep's maxReplicas + 1 (the job)
TENANT_RATE = 40.0
SEND_INTERVAL = 0.5  # each process: one message per 2 s per conversation


def most_in_window(times: list[float], window: float) -> int:
    """The most timestamps in any half-open window of `window` seconds."""
    times = sorted(times)
    most, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= window:
            start += 1
        most = max(most, end - start + 1)
    return most


async def seed_burst(data_dir: Path, service_url: str) -> int:
    """PROJECTS projects of one tenant, each in its own channel, sharing their people (so their
    1:1 chats receive from several projects at once); returns how many messages they owe."""
    store = SqliteStore(data_dir / "activation.sqlite3")
    await store.open()
    try:
        service = ActivationService(store, load_playbooks(), is_staff_pm=lambda *_: True, clock=utc_now)
        people = {Role(role): [Person(user.aad_object_id, user.name, user.teams_id)] for role, user in ROLE_HOLDERS.items()}
        people[Role.PROVIDER_PM] = [Person(PM.aad_object_id, PM.name, PM.teams_id)]
        owed = 0
        for n in range(PROJECTS):
            request = NewProjectRequest(
                customer_name=f"Customer {n}", products=("cloud_voice_teams",), options=ProjectOptions(porting=True),
                kickoff=date.today(), timezone="America/New_York", language="en",
                requested_port_date=date.today() + timedelta(days=60), people=people,
                channel=ConversationTarget(f"19:burst-{n}@thread.tacv2", service_url, TENANT))
            project = await service.create_project(Actor(PM.aad_object_id, PM.name, TENANT, is_staff_pm=True), request, TENANT)
            owed += len(project.outbox)
        return owed
    finally:
        await store.close()


async def wait_until_drained(data_dir: Path, timeout: float) -> None:
    store = SqliteStore(data_dir / "activation.sqlite3")
    await store.open()
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            page = await store.list_projects(ProjectQuery(with_outbox=True))
            if not page.items:
                return
            await asyncio.sleep(0.5)
        raise AssertionError(f"{len(page.items)} projects still owe messages after {timeout} s")
    finally:
        await store.close()


async def sent_events(data_dir: Path) -> list[str]:
    store = SqliteStore(data_dir / "activation.sqlite3")
    await store.open()
    try:
        items: list[str] = []
        page = await store.list_projects(ProjectQuery())
        for summary in page.items:
            items += [str(e.data["item"]) for e in await store.project_events(summary.id) if e.kind == "message_sent"]
        return items
    finally:
        await store.close()


def test_the_budget_shares_add_up_to_teams_limits() -> None:
    budget = SendBudget(SEND_INTERVAL, TENANT_RATE, SHARES)
    assert budget.process_tenant_rate * SHARES == TENANT_RATE <= TEAMS_TENANT_LIMIT
    assert budget.process_conversation_interval == SEND_INTERVAL * SHARES
    assert SendBudget(1.0, 30.0, 4).limits().per_tenant_rate == 7.5


async def test_three_bots_and_the_job_on_one_store_keep_one_budget(tmp_path: Path) -> None:
    async with ConnectorStandIn(roster=roster_accounts(), default_tenant_id=TENANT) as standin:
        owed = await seed_burst(tmp_path, standin.service_url)
        assert owed >= 100, f"a burst: {owed} messages owed"
        base = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "COSMOS_", "APPLICATIONINSIGHTS"))}
        base.update(ALLOW_ANONYMOUS="1", HOST="127.0.0.1", DATA_DIR=str(tmp_path), PM_AAD_IDS=PM.aad_object_id,
                    SEND_SHARES=str(SHARES), TENANT_SEND_RATE=str(TENANT_RATE), SEND_INTERVAL=str(SEND_INTERVAL),
                    LOG_LEVEL="WARNING")
        processes = []
        try:
            for _ in range(BOTS):  # each sweeps the outbox at start-up (SCHEDULER on)
                processes.append(await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bot", cwd=ROOT, env={**base, "PORT": str(free_port()), "SCHEDULER": "1"},
                    stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE))
            job = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "jobs", "run-due", cwd=ROOT,
                                                       env={**base, "SCHEDULER": "0"},
                                                       stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
            await wait_until_drained(tmp_path, timeout=180)
            _, job_errors = await asyncio.wait_for(job.communicate(), 60)
            assert job.returncode == 0, job_errors.decode()[-2000:]
        finally:
            errors = []
            for process in processes:
                if process.returncode is None:
                    process.terminate()
                _, stderr = await asyncio.wait_for(process.communicate(), 30)
                errors.append(stderr.decode())
        assert not any(" ERROR " in e or "Traceback" in e for e in errors), "\n".join(errors)[-3000:]

        tenant_times = [a.timestamp for a in standin.attempts]
        by_conversation: dict[str, list[float]] = defaultdict(list)
        for attempt in standin.attempts:
            if attempt.kind in ("send", "reply", "update") and attempt.conversation_id:
                by_conversation[attempt.conversation_id.split(";")[0]].append(attempt.timestamp)
        messages = [r for r in standin.delivered if r.kind in ("send", "reply")]
        items = await sent_events(tmp_path)

    assert most_in_window(tenant_times, 1.0) <= TEAMS_TENANT_LIMIT, "over 50 requests in a second for the tenant"
    worst = max(most_in_window(times, 1.0) for times in by_conversation.values())
    assert worst <= TEAMS_CONVERSATION_LIMIT, f"{worst} messages in a second to one conversation"
    worst_two = max(most_in_window(times, 2.0) for times in by_conversation.values())
    assert worst_two <= 8, f"{worst_two} messages in two seconds to one conversation (Teams: 8)"
    assert len(items) == len(set(items)), "an item settled twice"
    assert len(messages) == len(items), f"{len(messages)} messages for {len(items)} items sent: lost or duplicated"
    assert len(items) >= owed * 0.9, f"{len(items)} of {owed} owed were sent (the rest were skipped?)"
