"""What a command shows depends on who reads the conversation it is typed in (issue 22, item 1).

A channel or group chat is read by everyone in it, customers and other organisations
included: there the bot shows the conversation's own project and nothing else. The portfolio,
and a PM's or a person's other projects, appear only in their 1:1 chat with the bot."""

from __future__ import annotations

import pytest

from tests.security.conftest import HarnessFactory, SecureHarness, delivered_since, project_snapshot, texts_of
from tests.security.scenario import CUSTOMER_NAME, PM_ELSEWHERE, Project, command, started_project
from tests.support.teams_activities import Conversation, TeamsUser, channel, group_chat, personal
from tests.teams.conftest import ADMIN, CUSTOMER, OTHER_TENANT, PM, TEAM, TENANT

pytestmark = pytest.mark.regressions

SECOND_CUSTOMER = "Quasar Private Logistics"
SECOND_CHANNEL = channel("quasar-activation", TENANT)  # a channel holds one project (issue 22, item 3)
OTHER_TENANTS_CHANNEL = channel("their-own-team", OTHER_TENANT)
EMPTY_CHANNEL = channel("provider-lounge", TENANT)
GROUP_CHAT = group_chat("pm-and-friends", TENANT)
PM_COMMANDS = ("status", "estado", "status all", "estado todos", "my tasks", "digest", "digest post", "export",
               "foc 2027-01-22", "port date 2027-02-01")
NO_PROJECT_HERE = ("This conversation has no project", "Esta conversación no tiene un proyecto")
PORTFOLIO_PRIVATE = ("only in your 1:1 chat", "solo se muestra en su chat personal")


@pytest.fixture
async def two_projects(make_harness: HarnessFactory) -> tuple[SecureHarness, Project, Project]:
    harness = await make_harness()
    first = await started_project(harness)
    second = await started_project(harness, customer=SECOND_CUSTOMER, where=SECOND_CHANNEL)
    return harness, first, second


async def answers_to(harness: SecureHarness, user: TeamsUser, where: Conversation, text: str,
                     projects: tuple[Project, ...]) -> str:
    """Everything the bot sent for one command, after checking that no project changed."""
    before = [await project_snapshot(harness, p.id) for p in projects]
    start = len(harness.standin.delivered)
    status, body = await harness.post(command(user, where, text, harness.service_url))
    assert status < 500, (text, status, body)
    assert [await project_snapshot(harness, p.id) for p in projects] == before, f"{text!r} changed a project"
    return texts_of([body, delivered_since(harness, start)])


def assert_no_customer_data(seen: str, *projects: Project, asker: TeamsUser | None = None) -> None:
    """No project's secrets in `seen`; the asker's own name may appear (replies are addressed to them)."""
    for project in projects:
        for secret in project.secrets:
            if asker is None or secret != asker.name:
                assert secret not in seen, f"{secret!r} was posted into a conversation with no project"


@pytest.mark.parametrize("where", [OTHER_TENANTS_CHANNEL, EMPTY_CHANNEL, GROUP_CHAT],
                         ids=["another tenant's channel", "a channel with no project", "a group chat with no project"])
async def test_a_pm_in_a_conversation_with_no_project_sees_no_customer(two_projects, where: Conversation) -> None:
    harness, first, second = two_projects
    pm = PM_ELSEWHERE if where.tenant_id == OTHER_TENANT else PM
    for text in PM_COMMANDS:
        seen = await answers_to(harness, pm, where, text, (first, second))
        assert_no_customer_data(seen, first, second)
        expected = PORTFOLIO_PRIVATE if text in ("status all", "estado todos") else NO_PROJECT_HERE
        assert any(words in seen for words in expected), (text, seen)
        assert "AdaptiveCard" not in seen, f"{text!r} answered with a card"


async def test_a_customer_in_a_group_chat_sees_no_project(two_projects) -> None:
    harness, first, second = two_projects
    for user in (CUSTOMER, ADMIN):
        for text in ("status", "my tasks"):
            seen = await answers_to(harness, user, GROUP_CHAT, text, (first, second))
            assert_no_customer_data(seen, first, second, asker=user)
            assert any(words in seen for words in NO_PROJECT_HERE), (user.name, text, seen)


async def test_the_projects_channel_shows_only_its_own_project(two_projects) -> None:
    harness, first, second = two_projects
    # Each channel holds its own project.
    assert await harness.runtime.service.project_for_conversation(SECOND_CHANNEL.id) == second.id
    seen = await answers_to(harness, PM, SECOND_CHANNEL, "status", (first, second))
    assert SECOND_CUSTOMER in seen and CUSTOMER_NAME not in seen
    seen = await answers_to(harness, PM, SECOND_CHANNEL, "status all", (first, second))
    assert any(words in seen for words in PORTFOLIO_PRIVATE) and CUSTOMER_NAME not in seen and SECOND_CUSTOMER not in seen
    # The admin owns tasks in both projects; in each channel only its project's are listed.
    seen = await answers_to(harness, ADMIN, SECOND_CHANNEL, "my tasks", (first, second))
    assert SECOND_CUSTOMER in seen and CUSTOMER_NAME not in seen
    seen = await answers_to(harness, ADMIN, TEAM, "my tasks", (first, second))
    assert CUSTOMER_NAME in seen and SECOND_CUSTOMER not in seen


async def test_the_pms_own_chat_still_shows_everything(two_projects) -> None:
    harness, first, second = two_projects
    chat = personal(PM)
    for text in ("status", "status all"):
        seen = await answers_to(harness, PM, chat, text, (first, second))
        assert CUSTOMER_NAME in seen and SECOND_CUSTOMER in seen, text
    seen = await answers_to(harness, ADMIN, personal(ADMIN), "my tasks", (first, second))
    assert CUSTOMER_NAME in seen and SECOND_CUSTOMER in seen
    # With two projects a PM command in 1:1 asks for the channel instead of guessing.
    seen = await answers_to(harness, PM, chat, "digest", (first, second))
    assert "several projects" in seen and "AdaptiveCard" not in seen


async def test_pm_commands_in_a_1_1_chat_act_on_the_only_project(make_harness: HarnessFactory) -> None:
    harness = await make_harness()
    project = await started_project(harness)
    chat = personal(PM)
    await harness.post(command(PM, chat, "foc 2027-01-22", harness.service_url))
    stored = await harness.runtime.service.load(project.id)
    assert stored is not None and str(stored.foc_date) == "2027-01-22"
    assert "FOC date recorded" in texts_of(harness.standin.activities_in(chat.id))
    # A customer asking for a PM's command in their own chat is told who may, not "no project".
    customer_chat = personal(CUSTOMER)
    for text in ("digest", "export"):
        await harness.post(command(CUSTOMER, customer_chat, text, harness.service_url))
        assert "Only a provider project manager" in texts_of(harness.standin.activities_in(customer_chat.id)[-1]), text
