"""Azurite's blob service on loopback for tests (`azurite` from npm, in a temporary folder).

Like the Cosmos DB server (tests/support/cosmos_server.py): a Node subprocess on a free
127.0.0.1 port, ready when it says it listens. Missing Node or the package is a failure with
instructions, never a skip. The session fixture `azurite_url` gives the account URL of the
well-known development account (`AZURITE_KEY`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.node_server import REPO_ROOT, NodeServer, NodeServerError, serve_session

ACCOUNT = "devstoreaccount1"
# Azurite's published development key (the same for every installation).
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


class AzuriteError(NodeServerError):
    """Azurite could not be started; the message says what to install or fix."""


class Azurite(NodeServer):
    """Azurite's blob service, its data in a temporary folder removed when it stops."""

    name = "azurite"
    error = AzuriteError

    def __init__(self, root: Path = REPO_ROOT, start_timeout: float = 30.0) -> None:
        super().__init__(root, start_timeout)
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    @property
    def account_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{ACCOUNT}"

    @property
    def address(self) -> str:
        return self.account_url

    def command(self, node: str) -> list[str]:
        script = self.root / "node_modules" / "azurite" / "dist" / "src" / "blob" / "main.js"
        if not script.exists():
            raise AzuriteError(f"azurite is not installed in {self.root / 'node_modules'}: run `npm ci` in {self.root}")
        if self._folder is None:
            self._folder = tempfile.TemporaryDirectory(prefix="azurite-")
        return [node, str(script), "--blobHost", "127.0.0.1", "--blobPort", str(self.port), "--location", self._folder.name,
                "--skipApiVersionCheck", "--loose", "--disableProductStyleUrl"]

    def is_ready(self, line: str) -> bool:
        return "successfully listens" in line

    def stop(self, keep_folder: bool = False) -> None:
        """Stop the process; `keep_folder` for a store that goes down mid-test (its data stays)."""
        super().stop()
        if not keep_folder and self._folder is not None:
            self._folder.cleanup()
            self._folder = None


@pytest.fixture(scope="session")
def azurite_url() -> Iterator[str]:
    """The account URL of a session-wide Azurite blob service (fails, never skips, if it cannot start)."""
    yield from serve_session(Azurite())
