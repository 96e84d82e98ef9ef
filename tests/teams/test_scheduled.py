"""Time-driven messages through the real app: weekly and portfolio digests (once, even with
two instances), digest preview and post, the completion report, the CSV export, reminders."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp.test_utils import TestServer

from bot.app import RUNTIME_KEY, create_app
from bot.domain.authorization import Action
from tests.support.card_validation import assert_valid_cards
from tests.support.teams_activities import card_action, message, personal
from tests.teams.conftest import ADMIN, CUSTOMER, PM, TEAM, Harness
from tests.teams.flows import create_project, setup_values

MONDAY_9_NY = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)


def conversation_with(harness: Harness, teams_id: str) -> str:
    return next(c.conversation_id for c in harness.standin.created_conversations if any(m["id"] == teams_id for m in c.members))


def assert_answered_privately(harness: Harness, fragment: str) -> None:
    """A refusal in the channel goes to the person's 1:1; the channel gets a pointer (issue 18)."""
    assert "answered you in our 1:1 chat" in harness.standin.activities_in(TEAM.id)[-1]["text"]
    assert any(fragment in (r.text or "") for r in harness.standin.delivered if r.conversation_id != TEAM.id)


def cards_titled(harness: Harness, conversation_id: str, fragment: str, also: str | None = None) -> list[dict]:
    """Cards with that title in the conversation (and, for a person, in the 1:1 they opened themselves:
    the stand-in gives the two different ids where Teams would give one)."""
    ids = [conversation_id] + ([also] if also else [])
    return [c for cid in ids for c in harness.standin.cards_in(cid, kinds=("send", "reply"))
            if fragment in str(c["body"][0].get("text", ""))]


async def test_weekly_digest_posts_once_with_two_instances(harness: Harness, tmp_path: Path) -> None:
    await create_project(harness, setup_values("cloud_voice_teams", porting=True))
    harness.clock.now = MONDAY_9_NY + timedelta(minutes=1)
    second_app = create_app(harness.runtime.settings, clock=harness.clock, scheduler=False)
    second_server = TestServer(second_app, host="127.0.0.1")
    await second_server.start_server()
    try:
        second = second_app[RUNTIME_KEY]
        await asyncio.gather(harness.runtime.scheduler.run_due(), second.scheduler.run_due())
        await asyncio.gather(harness.runtime.scheduler.run_due(), second.scheduler.run_due())  # and again: nothing new
    finally:
        await second_server.close()
    digests = cards_titled(harness, TEAM.id, "Weekly digest")
    assert len(digests) == 1
    assert any(str(e.get("type", "")).startswith("Chart.") and "fallback" in e for e in digests[0]["body"])
    portfolio = cards_titled(harness, conversation_with(harness, PM.teams_id), "Weekly digest of your projects")
    assert len(portfolio) == 1
    assert_valid_cards(digests + portfolio)
    # Next week's comes next week, not before.
    harness.clock.advance(days=6)
    await harness.runtime.scheduler.run_due()
    assert len(cards_titled(harness, TEAM.id, "Weekly digest")) == 1
    harness.clock.advance(days=1)
    await harness.runtime.scheduler.run_due()
    assert len(cards_titled(harness, TEAM.id, "Weekly digest")) == 2


async def test_pm_previews_and_posts_the_digest(harness: Harness) -> None:
    await create_project(harness, setup_values("cloud_voice_teams", porting=True))
    chat = personal(PM)
    await harness.post(message(PM, chat, "resumen", harness.service_url, locale="es-MX"))
    preview = harness.standin.cards_in(chat.id)[-1]
    assert "Resumen semanal: Contoso" in str(preview["body"][0])
    assert cards_titled(harness, TEAM.id, "Weekly digest") == []
    await harness.post(message(PM, TEAM, "digest post", harness.service_url))
    assert len(cards_titled(harness, TEAM.id, "Weekly digest")) == 1
    await harness.post(message(CUSTOMER, TEAM, "digest", harness.service_url))
    assert_answered_privately(harness, "Only a provider project manager")


async def test_completion_report_reaches_the_pm(harness: Harness) -> None:
    project_id = await create_project(harness, setup_values("cloud_voice_teams", porting=False))
    service = harness.runtime.service
    pm = service.actor(PM.aad_object_id, PM.name, PM.tenant_id)
    for _ in range(100):
        project = await service.load(project_id)
        assert project is not None
        ready = [k for k, r in project.tasks.items() if r.state.value == "ready"]
        if not ready:
            break
        await service.act_on_task(pm, project_id, ready[0], Action.CONFIRM_ON_BEHALF, rev=None)
    await harness.runtime.delivery.sweep()
    reports = cards_titled(harness, conversation_with(harness, PM.teams_id), "Project completion report")
    assert len(reports) == 1
    body = str(reports[0])
    assert "Cloud Voice for Microsoft Teams" in body and "First invoice date" in body
    assert "December 1, 2026" in body  # deployed on 26 November (local): billing from the 1st of the next month
    assert_valid_cards(reports)


