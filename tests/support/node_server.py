"""One way to run a Node test server on loopback: a subprocess on a free 127.0.0.1 port,
ready when it prints its ready line, killed by its handle. The Cosmos DB stand-in and Azurite
are its two kinds; a missing Node or npm package is a failure with instructions, never a skip.
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
from typing import Self

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


class NodeServerError(RuntimeError):
    """The server could not be started; the message says what to install or fix."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class NodeServer:
    """Start/stop one server process; a kind says what to run, when it is ready and its address."""

    name = "node server"
    error: type[NodeServerError] = NodeServerError

    def __init__(self, root: Path = REPO_ROOT, start_timeout: float = 20.0) -> None:
        self.root = root
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[str] | None = None
        self.port = 0
        self._output: list[str] = []

    @property
    def address(self) -> str:
        raise NotImplementedError

    def command(self, node: str) -> list[str]:
        """The Node command line for self.port; raise self.error when the package is missing."""
        raise NotImplementedError

    def is_ready(self, line: str) -> bool:
        raise NotImplementedError

    def start(self, port: int | None = None) -> str:
        """Start on `port` (a restart keeps its address), else on a free one; returns the address."""
        node = shutil.which("node")
        if node is None:
            raise self.error(f"node is not on PATH: install Node.js 20+ to run the tests that need {self.name}")
        for _ in range(1 if port else 3):  # a free port can be taken between probing and listening
            self.port = port or free_port()
            self._output = []
            self.process = subprocess.Popen(  # fixed arguments
                self.command(node), cwd=self.root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                text=True, env={**os.environ, "NODE_NO_WARNINGS": "1"},
            )
            if self._wait_ready():
                return self.address
            self._end_process()
        raise self.error(f"{self.name} did not start: {' | '.join(self._output)[-800:]}")

    def _wait_ready(self) -> bool:
        assert self.process is not None and self.process.stdout is not None
        ready = threading.Event()
        stdout = self.process.stdout

        def pump() -> None:  # keeps draining so the pipe never fills up
            for line in stdout:
                line = line.rstrip()
                if len(self._output) < 200:
                    self._output.append(line)
                if self.is_ready(line):
                    ready.set()

        threading.Thread(target=pump, name=f"{self.name}-output", daemon=True).start()
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if ready.wait(0.05):
                return True
            if self.process.poll() is not None:
                return False
        return False

    def _end_process(self) -> None:
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

    def stop(self) -> None:
        self._end_process()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_session(server: NodeServer) -> Iterator[str]:
    """A session fixture's body: the server's address, a test failure (never a skip) if it cannot start."""
    problem = ""
    try:
        address = server.start()
    except NodeServerError as error:
        problem = str(error)
    if problem:
        pytest.fail(problem, pytrace=False)
    try:
        yield address
    finally:
        server.stop()
