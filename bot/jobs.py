"""Scheduled work run once by an external scheduler (`python -m bot jobs run-due`)."""

from __future__ import annotations

import logging
from typing import Any

from bot.app import build_runtime, open_store
from bot.config import Settings
from bot.domain.playbook import load_playbooks
from bot.domain.text import Language
from bot.service import utc_now
from cards.digest import digest_card
from cards.views import digest_view

log = logging.getLogger(__name__)


async def run_due(settings: Settings) -> dict[str, int]:
    runtime = await build_runtime(settings)
    try:
        counts = await runtime.scheduler.run_due()
    finally:
        await runtime.close()
    log.info("run-due: %s", counts)
    return counts


async def digest_preview(settings: Settings, project_id: str, language: Language) -> dict[str, Any] | None:
    """The project's digest card as it would be posted now (no message is sent)."""
    store = await open_store(settings)
    try:
        current = await store.load_project(project_id)
    finally:
        await store.close()
    if current is None:
        return None
    return digest_card(digest_view(current.value, load_playbooks(), language=language, now=utc_now()))
