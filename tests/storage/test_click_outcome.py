"""What a card action hands back to the edge: the project as written and the schedule the
decision computed (so the card does not compute it again). Both must be exactly what a
fresh read would give."""

from __future__ import annotations

import pytest

from bot.domain.authorization import Action
from bot.domain.schedule import compute_schedule
from bot.service import ActivationService
from bot.storage.contract import Store
from tests.storage.helpers import LIBRARY, NOW, PM, make_project


@pytest.mark.asyncio
async def test_an_action_returns_the_written_version_and_its_schedule(store: Store) -> None:
    project, _ = make_project("p-click")
    await store.create_project(project, [])
    service = ActivationService(store, LIBRARY, is_staff_pm=lambda *_: True, clock=lambda: NOW)

    outcome = await service.act_on_task(PM, "p-click", "voice:a", Action.CONFIRM, rev=None)

    stored = await store.load_project("p-click")
    assert outcome.change is not None and stored is not None
    assert outcome.project.to_dict() == stored.value.to_dict()
    assert outcome.at == NOW
    assert outcome.schedule == compute_schedule(stored.value, LIBRARY, NOW)
    # b and c became ready: the schedule is the one after the change, not before it.
    assert outcome.schedule != compute_schedule(make_project("p-click")[0], LIBRARY, NOW)


@pytest.mark.asyncio
async def test_a_refused_action_hands_back_no_change_and_no_schedule(store: Store) -> None:
    project, _ = make_project("p-refused")
    await store.create_project(project, [])
    service = ActivationService(store, LIBRARY, is_staff_pm=lambda *_: True, clock=lambda: NOW)

    outcome = await service.act_on_task(PM, "p-refused", "voice:d", Action.CONFIRM, rev=None)  # not ready yet

    assert outcome.change is None and outcome.refusal
    assert outcome.schedule is None and outcome.at is None
