"""A customer-hosted team with the provider's PM as a guest: the PM links the guest identity to
their staff identity with a one-time code from their home tenant's 1:1 chat, then runs the
project there. A guest is never staff by itself, and a code works once, briefly, for a guest."""

from __future__ import annotations

import pytest

from bot.storage.contract import user_key
from tests.crossorg.conftest import (
    CAM,
    CUSTOMER_TEAM,
    CUSTOMER_TENANT,
    OTHER_GUEST,
    PM_GUEST,
    click,
    last_answer,
    say,
    texts,
)
from tests.crossorg.flows import create_in, data_for, ready_for, state_of, values
from tests.support.teams_activities import TeamsUser, personal
from tests.teams.conftest import PM, TENANT, Harness

pytestmark = pytest.mark.crossorg


async def link_code(harness: Harness, staff: TeamsUser = PM) -> str:
    await harness.post(say(staff, personal(staff), "link", harness))
    card = harness.standin.cards_in(personal(staff).id)[-1]
    codes = [e["text"] for e in card["body"] if e.get("fontType") == "Monospace"]
    assert codes, card
    return codes[0]


async def linked(harness: Harness) -> None:
    code = await link_code(harness)
    await harness.post(say(PM_GUEST, personal(PM_GUEST), f"link {code}", harness))
    assert "Done: here you act as" in last_answer(harness, personal(PM_GUEST).id)


async def test_a_linked_guest_pm_sets_up_the_project_in_the_customers_team(harness: Harness) -> None:
    await linked(harness)
    project = await create_in(harness, CUSTOMER_TEAM, PM_GUEST, values(provider_roles=False))
    assert project.tenant_id == CUSTOMER_TENANT
    pm = project.person(PM.aad_object_id)  # the staff identity, not the guest object
    assert pm is not None and pm.tenant_id == TENANT
    assert project.person(PM_GUEST.aad_object_id) is None
    cam = project.person(CAM.aad_object_id)
    assert cam is not None and project.home_tenant(cam) == CUSTOMER_TENANT


async def test_the_customer_confirms_and_the_linked_pm_acts_as_pm(harness: Harness) -> None:
    await linked(harness)
    await harness.post(say(PM, personal(PM), "help", harness))  # the PM's own 1:1 chat, in the provider's tenant
    form = {**values(provider_roles=False), "porting": "true", "port_date": "2027-01-15"}
    project = await create_in(harness, CUSTOMER_TEAM, PM_GUEST, form)
    key = ready_for(harness, project, CAM)[0]
    _, body = await harness.post(click(CAM, CUSTOMER_TEAM, "block", {**await data_for(harness, project.id, key),
                                                                     "reason": "waiting for the bill"}, harness))
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert await state_of(harness, project.id, key) == "blocked"
    # The PM hears of it in their own chat, in their own tenant.
    alerts = [r for r in harness.standin.delivered if r.conversation_id == personal(PM).id and r.kind == "send"]
    assert alerts and {r.tenant_id for r in alerts} == {TENANT}
    await harness.post(say(PM_GUEST, CUSTOMER_TEAM, "foc 2027-01-22", harness))
    assert "FOC date recorded: 2027-01-22." in " ".join(texts(harness, CUSTOMER_TEAM.id))
    fresh = await harness.runtime.service.load(project.id)
    assert fresh is not None and fresh.foc_date is not None


async def test_an_unlinked_guest_is_not_staff(harness: Harness) -> None:
    await harness.post(say(OTHER_GUEST, CUSTOMER_TEAM, "new project", harness))
    assert "Only a provider project manager" in last_answer(harness, CUSTOMER_TEAM.id)
    await harness.post(say(OTHER_GUEST, personal(OTHER_GUEST), "link", harness))
    assert "can ask for a link code" in last_answer(harness, personal(OTHER_GUEST).id)
    assert await harness.runtime.service.project_for_conversation(CUSTOMER_TEAM.id) is None


async def test_an_expired_link_code_links_nothing(harness: Harness) -> None:
    code = await link_code(harness)
    harness.clock.advance(minutes=11)
    await harness.post(say(PM_GUEST, personal(PM_GUEST), f"link {code}", harness))
    assert "expired" in last_answer(harness, personal(PM_GUEST).id)
    await harness.post(say(PM_GUEST, CUSTOMER_TEAM, "new project", harness))
    assert "Only a provider project manager" in last_answer(harness, CUSTOMER_TEAM.id)
    assert await harness.runtime.store.read_document(user_key("staff-link", CUSTOMER_TENANT, PM_GUEST.aad_object_id)) is None


async def test_a_link_code_works_once(harness: Harness) -> None:
    code = await link_code(harness)
    await harness.post(say(PM_GUEST, personal(PM_GUEST), f"link {code}", harness))
    await harness.post(say(OTHER_GUEST, personal(OTHER_GUEST), f"link {code}", harness))
    answer = last_answer(harness, personal(OTHER_GUEST).id)
    assert "used already" in answer and "ref." in answer
    await harness.post(say(OTHER_GUEST, CUSTOMER_TEAM, "new project", harness))
    assert "Only a provider project manager" in last_answer(harness, CUSTOMER_TEAM.id)


async def test_a_link_code_links_only_a_guest(harness: Harness) -> None:
    code = await link_code(harness)
    await harness.post(say(CAM, personal(CAM), f"link {code}", harness))  # a member of the customer's tenant, not a guest
    assert "Only a guest identity" in last_answer(harness, personal(CAM).id)
    await harness.post(say(PM, personal(PM), f"link {code}", harness))  # in the chat that showed it
    assert "where you are a guest" in last_answer(harness, personal(PM).id)
    await harness.post(say(PM_GUEST, personal(PM_GUEST), f"link {code}", harness))  # still unspent: it works
    assert "Done" in last_answer(harness, personal(PM_GUEST).id)


async def test_an_unknown_link_code_is_refused(harness: Harness) -> None:
    await harness.post(say(PM_GUEST, personal(PM_GUEST), "link ZZZZ9999", harness))
    answer = last_answer(harness, personal(PM_GUEST).id)
    assert "doesn't exist" in answer and "ref." in answer
