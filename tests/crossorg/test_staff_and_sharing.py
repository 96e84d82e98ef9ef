"""Provider staff managed in Teams by a bot admin (bootstrapped from BOT_ADMIN_AAD_IDS), and a
channel shared with the customer after the project exists: the PM is offered the customer's
members to assign to roles."""

from __future__ import annotations

from typing import Any

import pytest

from tests.crossorg.conftest import (
    ADA,
    BOT_ADMIN,
    CAM,
    CUSTOMER_MEMBERS,
    CUSTOMER_TENANT,
    NEW_PM,
    PROVIDER_MEMBERS,
    PROVIDER_TEAM,
    UMA,
    TeamsUser,
    account,
    body_text,
    channel_event,
    click,
    last_answer,
    say,
    shared,
)
from tests.crossorg.flows import create_in, data_for, ready_for, state_of, values
from tests.support.teams_activities import card_action, personal
from tests.teams.conftest import PM, SALES, TENANT, Harness

pytestmark = pytest.mark.crossorg
PROVIDER_GUEST = TeamsUser("29:pguest", "ffffffff-0000-0000-0000-000000000001", "Gil Guest", TENANT)


async def test_a_bot_admin_adds_a_pm_by_upn_who_can_then_set_up_projects(harness: Harness) -> None:
    await harness.post(say(NEW_PM, PROVIDER_TEAM, "new project", harness))
    assert "Only a provider project manager" in last_answer(harness, PROVIDER_TEAM.id)
    await harness.post(say(BOT_ADMIN, PROVIDER_TEAM, "staff add pm nia@provider.example", harness))
    assert "Nia NewPM is now PM." in last_answer(harness, PROVIDER_TEAM.id)
    await harness.post(say(NEW_PM, PROVIDER_TEAM, "new project", harness))
    assert any(e.get("id") == "customer" for e in harness.standin.cards_in(PROVIDER_TEAM.id)[-1]["body"])
    await harness.post(say(BOT_ADMIN, PROVIDER_TEAM, "staff add pm nia@provider.example", harness))
    assert "was PM already" in last_answer(harness, PROVIDER_TEAM.id)


async def test_a_removed_pm_is_no_longer_staff(harness: Harness) -> None:
    await harness.post(say(BOT_ADMIN, PROVIDER_TEAM, "staff add pm nia@provider.example", harness))
    await harness.post(say(BOT_ADMIN, PROVIDER_TEAM, "staff remove nia@provider.example", harness))
    assert "I removed Nia NewPM" in last_answer(harness, PROVIDER_TEAM.id)
    await harness.post(say(NEW_PM, personal(NEW_PM), "link", harness))
    assert "can ask for a link code" in last_answer(harness, personal(NEW_PM).id)


async def test_only_a_bot_admin_manages_staff(harness: Harness) -> None:
    for text in ("staff", "staff add admin nia@provider.example", "staff remove pat@provider.example"):
        await harness.post(say(PM, PROVIDER_TEAM, text, harness))
        assert "Only a bot admin" in last_answer(harness, PROVIDER_TEAM.id)
    _, body = await harness.post(click(PM, PROVIDER_TEAM, "staff_add", {"upn": "nia@provider.example", "role": "admin"}, harness))
    assert "Only a bot admin" in body_text(body)
    assert await harness.runtime.bot.staff.roster() == []


async def test_a_guest_never_becomes_staff_by_upn(harness: Harness) -> None:
    guest = account(PROVIDER_GUEST, role="guest", upn="gil_customer.example#EXT#@provider.onmicrosoft.com")
    harness.standin.set_roster([*PROVIDER_MEMBERS, guest], conversation_id=PROVIDER_TEAM.id)
    await harness.post(say(BOT_ADMIN, PROVIDER_TEAM, "staff add pm gil_customer.example#EXT#@provider.onmicrosoft.com", harness))
    assert "a guest never becomes staff" in last_answer(harness, PROVIDER_TEAM.id)
    assert await harness.runtime.bot.staff.roster() == []


