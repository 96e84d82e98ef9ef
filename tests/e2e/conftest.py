"""End-to-end fixtures: Chromium once per module, and for every test a fresh stack (bot in
process on its own embedded store, Agents Playground, browser context), offline.

These tests are never skipped: without Chromium, Node.js or the Playground package they fail
and say what to install."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.playground import ARTIFACTS, dead_port, launch_chromium, missing_prerequisites, offline_env
from tests.e2e.stack import Stack, running_stack


@pytest.fixture(scope="module")
def offline_port() -> Iterator[int]:
    with dead_port() as port:
        yield port


@pytest.fixture(scope="module")
def browser(offline_port: int) -> Iterator[Any]:
    problems = missing_prerequisites()
    if problems:
        pytest.fail("The end-to-end tests cannot run:\n  - " + "\n  - ".join(problems), pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright, offline_port)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def stack(browser: Any, offline_port: int, tmp_path: Path, request: pytest.FixtureRequest,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    for name, value in offline_env(offline_port).items():  # the in-process bot's HTTP clients too
        monkeypatch.setenv(name, value)
    with running_stack(browser, tmp_path, ARTIFACTS / request.node.name, offline_port) as running:
        yield running
