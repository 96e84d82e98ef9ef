"""The last Microsoft Graph licence check of a project, as lines for its licensing task cards."""

from __future__ import annotations

from bot.domain.notifications import LICENSING_PREFIX
from bot.domain.text import Language
from bot.graph.licensing import LicensingReport
from bot.storage.contract import Store, user_key


def report_key(project_id: str) -> str:
    return user_key("licensing", project_id)


async def licence_lines(store: Store, project_id: str, key: str, language: Language) -> list[str]:
    """[] for tasks outside the licensing phase, or when no check has run (Graph not configured)."""
    if not key.split(":", 1)[-1].startswith(LICENSING_PREFIX):
        return []
    stored = await store.read_document(report_key(project_id))
    return LicensingReport.from_dict(stored.value).lines_for_task(key, language) if stored else []
