"""deploy/Dockerfile: pinned base, non-root, cache-less pip, and a HEALTHCHECK that really works.

No Docker daemon here: the HEALTHCHECK's command is taken out of the Dockerfile and run against
a local /healthz server on 127.0.0.1.
"""

from __future__ import annotations

import ast
import http.server
import json
import os
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "deploy" / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with line continuations joined and comments dropped."""
    result, pending = [], ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = (pending + stripped).strip()
        pending = ""
        keyword, _, args = full.partition(" ")
        result.append((keyword.upper(), args.strip()))
    return result


def only(keyword: str) -> str:
    found = [args for kw, args in instructions() if kw == keyword]
    assert len(found) == 1, f"expected one {keyword}, found {found}"
    return found[0]


def test_base_image_is_python_311_slim_pinned_by_version_tag():
    image = only("FROM")
    assert re.fullmatch(r"python:3\.11\.\d+-slim(-[a-z]+)?", image), image


def test_runs_as_non_root_after_installing():
    steps = instructions()
    user_index = max(i for i, (kw, _) in enumerate(steps) if kw == "USER")
    user = steps[user_index][1]
    assert user.split(":")[0] not in ("root", "0"), user
    assert all(kw not in ("RUN", "COPY", "ADD") for kw, _ in steps[user_index + 1 :]), "build steps after USER"


def test_pip_installs_pinned_requirements_without_cache():
    runs = [args for kw, args in instructions() if kw == "RUN" and "pip install" in args]
    assert len(runs) == 1, runs
    assert "--no-cache-dir" in runs[0]
    assert re.search(r"(-r|--requirement)\s+requirements\.lock", runs[0]) and "--require-hashes" in runs[0]
    for source in copied_sources():
        assert (REPO / source).exists(), f"COPY {source}: not in the repository root (the build context)"


def test_exposes_3978_and_starts_the_bot():
    assert only("EXPOSE") == "3978"
    assert json.loads(only("CMD")) == ["python", "-m", "bot"]
    env = only("ENV")
    assert "PORT=3978" in env


def copied_sources() -> set[str]:
    return {source.rstrip("/") for kw, args in instructions() if kw == "COPY" for source in args.split()[:-1]}


def local_packages_imported_by(directories: set[str]) -> set[str]:
    """Top-level names imported anywhere under `directories` that are folders or modules at the repo root."""
    local = {p.name for p in REPO.iterdir() if p.is_dir() and any(p.glob("*.py"))}
    local |= {p.stem for p in REPO.glob("*.py")}
    imported = set()
    for directory in directories:
        for path in (REPO / directory).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    imported.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    imported.add(node.module.split(".")[0])
    return imported & local


def test_image_copies_every_local_package_the_bot_imports():
    copied = copied_sources()
    assert "bot" in copied
    packages = {source for source in copied if (REPO / source).is_dir()}
    # Follow imports from the bot into the packages it pulls in, until nothing new appears.
    needed, frontier = {"bot"}, {"bot"}
    while frontier:
        frontier = local_packages_imported_by(frontier) - needed
        needed |= frontier
    assert needed <= packages, f"the image lacks {sorted(needed - packages)}: add COPY lines (and un-ignore them)"


def test_dockerignore_beside_the_dockerfile_keeps_what_the_image_copies():
    lines = [
        line.strip()
        for line in (REPO / "deploy" / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*", "ignore everything, then re-include what the image copies"
    included = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    assert copied_sources() <= included, f"ignored but copied: {sorted(copied_sources() - included)}"


def healthcheck_command() -> list[str]:
    args = only("HEALTHCHECK")
    options, _, command = args.partition(" CMD ")
    assert "--interval=" in options and "--timeout=" in options
    argv = json.loads(command)
    assert argv[0] == "python", argv
    return [sys.executable, *argv[1:]]


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):
        code = self.status if self.path == "/healthz" else 404
        self.send_response(code)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def health_server():
    handler = type("Handler", (_Health,), {"status": 200})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, handler
    finally:
        server.shutdown()
        server.server_close()


def run_healthcheck(port: int) -> int:
    env = dict(os.environ, PORT=str(port), http_proxy="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9")
    return subprocess.run(healthcheck_command(), env=env, capture_output=True, timeout=30).returncode


def test_healthcheck_passes_when_healthz_answers_200(health_server):
    server, _ = health_server
    assert run_healthcheck(server.server_address[1]) == 0


def test_healthcheck_fails_when_healthz_answers_an_error(health_server):
    server, handler = health_server
    handler.status = 503
    assert run_healthcheck(server.server_address[1]) != 0


def test_healthcheck_fails_when_nothing_listens():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert run_healthcheck(port) != 0
