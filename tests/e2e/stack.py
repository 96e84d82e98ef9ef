"""One end-to-end stack (bot in process, Playground, page) and the scenario steps the tests
share: setting up a Cloud Voice project in the team channel through the real form."""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.domain.playbook import PlaybookLibrary, load_playbooks
from bot.domain.roles import Role
from tests.e2e.playground import (
    ADELE,
    ALEX,
    GENERAL,
    ISAIAH,
    LYNNE,
    MEGAN,
    PATTI,
    TEAM,
    InProcessBot,
    Playground,
    PlaygroundUser,
    TeamsPage,
    describe,
    text_of,
    wait_until,
)

CUSTOMER = "Contoso Pharma"
CLOUD_VOICE = "cloud_voice_teams"
# Alex, the signed-in Playground user, is the PM and also the customer's primary contact: the
# Playground draws only his chats, so the customer's 1:1 cards he can click are his. Megan
# (global admin) and Adele (admin) act through the custom-activity editor.
PROJECT_ROLES: dict[Role, list[PlaygroundUser]] = {
    Role.CUSTOMER_PRIMARY_CONTACT: [ALEX],
    Role.CUSTOMER_GLOBAL_ADMIN: [MEGAN],
    Role.AUTHORIZED_SIGNER: [MEGAN],
    Role.CUSTOMER_ADMIN: [ADELE],
    Role.SALES_REP: [ISAIAH],
    Role.SUPPORT_LEAD: [PATTI],
    Role.TECHNICIAN: [LYNNE],
}


@dataclass
class Stack:
    bot: InProcessBot
    playground: Playground
    teams: TeamsPage
    library: PlaybookLibrary

    def title(self, task_id: str, language: str = "en", playbook: str = CLOUD_VOICE) -> str:
        return self.library[playbook].task(task_id).title.get(language)  # type: ignore[arg-type]


@contextlib.contextmanager
def running_stack(browser: Any, workdir: Path, artifacts: Path, dead: int,
                  viewport: tuple[int, int] = (1280, 1800)) -> Iterator[Stack]:
    """Start the bot, the Playground and a fresh browser context; on the way out keep what
    each of them recorded (every card drawn, the bot's received activities and log, the
    Playground's log and events recording, refused requests, retries) under `artifacts`."""
    shutil.rmtree(artifacts, ignore_errors=True)
    artifacts.mkdir(parents=True)
    handler = logging.FileHandler(artifacts / "bot.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    bot = InProcessBot(workdir / "data")
    playground: Playground | None = None
    context: Any = None
    teams: TeamsPage | None = None
    try:
        bot.start()
        playground = Playground(workdir / "playground", bot.url, dead)
        playground.start()
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="en-US", timezone_id="UTC",
                                      service_workers="block")
        teams = TeamsPage.open(context, playground.url, artifacts)
        teams.recording = playground.recording
        yield Stack(bot, playground, teams, load_playbooks())
    finally:
        if teams is not None:
            teams.snap_every_card()
            (artifacts / "flakiness.txt").write_text("\n".join(teams.notes) + "\n", encoding="utf-8")
            (artifacts / "refused-requests.txt").write_text("\n".join(sorted(set(teams.blocked))) + "\n", encoding="utf-8")
        if context is not None:
            with contextlib.suppress(Exception):
                context.close()
        with contextlib.suppress(Exception):
            (artifacts / "bot-received.json").write_text(json.dumps(bot.received(), indent=1, default=str), encoding="utf-8")
        if playground is not None:
            playground.stop()
            for source, name in ((playground.log_file, "playground.log"), (playground.recording.path, "playground-events.log")):
                if source.exists():
                    shutil.copyfile(source, artifacts / name)
        bot.stop()
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()


def set_up_project(stack: Stack, customer: str = CUSTOMER) -> Any:
    """As the PM (Alex): '@Activation Bot new project' in General, fill the form, create.
    Returns the project as stored, once every message it caused has been delivered."""
    teams, bot = stack.teams, stack.bot
    teams.go(GENERAL)
    teams.post("new project")
    bot.wait_received(lambda a: a.get("type") == "message" and text_of(a) == "new project"
                      and (a.get("conversation") or {}).get("id", "").startswith(TEAM), "'new project' posted in the channel")
    form = teams.wait_card("New activation project", label="set-up form", must_draw=True,
                           resend=lambda: teams.post("new project"))  # a new thread, a new dialog
    form.get_by_label("Customer name").fill(customer)
    product = stack.library[CLOUD_VOICE].name.get("en")
    form.locator(f'input[type="checkbox"][aria-label="{product}"]').check()
    for role, people in PROJECT_ROLES.items():
        teams.choose(form, role.label.get("en"), [p.name for p in people])
    assert form.get_by_label("Customer name").input_value() == customer, "the form lost what was typed into it"

    def is_submission(activity: dict[str, Any]) -> bool:
        return isinstance(activity.get("value"), dict) and activity["value"].get("verb") == "create_project"

    form.get_by_text("New activation project").click()  # focus away from the last combobox
    form.get_by_role("button", name="Create project").click()
    activity = bot.wait_received(is_submission, "the set-up form's submission")
    assert activity["value"].get("customer") == customer, describe(activity)
    teams.wait_text(f"Project created for {customer}")  # a text reply; the store below is what counts
    wait_until(lambda: bot.project_for(TEAM), 30, "the project stored for the channel")
    bot.settle()  # every card the creation owes has been sent
    return bot.project_for(TEAM)


def ready_tasks(project: Any) -> list[str]:
    return [key for key, record in project.tasks.items() if record.state.value == "ready"]
