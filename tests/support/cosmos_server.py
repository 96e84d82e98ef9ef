"""A local Cosmos DB stand-in for tests: `@vercel/cosmosdb-server` on loopback.

The server runs as a Node subprocess (HTTPS, keep-alive) on a free 127.0.0.1 port; data
lives in its memory only, so every test creates its own database. Missing Node or the npm
package is a failure with instructions, never a skip: a green run must mean Cosmos was tested.

Use the session fixture `cosmos_endpoint` (register it with
`from tests.support.cosmos_server import cosmos_endpoint  # noqa: F401` in a conftest), or
`CosmosServer` directly (the bench script does).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "@vercel/cosmosdb-server"
# Any key is accepted by the local server; this is the well-known emulator key format.
LOCAL_KEY = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="
_SCRIPT = (
    "const s=require(process.argv[1]).createHttpsServer({keepAlive:true});"
    "s.listen(Number(process.argv[2]),'127.0.0.1',()=>console.log('ready'));"
    "process.stdin.on('end',()=>process.exit(0));process.stdin.resume();"
)


class CosmosServerError(RuntimeError):
    """The local server could not be started; the message says what to install or fix."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class CosmosServer:
    """Start/stop one server process. `endpoint` is its https://127.0.0.1:<port>/ address."""

    def __init__(self, root: Path = REPO_ROOT, start_timeout: float = 20.0) -> None:
        self.root = root
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[str] | None = None
        self.port = 0
        self._output: list[str] = []

    @property
    def endpoint(self) -> str:
        return f"https://127.0.0.1:{self.port}/"

    def start(self) -> str:
        node = shutil.which("node")
        if node is None:
            raise CosmosServerError("node is not on PATH: install Node.js 20+ to run the Cosmos DB tests")
        package_dir = self.root / "node_modules" / PACKAGE
        if not (package_dir / "package.json").exists():
            raise CosmosServerError(
                f"{PACKAGE} is not installed in {self.root / 'node_modules'}: run `npm ci` (or "
                f"`npm install --no-audit --no-fund {PACKAGE}@1.0.1`) in {self.root}"
            )
        for _ in range(3):  # a free port can be taken between probing and listening
            self.port = _free_port()
            self._output = []
            env = {**os.environ, "NODE_NO_WARNINGS": "1"}
            self.process = subprocess.Popen(  # fixed arguments
                [node, "-e", _SCRIPT, str(package_dir), str(self.port)],
                cwd=self.root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                text=True, env=env,
            )
            if self._wait_ready():
                return self.endpoint
            self.stop()
        raise CosmosServerError(f"{PACKAGE} did not start: {' | '.join(self._output)[-800:]}")

    def _wait_ready(self) -> bool:
        assert self.process is not None and self.process.stdout is not None
        ready = threading.Event()
        stdout = self.process.stdout

        def pump() -> None:  # keeps draining so the pipe never fills up
            for line in stdout:
                line = line.rstrip()
                if len(self._output) < 200:
                    self._output.append(line)
                if line == "ready":
                    ready.set()

        threading.Thread(target=pump, name="cosmosdb-server-output", daemon=True).start()
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if ready.wait(0.05):
                return True
            if self.process.poll() is not None:
                return False
        return False

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.kill()  # this process only, by its handle
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - kill is not ignorable
            pass
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass

    def __enter__(self) -> CosmosServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@pytest.fixture(scope="session")
def cosmos_endpoint() -> Iterator[str]:
    """The endpoint of a session-wide local Cosmos DB server (fails, never skips, if it cannot start)."""
    server = CosmosServer()
    problem = ""
    try:
        endpoint = server.start()
    except CosmosServerError as error:
        problem = str(error)
    if problem:
        pytest.fail(problem, pytrace=False)
    try:
        yield endpoint
    finally:
        server.stop()
