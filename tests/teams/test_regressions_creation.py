"""Setting up a project, driven through the Teams protocol (issue 22, items 2, 3 and 5).

A channel holds one project: a double-click, a redelivered submit or a second `new project`
there is told which project the channel holds and creates nothing. Projects are set up in team
channels only. The set-up dialog belongs to the PM who started it: others in the conversation
keep using the bot meanwhile and cannot end it."""

from __future__ import annotations

import asyncio

import pytest

from bot.storage.contract import ProjectQuery
from tests.support.teams_activities import Conversation, TeamsUser, card_submit, group_chat, message, personal
from tests.teams.conftest import ADMIN, CUSTOMER, PM, TEAM, TENANT, Harness
from tests.teams.flows import create_project, followed, setup_values

pytestmark = pytest.mark.regressions

CREATED = "Project created"
SOMETHING_WRONG = ("Something went wrong", "Algo salió mal")
FORM_HINT = ("Fill in the form", "Complete el formulario")
THREAD = Conversation(f"{TEAM.id};messageid=1764169200000", "channel", TENANT, team_id=TEAM.team_id,
                      channel_id=TEAM.channel_id)


def texts(harness: Harness, conversation_id: str, since: int = 0) -> list[str]:
    """The text messages (not cards) the bot sent to a conversation, from the `since`-th activity."""
    answers = [followed(harness, a) for a in harness.standin.activities_in(conversation_id)[since:]]  # 1:1 answers too
    return [str(a["text"]) for a in answers if a.get("text")]


def forms_in(harness: Harness, conversation_id: str) -> int:
    return sum(1 for c in harness.standin.cards_in(conversation_id) if any(e.get("id") == "customer" for e in c["body"]))


async def all_project_ids(harness: Harness) -> list[str]:
    page = await harness.runtime.store.list_projects(ProjectQuery(tenant_id=TENANT), page_size=100)
    return [s.id for s in page.items]


def project_ids_on_cards(harness: Harness) -> set[str]:
    """The project ids on every task card the bot delivered, anywhere."""
    found: set[str] = set()
    for record in harness.standin.delivered:
        for card in record.cards:
            data = (card.get("refresh") or {}).get("action", {}).get("data") or {}
            if "p" in data:
                found.add(data["p"])
    return found


async def say(harness: Harness, user: TeamsUser, where: Conversation, text: str) -> list[str]:
    """What the bot answered in `where` to one message."""
    start = len(harness.standin.activities_in(where.id))
    status, body = await harness.post(message(user, where, text, harness.service_url))
    assert status < 500, (text, status, body)
    return texts(harness, where.id, start)


# -- item 2: one form, one project ----------------------------------------------------------
async def test_two_submits_of_the_form_at_once_make_one_project(harness: Harness) -> None:
    await harness.post(message(PM, TEAM, "new project", harness.service_url))
    values = setup_values("cloud_voice_teams", porting=True)
    start = len(harness.standin.activities_in(TEAM.id))
    first, second = (card_submit(PM, TEAM, values, harness.service_url) for _ in range(2))
    assert first["id"] != second["id"]
    answers = await asyncio.gather(harness.post(first, settle=False), harness.post(second, settle=False))
    await harness.runtime.settle()
    assert all(status < 500 for status, _ in answers), answers

    projects = await all_project_ids(harness)
    assert len(projects) == 1, projects
    assert await harness.runtime.service.project_for_conversation(TEAM.id) == projects[0]
    replies = texts(harness, TEAM.id, start)
    assert sum(CREATED in r for r in replies) == 1, replies
    assert any("already holds" in r and "Contoso" in r for r in replies), replies
    assert not any(w in r for r in replies for w in SOMETHING_WRONG), replies
    # The owners' ready cards all belong to the one project.
    assert project_ids_on_cards(harness) == {projects[0]}


async def test_a_redelivered_submit_is_told_the_project_exists(harness: Harness) -> None:
    await harness.post(message(PM, TEAM, "new project", harness.service_url))
    submit = card_submit(PM, TEAM, setup_values("cloud_voice_teams", porting=True), harness.service_url)
    await harness.post(submit)
    project_id = await harness.runtime.service.project_for_conversation(TEAM.id)
    assert project_id and CREATED in texts(harness, TEAM.id)[-1]
    delivered = len(harness.standin.delivered)

    await harness.post(submit)  # Teams retries the same activity: handled once (item 8), not answered again
    assert len(harness.standin.delivered) == delivered

    await harness.post({**submit, "id": f"{submit['id']}-again"})  # the PM presses Create project again

    reply = texts(harness, TEAM.id)[-1]
    assert "already holds" in reply and "Contoso" in reply and "didn't get that" not in reply, reply
    assert await all_project_ids(harness) == [project_id]
    assert len(harness.standin.delivered) == delivered + 1  # the answer, and no second round of cards


