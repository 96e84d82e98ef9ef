"""A local Cosmos DB stand-in for tests: `@vercel/cosmosdb-server` on loopback.

The server runs as a Node subprocess (HTTPS, keep-alive) on a free 127.0.0.1 port; data
lives in its memory only, so every test creates its own database. Missing Node or the npm
package is a failure with instructions, never a skip: a green run must mean Cosmos was tested.

Use the session fixture `cosmos_endpoint` (register it with
`from tests.support.cosmos_server import cosmos_endpoint  # noqa: F401` in a conftest), or
`CosmosServer` directly (the bench script does).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.node_server import REPO_ROOT, NodeServer, NodeServerError, free_port, serve_session

__all__ = ["LOCAL_KEY", "CosmosServer", "CosmosServerError", "cosmos_endpoint", "free_port"]

PACKAGE = "@vercel/cosmosdb-server"
# Any key is accepted by the local server; this is the well-known emulator key format.
LOCAL_KEY = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="
_SCRIPT = (
    "const s=require(process.argv[1]).createHttpsServer({keepAlive:true});"
    "s.listen(Number(process.argv[2]),'127.0.0.1',()=>console.log('ready'));"
    "process.stdin.on('end',()=>process.exit(0));process.stdin.resume();"
)


class CosmosServerError(NodeServerError):
    """The local server could not be started; the message says what to install or fix."""


class CosmosServer(NodeServer):
    """One server process. `endpoint` is its https://127.0.0.1:<port>/ address."""

    name = PACKAGE
    error = CosmosServerError

    def __init__(self, root: Path = REPO_ROOT, start_timeout: float = 20.0) -> None:
        super().__init__(root, start_timeout)

    @property
    def endpoint(self) -> str:
        return f"https://127.0.0.1:{self.port}/"

    @property
    def address(self) -> str:
        return self.endpoint

    def command(self, node: str) -> list[str]:
        package_dir = self.root / "node_modules" / PACKAGE
        if not (package_dir / "package.json").exists():
            raise CosmosServerError(
                f"{PACKAGE} is not installed in {self.root / 'node_modules'}: run `npm ci` (or "
                f"`npm install --no-audit --no-fund {PACKAGE}@1.0.1`) in {self.root}"
            )
        return [node, "-e", _SCRIPT, str(package_dir), str(self.port)]

    def is_ready(self, line: str) -> bool:
        return line == "ready"


@pytest.fixture(scope="session")
def cosmos_endpoint() -> Iterator[str]:
    """The endpoint of a session-wide local Cosmos DB server (fails, never skips, if it cannot start)."""
    yield from serve_session(CosmosServer())
