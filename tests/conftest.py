"""Shared fixtures: the real playbooks, a small toy playbook, and actors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.domain.authorization import Actor
from bot.domain.playbook import PlaybookLibrary, load_playbooks, parse_playbook

TENANT = "11111111-1111-1111-1111-111111111111"
OTHER_TENANT = "22222222-2222-2222-2222-222222222222"


@pytest.fixture(scope="session")
def library() -> PlaybookLibrary:
    return load_playbooks()


def _text(value: str) -> dict[str, str]:
    return {"es": value, "en": value}


def toy_playbook_data() -> dict[str, Any]:
    """Three tasks in a chain, owned by the customer, the PM and both (confirmed by the customer)."""
    return {
        "schema": 1,
        "id": "toy",
        "name": _text("Toy"),
        "phase": [{"id": "one", "title": _text("One")}, {"id": "two", "title": _text("Two"), "condition": "porting"}],
        "task": [
            {"id": "a", "phase": "one", "party": "customer", "title": _text("A"), "description": _text("a"),
             "owners": ["customer_primary_contact"]},
            {"id": "b", "phase": "one", "party": "provider", "title": _text("B"), "description": _text("b"),
             "owners": ["provider_pm"], "depends_on": ["a"], "duration_days": 2},
            {"id": "c", "phase": "two", "party": "shared", "title": _text("C"), "description": _text("c"),
             "owners": ["provider_pm", "customer_admin"], "confirmers": ["customer_admin"], "depends_on": ["b"]},
        ],
    }


@pytest.fixture
def toy_library() -> PlaybookLibrary:
    return PlaybookLibrary({"toy": parse_playbook(toy_playbook_data(), "toy.toml")})


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


def pm_actor(tenant: str = TENANT) -> Actor:
    return Actor("pm-1", "Pat PM", tenant, is_staff_pm=True)