# -- item 3: projects are set up in a team channel, one per channel ---------------------------
async def test_new_project_in_a_channel_that_has_one_is_refused_naming_it(harness: Harness) -> None:
    project_id = await create_project(harness, setup_values("cloud_voice_teams", porting=True))
    forms = forms_in(harness, TEAM.id)

    replies = await say(harness, PM, TEAM, "new project")

    assert len(replies) == 1 and "already holds" in replies[0] and "Contoso" in replies[0], replies
    assert forms_in(harness, TEAM.id) == forms, "a second set-up form was sent"
    # A submit of the old form is refused too, and the channel still shows its project.
    await harness.post(card_submit(PM, TEAM, setup_values("cloud_voice_teams", porting=False, customer="Fabrikam"),
                                   harness.service_url))
    assert "already holds" in texts(harness, TEAM.id)[-1]
    assert await all_project_ids(harness) == [project_id]
    assert await harness.runtime.service.project_for_conversation(TEAM.id) == project_id
    await harness.post(message(PM, TEAM, "status", harness.service_url))
    assert "Contoso" in str(harness.standin.cards_in(TEAM.id)[-1]) and "Fabrikam" not in str(harness.standin.cards_in(TEAM.id))


@pytest.mark.parametrize("where", [personal(PM), group_chat("pm-and-friends", TENANT)], ids=["1:1 chat", "group chat"])
async def test_new_project_outside_a_team_channel_says_where_to_do_it(harness: Harness, where: Conversation) -> None:
    for text in ("new project", "nuevo proyecto"):
        replies = await say(harness, PM, where, text)
        assert len(replies) == 1 and ("team channel" in replies[0] or "canal del equipo" in replies[0]), replies
    assert forms_in(harness, where.id) == 0
    # A set-up form submitted there creates nothing either.
    await harness.post(card_submit(PM, where, setup_values("cloud_voice_teams", porting=True), harness.service_url))
    assert await all_project_ids(harness) == []
    assert await harness.runtime.service.project_for_conversation(where.id) is None


# -- item 5: the set-up dialog belongs to the PM who started it ------------------------------
async def test_others_in_the_thread_keep_using_the_bot_while_the_pm_fills_in_the_form(harness: Harness) -> None:
    await harness.post(message(PM, THREAD, "new project", harness.service_url))
    assert forms_in(harness, THREAD.id) == 1

    for user, text, expected in ((CUSTOMER, "status", "no project"), (ADMIN, "my tasks", "no project"),
                                 (ADMIN, "cancel", "nothing in progress")):
        replies = await say(harness, user, THREAD, text)
        assert replies and not any(h in r for r in replies for h in FORM_HINT), (user.name, text, replies)
        assert expected in " ".join(replies), (user.name, text, replies)

    # The PM's dialog survived Gina's cancel: the form still creates the project.
    await harness.post(card_submit(PM, THREAD, setup_values("cloud_voice_teams", porting=True), harness.service_url))
    assert CREATED in texts(harness, THREAD.id)[-1]
    assert await harness.runtime.service.project_for_conversation(THREAD.id)


async def test_someone_else_cannot_answer_or_cancel_the_pms_form(harness: Harness) -> None:
    await harness.post(message(PM, THREAD, "new project", harness.service_url))
    # The customer clicks the PM's form: nothing is created, and the PM's dialog is still open.
    await harness.post(card_submit(CUSTOMER, THREAD, setup_values("cloud_voice_teams", porting=True), harness.service_url))
    assert await all_project_ids(harness) == []
    await say(harness, CUSTOMER, THREAD, "cancel")
    hint = await say(harness, PM, THREAD, "hello")
    assert any(h in r for r in hint for h in FORM_HINT), hint  # the PM's own dialog still waits for the form
    await say(harness, PM, THREAD, "cancel")
    assert await say(harness, PM, THREAD, "hello") == ["I didn't get that. Type **help** for the commands."]


async def test_a_message_naming_no_sender_is_answered_without_a_dialog(harness: Harness) -> None:
    """Dialogs are kept per sender; a message without `from` (never sent by Teams) still gets a
    plain answer, not a failed turn."""
    for text, expected in (("status", "no project"), ("new project", "Only a provider project manager"),
                           ("cancel", "nothing in progress")):
        activity = message(PM, TEAM, text, harness.service_url)
        del activity["from"]
        status, _ = await harness.post(activity)
        assert status < 500 and expected in texts(harness, TEAM.id)[-1], text
    assert forms_in(harness, TEAM.id) == 0
