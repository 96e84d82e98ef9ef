"""The weekly portfolio digest on both stores: one card per PM across all their active projects,
several PMs sharing projects; the PMs come from the listing (no project is loaded just to find
them), and each PM's projects are reduced to the card's views and let go before the next PM."""

from __future__ import annotations

import gc
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from bot.domain.authorization import Actor
from bot.domain.project import ConversationTarget, Person, Project
from bot.domain.roles import Role
from bot.domain.text import Language
from bot.scheduled import ScheduledWork, record_due_digests
from bot.storage.contract import Store, user_key
from cards.digest import portfolio_digest_card
from cards.views import digest_view
from tests.storage.helpers import LIBRARY, NOW, PM, TENANT, complete, make_project

PM2 = Actor(id="pm-2", name="Quinn PM", tenant_id=TENANT, is_staff_pm=True)
PM3 = Actor(id="pm-3", name="Ravi PM", tenant_id=TENANT, is_staff_pm=True)
PM4 = Actor(id="pm-4", name="Sana PM", tenant_id=TENANT, is_staff_pm=True)
PM5 = Actor(id="pm-5", name="Tom PM", tenant_id=TENANT, is_staff_pm=True)  # never wrote to the bot: no preferences
CHANNEL = ConversationTarget("19:activation@thread.tacv2", "https://smba.example/", TENANT)
# project id -> its PMs, whether its digest is due now, still active, its language
PROJECTS: dict[str, tuple[tuple[Actor, ...], bool, bool, Language]] = {
    "d1": ((PM, PM2), True, True, "en"),
    "d2": ((PM2, PM3, PM5), True, True, "es"),
    "d3": ((PM,), False, True, "en"),  # not due itself, but part of pm-1's portfolio
    "d4": ((PM,), True, False, "en"),  # completed: in nobody's portfolio
    "d5": ((PM4,), False, True, "en"),  # no digest recorded for pm-4's projects now: no card
    "d6": ((PM3,), False, True, "en"),
}


class Messenger:
    def __init__(self, on_send: Any) -> None:
        self.sent: dict[str, dict[str, Any]] = {}
        self.on_send = on_send

    async def send(self, target: ConversationTarget, card: dict[str, Any], mentions_text: str | None = None) -> str:
        self.on_send(target.conversation_id)
        self.sent[target.conversation_id] = card
        return f"activity-{len(self.sent)}"

    async def update(self, target: ConversationTarget, activity_id: str, card: dict[str, Any]) -> None:
        raise AssertionError("a digest is never updated")

    async def open_personal(self, via: ConversationTarget, user_teams_id: str) -> ConversationTarget:
        return ConversationTarget(f"a:1on1-{user_teams_id}", via.service_url, via.tenant_id)


async def seed(store: Store) -> None:
    for project_id, (pms, due, active, language) in PROJECTS.items():
        project, events = make_project(project_id, pm=pms[0], extra_pms=pms[1:])
        project.people[Role.PROVIDER_PM] = [Person(a.id, a.name, f"29:{a.id}") for a in pms]
        project.channel = CHANNEL
        project.language = language
        project.next_digest_at = NOW - timedelta(hours=1) if due else NOW + timedelta(days=3)
        if not active:
            events += complete(project)
        await store.create_project(project, events)
    await store.write_document(user_key("user", PM.id), {"language": "es", "conversation": {
        "conversationId": "a:1on1-pm-1", "serviceUrl": CHANNEL.service_url, "tenantId": TENANT}})
    for actor in (PM2, PM3, PM4):
        await store.write_document(user_key("user", actor.id), {"timezone": "Europe/Madrid"})


async def expected_card(store: Store, project_ids: list[str], language: Language) -> dict[str, Any]:
    views = []
    for project_id in project_ids:
        current = await store.load_project(project_id)
        assert current is not None
        views.append(digest_view(current.value, LIBRARY, language=language, now=NOW))
    return portfolio_digest_card(views, language)


def live_projects() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, Project))


@pytest.mark.asyncio
async def test_each_pm_gets_one_digest_of_all_their_active_projects(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    await seed(store)
    timeline: list[tuple[str, str]] = []
    held_at_send: list[int] = []
    baseline = live_projects()

    def on_send(conversation_id: str) -> None:
        timeline.append(("send", conversation_id))
        held_at_send.append(live_projects() - baseline)

    messenger = Messenger(on_send)
    work = ScheduledWork(store, LIBRARY, messenger, clock=lambda: NOW)
    recorded = await record_due_digests(store, LIBRARY, NOW)
    assert sorted(s.id for s in recorded) == ["d1", "d2"]

    load = store.load_project

    async def counted_load(project_id: str) -> Any:
        timeline.append(("load", project_id))
        return await load(project_id)

    monkeypatch.setattr(store, "load_project", counted_load)
    assert await work.send_portfolio_digests(recorded, NOW) == 4
    monkeypatch.undo()

    # One PM at a time, each of their active projects loaded once, none just to find the PMs.
    assert timeline == [
        ("load", "d1"), ("load", "d3"), ("send", "a:1on1-pm-1"),
        ("load", "d1"), ("load", "d2"), ("send", "a:1on1-29:pm-2"),
        ("load", "d2"), ("load", "d6"), ("send", "a:1on1-29:pm-3"),
        ("load", "d2"), ("send", "a:1on1-29:pm-5"),
    ]
    assert Counter(kind for kind, _ in timeline) == {"load": 7, "send": 4}
    # When a card goes out, no PM's projects are still held (at most the last one read).
    assert max(held_at_send) <= 1, held_at_send

    assert messenger.sent == {
        "a:1on1-pm-1": await expected_card(store, ["d1", "d3"], "es"),  # their chosen language
        "a:1on1-29:pm-2": await expected_card(store, ["d1", "d2"], "en"),  # preferences without a language
        "a:1on1-29:pm-3": await expected_card(store, ["d2", "d6"], "en"),
        "a:1on1-29:pm-5": await expected_card(store, ["d2"], "es"),  # no preferences: the first project's language
    }
    assert "Contoso" in str(messenger.sent["a:1on1-pm-1"]) and len(str(messenger.sent["a:1on1-29:pm-3"])) > len(
        str(messenger.sent["a:1on1-29:pm-5"]))

    # Claimed per PM and week: the same run again (another instance) sends nothing.
    again = Messenger(lambda _: None)
    assert await ScheduledWork(store, LIBRARY, again, clock=lambda: NOW).send_portfolio_digests(recorded, NOW) == 0
    assert again.sent == {}
    claim = await store.read_document(user_key("portfolio", PM.id, "2026-W45"))
    assert claim is not None and claim.value["status"] == "sent"
