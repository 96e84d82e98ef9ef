"""When the store fails (Cosmos DB throttled past its retries, unreachable), the user gets a
short "try again" in their language with a reference, never exception text, and never a 5xx."""

from __future__ import annotations

import logging
import re

import pytest

from bot.storage.contract import StoreUnavailable
from tests.support.teams_activities import card_action, message, personal
from tests.teams.conftest import ADMIN, PM, TEAM
from tests.teams.flows import actions_of, create_project, latest_task_cards, setup_values

SECRET_DETAIL = "Cosmos said 429 with key=abc123 at https://account.documents.azure.com"


@pytest.mark.allows_error_log("the store is made unavailable")
async def test_a_store_failure_gets_a_translated_try_again_with_a_reference(harness, monkeypatch, caplog) -> None:
    await create_project(harness, setup_values("cloud_voice_teams", porting=True))
    data = actions_of(latest_task_cards(harness, ADMIN)["cloud_voice_teams:licensing.phone_standard"])["confirm"]

    async def unavailable(*args: object, **kwargs: object) -> None:
        raise StoreUnavailable(SECRET_DETAIL)

    monkeypatch.setattr(harness.runtime.store, "load_project", unavailable)
    monkeypatch.setattr(harness.runtime.store, "read_document", unavailable)
    status, _ = await harness.post(message(PM, TEAM, "estado", harness.service_url, locale="es-ES"))
    assert status in (200, 201)
    reply = harness.standin.activities_in(TEAM.id)[-1]["text"]
    assert re.fullmatch(r"Algo falló de nuestro lado\. Inténtelo de nuevo en un momento\. \(ref\. [0-9a-f]{8}\)", reply)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [f"turn failed (ref {reply[-9:-1]}): StoreUnavailable"]  # the reference the user was given
    status, body = await harness.post(card_action(ADMIN, personal(ADMIN), "confirm", data, harness.service_url))
    assert status == 200 and body["type"] == "application/vnd.microsoft.error"
    assert "try again" in body["value"]["message"] and SECRET_DETAIL not in str(body)
