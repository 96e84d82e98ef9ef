"""A channel holds one project, on both stores: creating a project claims its channel with a
create-only write first, so two creations at once make one project; a creation that fails
frees the channel, and a claim whose project never appeared is taken over once stale."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

import pytest

from bot.domain.project import ConversationTarget, ProjectOptions
from bot.domain.transitions import Refused
from bot.service import CLAIM_STALE_AFTER, ActivationService, NewProjectRequest
from bot.storage.contract import ProjectQuery, Store, StoreUnavailable, user_key
from tests.storage.helpers import LIBRARY, NOW, PM, TENANT

CHANNEL = ConversationTarget("19:claimed@thread.tacv2", "https://smba.example/", TENANT, team_id="19:claimed@thread.tacv2")


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def request(customer: str) -> NewProjectRequest:
    return NewProjectRequest(customer_name=customer, products=("voice",), options=ProjectOptions(),
                             kickoff=date(2026, 11, 2), timezone="Europe/Madrid", language="en", channel=CHANNEL)


async def projects(store: Store) -> list[str]:
    page = await store.list_projects(ProjectQuery(tenant_id=TENANT), page_size=100)
    return sorted(s.customer_name for s in page.items)


@pytest.mark.asyncio
async def test_two_creations_in_one_channel_at_once_make_one_project(store: Store) -> None:
    service = ActivationService(store, LIBRARY, is_staff_pm=lambda *_: True, clock=Clock())
    outcomes = await asyncio.gather(service.create_project(PM, request("Contoso"), TENANT),
                                    service.create_project(PM, request("Fabrikam"), TENANT), return_exceptions=True)

    made = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, Refused)]
    assert len(made) == 1 and len(refused) == 1, outcomes
    assert refused[0].code == "channel_taken" and refused[0].detail == made[0].customer_name
    assert await projects(store) == [made[0].customer_name]
    assert await service.project_for_conversation(f"{CHANNEL.conversation_id};messageid=7") == made[0].id
    assert await service.channel_holder(CHANNEL.conversation_id) == made[0].customer_name


@pytest.mark.asyncio
async def test_a_failed_creation_frees_the_channel(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    service = ActivationService(store, LIBRARY, is_staff_pm=lambda *_: True, clock=Clock())

    async def unavailable(*_: object) -> str:
        raise StoreUnavailable("down")

    original = store.create_project
    monkeypatch.setattr(store, "create_project", unavailable)
    with pytest.raises(StoreUnavailable):
        await service.create_project(PM, request("Contoso"), TENANT)
    assert await service.channel_holder(CHANNEL.conversation_id) is None
    monkeypatch.setattr(store, "create_project", original)
    assert (await service.create_project(PM, request("Contoso"), TENANT)).customer_name == "Contoso"


@pytest.mark.asyncio
async def test_a_claim_whose_project_never_appeared_is_taken_over_once_stale(store: Store) -> None:
    clock = Clock()
    service = ActivationService(store, LIBRARY, is_staff_pm=lambda *_: True, clock=clock)
    # A creation that claimed the channel and died before writing its project (and its release).
    await store.write_document(user_key("channel", CHANNEL.conversation_id),
                               {"projectId": "p-never", "customerName": "Ghost", "claimedAt": NOW.isoformat()}, "")

    with pytest.raises(Refused) as fresh:  # it may still be under way
        await service.create_project(PM, request("Contoso"), TENANT)
    assert fresh.value.code == "channel_taken" and fresh.value.detail == "Ghost"

    clock.now = NOW + CLAIM_STALE_AFTER + timedelta(seconds=1)
    assert await service.channel_holder(CHANNEL.conversation_id) is None
    project = await service.create_project(PM, request("Contoso"), TENANT)
    assert await service.project_for_conversation(CHANNEL.conversation_id) == project.id
    assert await projects(store) == ["Contoso"]
