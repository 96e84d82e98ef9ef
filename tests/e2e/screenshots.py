"""Regenerate docs/screenshots/*.png from the real cards, as the Agents Playground draws them:

    .venv/bin/python -m tests.e2e.screenshots

Needs what the end-to-end tests need (Chromium, Node.js, the npm packages) and runs the same
offline stack: the bot in process on a throwaway store, the Playground, headless Chromium.
Each image is cropped to the card: at the Playground's 446 px, and for the status and digest
also at a phone's 360 px (`-phone`) and the digest with "Show all" and "Phases" pressed
(`-expanded`). The run's other records land in test-artifacts/e2e/screenshots/.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.e2e.playground import (
    ARTIFACTS,
    GENERAL,
    MEGAN,
    PERSONAL,
    ROOT,
    TEAM,
    card_action_activity,
    dead_port,
    execute_actions,
    launch_chromium,
    missing_prerequisites,
    offline_env,
)
from tests.e2e.stack import CLOUD_VOICE, CUSTOMER, Stack, running_stack, set_up_project

OUT = ROOT / "docs" / "screenshots"
LIMIT_BYTES = 200 * 1024


def save(card: Any, name: str) -> Path:
    path = OUT / name
    card.screenshot(path=str(path), animations="disabled")
    size = path.stat().st_size
    print(f"{path.relative_to(ROOT)}: {size // 1024} KB")
    if size > LIMIT_BYTES:
        print(f"  warning: over {LIMIT_BYTES // 1024} KB", file=sys.stderr)
    return path


PHONE_WIDTH = 360


def toggle(card: Any, *names: str) -> None:
    """Press a card's toggle buttons (by script: the channel pane scrolls itself, not the page)."""
    for name in names:
        card.get_by_role("button", name=name).evaluate("button => button.click()")
    card.page.wait_for_timeout(300)


def at_width(card: Any, width: int | None) -> None:
    """Lay a drawn card out at `width` px (None: the Playground's own 446 px column), as a phone
    would: the Playground keeps its card column fixed whatever the window's width."""
    value = f"{width}px" if width else ""
    card.evaluate(f"card => {{ card.style.width = '{value}'; card.style.maxWidth = '{value}'; }}")
    card.page.wait_for_timeout(300)


def take(stack: Stack) -> None:
    teams, bot, recording = stack.teams, stack.bot, stack.playground.recording

    teams.say("help")
    save(teams.wait_card("What I can do", "For project managers", must_draw=True, resend=lambda: teams.say("help")), "help.png")

    set_up_project(stack)
    teams.go(PERSONAL)
    kickoff = teams.wait_card(stack.title("meetings.kickoff"), "Confirm completed", must_draw=True)
    teams.shown(kickoff.get_by_role("button", name="Confirm completed"))
    save(kickoff, "task.png")

    # Some progress for the status and the digest: Alex (PM and customer contact) confirms two
    # tasks from his chat; Megan reports one blocked from hers.
    for task_id in ("onboarding.login", "meetings.kickoff"):
        card = teams.wait_card(stack.title(task_id), "Confirm completed", must_draw=True)
        card.get_by_role("button", name="Confirm completed").click()
        teams.wait_card(stack.title(task_id), "Completed by")
    megan_chat = recording.personal_conversation_of(MEGAN)
    assert megan_chat
    message_id, card = recording.task_cards(megan_chat)[f"{CLOUD_VOICE}:licensing.phone_standard"]
    teams.custom_activity(card_action_activity(
        MEGAN, megan_chat, "block", {**execute_actions(card)["block"], "reason": "Waiting for the licence purchase order"},
        stack.playground.service_url, reply_to=message_id))
    teams.wait_card(stack.title("licensing.phone_standard"), f"Blocked by {MEGAN.name}")
    bot.settle()

    teams.go(GENERAL)
    teams.post("status")
    status = teams.wait_card(f"Activation status: {CUSTOMER}", resend=lambda: teams.post("status"), must_draw=True)
    save(status, "status.png")
    at_width(status, PHONE_WIDTH)
    save(status, "status-phone.png")
    at_width(status, None)
    teams.post("digest post")
    bot.settle()
    recording.wait(lambda r: any("Weekly digest" in str(c) for e in r.bot_messages(TEAM) for c in e.cards), "the digest")
    digest = teams.wait_card("Weekly digest", must_draw=True, resend=lambda: teams.post("digest post"))
    save(digest, "digest.png")
    at_width(digest, PHONE_WIDTH)
    save(digest, "digest-phone.png")
    at_width(digest, None)
    toggle(digest, "Show all", "Phases")
    save(digest, "digest-expanded.png")


def main() -> int:
    problems = missing_prerequisites()
    if problems:
        print("Cannot take the screenshots:\n  - " + "\n  - ".join(problems), file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with dead_port() as dead, tempfile.TemporaryDirectory() as work, sync_playwright() as playwright:
        os.environ.update(offline_env(dead))
        browser = launch_chromium(playwright, dead)
        try:
            # a tall page: every card fits on screen whole
            with running_stack(browser, Path(work), ARTIFACTS / "screenshots", dead, viewport=(1280, 2400)) as stack:
                take(stack)
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
