"""Scheduled work run once by an external scheduler (`python -m bot jobs run-due`)."""

from __future__ import annotations

import logging

from bot.app import build_runtime
from bot.config import Settings

log = logging.getLogger(__name__)


async def run_due(settings: Settings) -> dict[str, int]:
    runtime = await build_runtime(settings)
    try:
        counts = await runtime.run_due()
    finally:
        await runtime.store.close()
    log.info("run-due: %s", counts)
    return counts
