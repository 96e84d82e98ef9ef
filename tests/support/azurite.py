"""Azurite's blob service on loopback for tests (`azurite` from npm, in a temporary folder).

Like the Cosmos DB server (tests/support/cosmos_server.py): a Node subprocess on a free
127.0.0.1 port, ready when it says it listens. Missing Node or the package is a failure with
instructions, never a skip. The session fixture `azurite_url` gives the account URL of the
well-known development account (`AZURITE_KEY`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cosmos_server import _free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "devstoreaccount1"
# Azurite's published development key (the same for every installation).
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


class AzuriteError(RuntimeError):
    """Azurite could not be started; the message says what to install or fix."""


class Azurite:
    def __init__(self, root: Path = REPO_ROOT, start_timeout: float = 30.0) -> None:
        self.root = root
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[str] | None = None
        self.port = 0
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._output: list[str] = []

    @property
    def account_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{ACCOUNT}"

    def start(self) -> str:
        node = shutil.which("node")
        if node is None:
            raise AzuriteError("node is not on PATH: install Node.js 20+ to run the Blob Storage tests")
        script = self.root / "node_modules" / "azurite" / "dist" / "src" / "blob" / "main.js"
        if not script.exists():
            raise AzuriteError(f"azurite is not installed in {self.root / 'node_modules'}: run `npm ci` in {self.root}")
        self._folder = tempfile.TemporaryDirectory(prefix="azurite-")
        for _ in range(3):
            self.port = _free_port()
            self._output = []
            self.process = subprocess.Popen(  # fixed arguments
                [node, str(script), "--blobHost", "127.0.0.1", "--blobPort", str(self.port), "--location", self._folder.name,
                 "--skipApiVersionCheck", "--loose", "--disableProductStyleUrl"],
                cwd=self.root, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                env={**os.environ, "NODE_NO_WARNINGS": "1"},
            )
            if self._wait_ready():
                return self.account_url
            self.stop(keep_folder=True)
        raise AzuriteError(f"azurite did not start: {' | '.join(self._output)[-800:]}")

    def _wait_ready(self) -> bool:
        assert self.process is not None and self.process.stdout is not None
        ready = threading.Event()
        stdout = self.process.stdout

        def pump() -> None:
            for line in stdout:
                if len(self._output) < 200:
                    self._output.append(line.rstrip())
                if "successfully listens" in line:
                    ready.set()

        threading.Thread(target=pump, name="azurite-output", daemon=True).start()
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if ready.wait(0.05):
                return True
            if self.process.poll() is not None:
                return False
        return False

    def stop(self, keep_folder: bool = False) -> None:
        process, self.process = self.process, None
        if process is not None:
            if process.poll() is None:
                process.kill()  # this process only, by its handle
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover
                pass
            if process.stdout is not None:
                process.stdout.close()
        if not keep_folder and self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def __enter__(self) -> Azurite:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@pytest.fixture(scope="session")
def azurite_url() -> Iterator[str]:
    """The account URL of a session-wide Azurite blob service (fails, never skips, if it cannot start)."""
    server = Azurite()
    problem = ""
    try:
        url = server.start()
    except AzuriteError as error:
        problem = str(error)
    if problem:
        pytest.fail(problem, pytrace=False)
    try:
        yield url
    finally:
        server.stop()
