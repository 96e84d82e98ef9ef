"""The lock files: every pin of requirements*.txt locked at the same version, every package
with hashes, and setup, CI and the image installing from them with --require-hashes. A lock
behind its requirements fails here: run `bash scripts/lock.sh`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LOCKS = {"requirements.txt": "requirements.lock", "requirements-dev.txt": "requirements-dev.lock",
         "requirements-checkov.txt": "requirements-checkov.lock"}
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;\\]+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith(("-r ", "--requirement ")):
            found.update(pins(path.parent / line.split()[1]))
        elif line:
            match = _PIN.match(line)
            assert match, f"{path.name}: {raw!r} is not pinned with =="
            found[canonical(match.group(1))] = match.group(3)
    return found


def locked(path: Path) -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes)."""
    entries: dict[str, tuple[str, int]] = {}
    current = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line)
        if match:
            current = canonical(match.group(1))
            entries[current] = (match.group(3), 0)
        elif "--hash=sha256:" in line and current:
            version, hashes = entries[current]
            entries[current] = (version, hashes + 1)
    return entries


@pytest.mark.parametrize(("requirements", "lock"), sorted(LOCKS.items()))
def test_every_pin_is_locked_at_its_version_with_hashes(requirements: str, lock: str) -> None:
    entries = locked(REPO / lock)
    behind = {name: (version, entries.get(name, ("missing", 0))[0]) for name, version in pins(REPO / requirements).items()
              if entries.get(name, ("", 0))[0] != version}
    assert not behind, f"{lock} is behind {requirements} (pinned, locked): {behind}; run `bash scripts/lock.sh`"
    assert entries and all(hashes > 0 for _, hashes in entries.values()), [n for n, (_, h) in entries.items() if not h]


def test_the_dev_lock_holds_the_runtime_lock() -> None:
    runtime, dev = locked(REPO / "requirements.lock"), locked(REPO / "requirements-dev.lock")
    assert {n: v for n, (v, _) in runtime.items()} == {n: dev[n][0] for n in runtime if n in dev}
    assert set(runtime) <= set(dev)


def test_setup_ci_and_image_install_from_the_locks_with_hashes() -> None:
    setup = (REPO / "scripts" / "setup.sh").read_text(encoding="utf-8")
    assert "--require-hashes" in setup
    for lock in LOCKS.values():
        assert lock in setup, f"scripts/setup.sh does not install {lock}"
    assert not re.search(r"pip install[^\n]*-r requirements[-a-z]*\.txt", setup), "setup.sh installs from a .txt"
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8") + (REPO / "scripts" / "test.sh").read_text(encoding="utf-8")
    assert "scripts/test.sh" in ci and "scripts/setup.sh --dev" in ci
    dockerfile = (REPO / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    assert "COPY requirements.lock" in dockerfile and "--require-hashes --requirement requirements.lock" in dockerfile
    ignore = (REPO / "deploy" / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    assert "!requirements.lock" in ignore