async def test_the_staff_card_adds_and_removes_and_settings_staff_stay(harness: Harness) -> None:
    await harness.post(say(BOT_ADMIN, PROVIDER_TEAM, "staff", harness))
    staff_card = harness.standin.cards_in(PROVIDER_TEAM.id)[-1]
    choices = next(e for e in staff_card["body"] if e.get("id") == "who")["choices"]
    nia = next(c["value"] for c in choices if c["title"] == "Nia NewPM")
    assert nia == f"{TENANT}/{NEW_PM.aad_object_id}"
    _, body = await harness.post(click(BOT_ADMIN, PROVIDER_TEAM, "staff_add", {"who": nia, "role": "admin", "upn": ""}, harness))
    assert "Nia NewPM is now Admin." in body_text(body)
    roster = await harness.runtime.bot.staff.roster()
    assert [(m.key.encode(), m.role.value) for m in roster] == [(nia, "admin")]
    await harness.post(say(NEW_PM, PROVIDER_TEAM, "staff", harness))  # now an admin herself
    assert harness.standin.cards_in(PROVIDER_TEAM.id)[-1]["body"][0]["text"] == "Provider staff"
    _, body = await harness.post(click(BOT_ADMIN, PROVIDER_TEAM, "staff_remove", {"who": f"*/{PM.aad_object_id}"}, harness))
    assert "through the bot's settings" in body_text(body)
    _, body = await harness.post(click(BOT_ADMIN, PROVIDER_TEAM, "staff_remove", {"who": nia}, harness))
    assert "I removed Nia NewPM" in body_text(body)
    assert await harness.runtime.bot.staff.roster() == []


async def test_an_unknown_upn_is_answered_and_changes_nothing(harness: Harness) -> None:
    await harness.post(say(BOT_ADMIN, PROVIDER_TEAM, "staff add pm nobody@provider.example", harness))
    assert "couldn't find 'nobody@provider.example'" in last_answer(harness, PROVIDER_TEAM.id)
    assert await harness.runtime.bot.staff.roster() == []


def shared_with_customer() -> dict[str, Any]:
    return {"sharedWithTeams": [{"id": "19:contoso-it@thread.tacv2", "name": "Contoso IT", "tenantId": CUSTOMER_TENANT}]}


async def shared_project(harness: Harness) -> str:
    form = values(customer="Contoso", customer_global_admin=SALES, customer_admin=SALES, customer_primary_contact=SALES,
                  authorized_signer=SALES)
    project = await create_in(harness, PROVIDER_TEAM, PM, form)
    harness.standin.set_roster([*PROVIDER_MEMBERS, *CUSTOMER_MEMBERS], conversation_id=PROVIDER_TEAM.id)
    await harness.post(channel_event(PM, PROVIDER_TEAM, "channelShared", harness, **shared_with_customer()))
    return project.id


async def test_sharing_the_channel_offers_the_customers_members_for_the_roles(harness: Harness) -> None:
    project_id = await shared_project(harness)
    offer = harness.standin.cards_in(PROVIDER_TEAM.id)[-1]
    assert offer["body"][0]["text"] == "Channel shared with Contoso IT"
    choices = {c["title"] for e in offer["body"] if e.get("type") == "Input.ChoiceSet" for c in e["choices"]}
    assert choices == {CAM.name, ADA.name, UMA.name}  # the other organisation's people only
    data = {"p": project_id, "role_customer_global_admin": f"{CUSTOMER_TENANT}/{CAM.aad_object_id}"}
    activity = shared(PROVIDER_TEAM, card_action(PM, PROVIDER_TEAM, "shared_assign", data, harness.service_url))
    _, body = await harness.post(activity)
    assert "I assigned 1 role." in body_text(body)
    project = await harness.runtime.service.load(project_id)
    assert project is not None
    cam = project.person(CAM.aad_object_id)
    assert cam is not None and cam.tenant_id == CUSTOMER_TENANT
    # Cam now confirms a task of the role from the (now shared) channel.
    key = ready_for(harness, project, CAM)[0]
    confirm = card_action(CAM, PROVIDER_TEAM, "confirm", await data_for(harness, project_id, key), harness.service_url)
    _, body = await harness.post(shared(PROVIDER_TEAM, confirm))
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert await state_of(harness, project_id, key) == "done"


