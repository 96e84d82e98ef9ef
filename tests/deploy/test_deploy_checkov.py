"""checkov over deploy/ with every framework (Bicep, Dockerfile, secrets, ...): no failed check,
every skip inline with a reason.

One checkov run for the whole module (it takes a few seconds). Network access is pointed at a
dead local port so the run cannot depend on it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
SKIP_RE = re.compile(r"checkov:skip=([A-Z0-9_]+)(?::(.*))?")


def checkov_command() -> list[str]:
    """How to run checkov: $CHECKOV (a command), the repo's .venv-checkov (scripts/setup.sh --dev makes it;
    checkov pins libraries that clash with pytest's), a `checkov` on PATH, or this Python if it has checkov."""
    if os.environ.get("CHECKOV"):
        return shlex.split(os.environ["CHECKOV"])
    venv_python = REPO / ".venv-checkov" / "bin" / "python"
    if venv_python.is_file():
        return [str(venv_python), "-m", "checkov.main"]
    on_path = shutil.which("checkov")
    if on_path:
        return [on_path]
    if importlib.util.find_spec("checkov") is not None:
        return [sys.executable, "-m", "checkov.main"]
    pytest.fail(
        "checkov is not installed: run `bash scripts/setup.sh --dev` (it makes .venv-checkov from "
        "requirements-checkov.txt), or set CHECKOV to a checkov command"
    )


def run_checkov(directory: Path, *frameworks: str) -> dict[str, dict]:
    """checkov's JSON report per check type; no framework given: all of them."""
    command = checkov_command()
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    dead = "http://127.0.0.1:9"
    env.update(http_proxy=dead, https_proxy=dead, HTTP_PROXY=dead, HTTPS_PROXY=dead, no_proxy="", NO_PROXY="")
    env.pop("LOG_LEVEL", None)  # checkov reads LOG_LEVEL for its own logging
    proc = subprocess.run(
        [
            *command,
            "--directory",
            str(directory),
            *(["--framework", *frameworks] if frameworks else []),
            "--compact",
            "--quiet",
            "--output",
            "json",
            "--skip-download",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode in (0, 1), f"checkov exited {proc.returncode}:\n{proc.stderr[-4000:]}"
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"checkov printed no JSON (exit {proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    runs = data if isinstance(data, list) else [data]
    return {run["check_type"]: run for run in runs if "check_type" in run}


@pytest.fixture(scope="module")
def report() -> dict[str, dict]:
    return run_checkov(DEPLOY)


def inline_skips(pattern: str) -> list[tuple[str, str, str]]:
    found = []
    for path in sorted(DEPLOY.rglob(pattern)):
        if not path.is_file() or path.suffix in (".png", ".zip"):
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            match = SKIP_RE.search(line)
            if match:
                found.append((path.relative_to(REPO).as_posix(), match.group(1), (match.group(2) or "").strip()))
    return found


def test_every_framework_ran_without_parsing_errors(report):
    # A framework with nothing to report (secrets, once its false positives are skipped) is
    # left out of checkov's JSON: test_secrets_scanning_sees_through_the_skips shows it runs.
    assert {"bicep", "dockerfile"} <= set(report), f"checkov ran {sorted(report)}"
    for check_type, run in report.items():
        assert run["summary"]["parsing_errors"] == 0, f"{check_type}: parsing errors"


def test_no_failed_checks(report):
    failures = [
        f"{c['check_id']} {c['resource']} ({c['file_path']}:{c['file_line_range']}): {c['check_name']}"
        for run in report.values()
        for c in run["results"].get("failed_checks", [])
    ]
    assert failures == []
    assert all(run["summary"]["failed"] == 0 for run in report.values())


def test_checkov_really_parsed_the_templates(report):
    # Key Vault, Cosmos DB and registry checks that pass today: 8. Fewer means checkov stopped
    # seeing resources (a parse problem), not that things got better.
    assert report["bicep"]["summary"]["passed"] >= 8, report["bicep"]["summary"]
    assert report["dockerfile"]["summary"]["passed"] >= 40, report["dockerfile"]["summary"]


def test_every_skip_is_inline_with_a_reason_and_takes_effect(report):
    bicep_skips = [s for s in inline_skips("*.bicep") if not s[1].startswith("CKV_SECRET")]
    secret_skips = [s for s in inline_skips("*") if s[1].startswith("CKV_SECRET")]
    docker_skips = inline_skips("Dockerfile")
    for file, check_id, reason in secret_skips:
        assert len(reason) >= 20, f"{file}: skip of {check_id} needs a reason"
    for file, check_id, reason in bicep_skips + docker_skips:
        assert len(reason) >= 20, f"{file}: skip of {check_id} needs a reason"
    # Each inline skip matches a check that actually ran on its resource (no dead suppressions).
    assert report["bicep"]["summary"]["skipped"] == len(bicep_skips)
    assert report["dockerfile"]["summary"]["skipped"] == len(docker_skips)


def test_secrets_scanning_sees_through_the_skips(tmp_path: Path) -> None:
    """The secrets framework really scans: without the inline skips its false positives (secret
    names such as 'microsoft-app-password') fail, one per skip; with them, nothing fails."""
    skips = [s for s in inline_skips("*") if s[1].startswith("CKV_SECRET")]
    assert skips, "no secrets skip to check"
    for file in {file for file, _, _ in skips}:
        source = (REPO / file).read_text(encoding="utf-8")
        target = tmp_path / Path(file).name
        target.write_text(re.sub(r" *// checkov:skip=CKV_SECRET_[0-9]+:[^\n]*", "", source), encoding="utf-8")
    unskipped = run_checkov(tmp_path, "secrets")
    assert unskipped["secrets"]["summary"]["failed"] == len(skips), unskipped.get("secrets", {}).get("summary")
    assert run_checkov(REPO / "deploy", "secrets").get("secrets", {"summary": {"failed": 0}})["summary"]["failed"] == 0