async def test_export_link_serves_the_history_and_refuses_forgeries(harness: Harness) -> None:
    project_id = await create_project(harness, setup_values("cloud_voice_teams", porting=True))
    await harness.post(message(CUSTOMER, TEAM, "export", harness.service_url))
    assert_answered_privately(harness, "Only a provider project manager")
    await harness.post(message(PM, TEAM, "export", harness.service_url))
    card = harness.standin.cards_in(TEAM.id)[-1]
    url = card["actions"][0]["url"]
    path = url[url.index("/api/exports/"):]
    async with harness.session.get(harness.url + path) as response:
        assert response.status == 200 and response.content_type == "text/csv"
        raw = await response.read()
        assert raw.startswith(b"\xef\xbb\xbf")  # a UTF-8 byte-order mark, so Excel reads the accents (issue 18)
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["seq", "at", "kind"] and any(r[2] == "project_created" for r in rows[1:])
    assert len(rows) - 1 == len(await harness.runtime.store.project_events(project_id))
    forged = path[:-4] + ("0000" if not path.endswith("0000") else "1111")
    async with harness.session.get(harness.url + forged) as response:
        assert response.status == 404
    harness.clock.advance(hours=2)
    async with harness.session.get(harness.url + path) as response:
        assert response.status == 404  # expired


async def test_reminders_once_a_day_outside_quiet_hours_with_snooze_and_escalation(harness: Harness) -> None:
    await create_project(harness, setup_values("cloud_voice_teams", porting=True))
    # 26 Nov 2026 is Thanksgiving, a US public holiday reminders skip (issue 18): this project keeps only weekends.
    await harness.post(message(PM, TEAM, "holidays none", harness.service_url))
    admin_chat = conversation_with(harness, ADMIN.teams_id)
    # Kickoff 26 Nov: the licensing tasks are due the 27th. At 10:30 local on the 26th they are due tomorrow.
    # (The clock only moves forward, as a real one does: the bot remembers when to look at a project next.)
    harness.clock.now = datetime(2026, 11, 26, 15, 30, tzinfo=UTC)
    await harness.runtime.scheduler.run_due()
    await harness.runtime.scheduler.run_due()
    reminders = cards_titled(harness, admin_chat, "A reminder of your tasks", personal(ADMIN).id)
    assert len(reminders) == 1 and "due tomorrow" in str(reminders[0])
    assert_valid_cards(reminders)
    # Snooze from the card: no reminder the next day; overdue ones come back after.
    snooze = reminders[0]["actions"][0]
    await harness.post(card_action(ADMIN, personal(ADMIN), snooze["verb"], snooze["data"], harness.service_url))
    # Friday the 27th, the snooze is over: the tasks due Monday are "due tomorrow" (the next working day).
    harness.clock.now = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    await harness.runtime.scheduler.run_due()
    reminders = cards_titled(harness, admin_chat, "A reminder of your tasks", personal(ADMIN).id)
    assert len(reminders) == 2 and "due tomorrow" in str(reminders[-1])
    # Saturday the 28th: overdue, but no reminders at weekends (issue 18).
    harness.clock.now = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
    await harness.runtime.scheduler.run_due()
    assert len(cards_titled(harness, admin_chat, "A reminder of your tasks", personal(ADMIN).id)) == 2
    # At 06:00 local on Monday the 30th the tasks are overdue and the snooze is over, but it is quiet hours.
    harness.clock.now = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
    await harness.runtime.scheduler.run_due()
    assert len(cards_titled(harness, admin_chat, "A reminder of your tasks", personal(ADMIN).id)) == 2
    harness.clock.now = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    await harness.runtime.scheduler.run_due()
    reminders = cards_titled(harness, admin_chat, "A reminder of your tasks", personal(ADMIN).id)
    assert len(reminders) == 3 and "3 days overdue" in str(reminders[-1])
    # Past the escalation limit (3 days overdue), the PM hears about it.
    harness.clock.now = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
    await harness.runtime.scheduler.run_due()
    pm_cards = cards_titled(harness, conversation_with(harness, PM.teams_id), "A reminder of your tasks")
    assert pm_cards and "Overdue tasks that need attention" in str(pm_cards[-1]) and ADMIN.name in str(pm_cards[-1])