async def test_only_the_pm_assigns_the_shared_channels_members(harness: Harness) -> None:
    project_id = await shared_project(harness)
    data = {"p": project_id, "role_customer_global_admin": f"{CUSTOMER_TENANT}/{UMA.aad_object_id}"}
    _, body = await harness.post(shared(PROVIDER_TEAM, card_action(UMA, PROVIDER_TEAM, "shared_assign", data, harness.service_url)))
    assert "does not belong to your organization" in body_text(body)  # no one of hers is on it yet
    project = await harness.runtime.service.load(project_id)
    assert project is not None and project.person(UMA.aad_object_id) is None
    data = {"p": project_id, "role_customer_admin": f"{TENANT}/{SALES.aad_object_id}"}
    _, body = await harness.post(shared(PROVIDER_TEAM, card_action(SALES, PROVIDER_TEAM, "shared_assign", data, harness.service_url)))
    assert "Only a provider project manager" in body_text(body)  # on the project, but not its PM


async def test_assigning_someone_who_is_not_in_the_channel_is_refused(harness: Harness) -> None:
    project_id = await shared_project(harness)
    data = {"p": project_id, "role_customer_global_admin": f"{CUSTOMER_TENANT}/cccccccc-0000-0000-0000-00000000ffff"}
    _, body = await harness.post(shared(PROVIDER_TEAM, card_action(PM, PROVIDER_TEAM, "shared_assign", data, harness.service_url)))
    assert "not a member of this channel" in body_text(body) and "ref." in body_text(body)
    project = await harness.runtime.service.load(project_id)
    assert project is not None and project.person("cccccccc-0000-0000-0000-00000000ffff") is None


async def test_unsharing_the_channel_is_said_in_it(harness: Harness) -> None:
    await shared_project(harness)
    await harness.post(channel_event(PM, PROVIDER_TEAM, "channelUnshared", harness,
                                     unsharedFromTeams=shared_with_customer()["sharedWithTeams"]))
    assert "no longer shared with Contoso IT" in last_answer(harness, PROVIDER_TEAM.id)


def test_the_manifest_declares_shared_channel_support_and_the_channel_member_permission() -> None:
    import json
    from pathlib import Path

    manifest = json.loads((Path(__file__).parents[2] / "deploy/appPackage/manifest.template.json").read_text())
    assert float(manifest["manifestVersion"]) >= 1.25  # supportsChannelFeatures exists from v1.25
    assert manifest["supportsChannelFeatures"] == "tier1"
    rsc = manifest["authorization"]["permissions"]["resourceSpecific"]
    assert {"name": "ChannelMember.Read.Group", "type": "Application"} in rsc


async def test_a_member_who_left_the_shared_channel_is_asked_about_again(harness: Harness) -> None:
    from tests.crossorg.conftest import SHARED

    await create_in(harness, SHARED)
    await harness.post(say(UMA, SHARED, "status", harness))  # known (cached) as a member
    harness.standin.set_roster([*PROVIDER_MEMBERS, account(CAM), account(ADA)], conversation_id=SHARED.id)
    event = shared(SHARED, channel_event(PM, SHARED, "channelMemberRemoved", harness))
    event["membersRemoved"] = [{"id": UMA.teams_id, "aadObjectId": UMA.aad_object_id}]
    await harness.post(event)
    await harness.post(say(UMA, SHARED, "status", harness))
    assert "couldn't confirm who you are" in last_answer(harness, SHARED.id)
