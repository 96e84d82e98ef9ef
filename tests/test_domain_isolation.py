"""The domain, storage contract, embedded store, service and card builders import no bot SDK,
web framework or Azure module: a move to another SDK touches only the Teams edge."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SDK_FREE = [
    "bot.domain.playbook", "bot.domain.project", "bot.domain.transitions", "bot.domain.schedule",
    "bot.domain.authorization", "bot.domain.notifications", "bot.domain.events", "bot.storage.contract",
    "bot.storage.sqlite_store", "bot.service", "bot.delivery.outbox", "bot.delivery.limits", "bot.scheduled", "bot.export",
    "bot.domain.digest", "bot.commands", "bot.config", "bot.graph.licensing", "bot.graph.settings", "bot.graph.errors",
    "bot.licence_checks",
    "cards.task", "cards.status", "cards.help", "cards.setup", "cards.views", "cards.digest", "cards.reminder", "cards.export",
]
FORBIDDEN = ("botbuilder", "botframework", "aiohttp", "azure", "msrest", "msal")


def test_domain_and_cards_import_no_sdk() -> None:
    code = (
        "import importlib, json, sys\n"
        f"for name in {SDK_FREE!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules)))\n"
    )
    output = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    loaded = json.loads(output)
    offenders = sorted(m for m in loaded if m.split(".")[0] in FORBIDDEN)
    assert offenders == [], f"SDK-free modules pulled in: {offenders}"


def test_the_check_would_catch_an_sdk_import() -> None:
    code = "import json, sys, bot.teams.handler; print(json.dumps(sorted(sys.modules)))"
    output = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert any(m.startswith("botbuilder") for m in json.loads(output))


def test_the_domain_imports_only_the_domain() -> None:
    """bot/domain is the innermost layer: cards, storage, delivery and the edge depend on it, never
    the other way round (a domain module importing cards would drag presentation into the core)."""
    modules = sorted(f"bot.domain.{path.stem}" for path in (ROOT / "bot" / "domain").glob("*.py") if path.stem != "__init__")
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules)))\n"
    )
    output = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    ours = {m for m in json.loads(output) if m.split(".")[0] in ("bot", "cards", "dialogs")}
    assert sorted(m for m in ours if not m.startswith("bot.domain") and m != "bot") == []
