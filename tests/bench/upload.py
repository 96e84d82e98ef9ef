"""Document upload benchmark (issue 16): a 5 MB file attached in a 1:1 chat streams from its
downloadUrl (served by the connector stand-in) through the checks into the store, against
writing the same bytes to the same store directly, in the same run; on the folder store and
on Azure Blob Storage (Azurite). Also the bot's peak memory growth during the upload
(tracemalloc, in a separate pass so it does not slow the timed one), against the file size.

Targets: streamed < 2x direct; peak growth < 2x the file size.
"""

from __future__ import annotations

import asyncio
import hashlib
import statistics
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.documents.download import download
from bot.storage.documents import DocumentMeta, DocumentStore
from tests.bench.common import Row, log, row
from tests.support.azurite import AZURITE_KEY, Azurite
from tests.teams.conftest import CUSTOMER, Harness, harness_env, running_harness
from tests.teams.documents_flow import file_message, pdf, press
from tests.teams.flows import click, create_project, setup_values

SIZE = 5 * 1024 * 1024
CSR_BILL = "cloud_voice_teams:porting.csr_bill"
KICKOFF = "cloud_voice_teams:meetings.kickoff"


async def _chunks(data: bytes, size: int = 256 * 1024) -> AsyncIterator[bytes]:
    for offset in range(0, len(data), size):
        yield data[offset:offset + size]


async def _project(harness: Harness) -> str:
    project_id = await create_project(harness, setup_values("cloud_voice_teams", porting=True))
    project = await harness.runtime.service.load(project_id)
    assert project is not None
    from tests.teams.conftest import PM

    await click(harness, PM, "confirm", {"p": project_id, "k": KICKOFF, "r": project.tasks[KICKOFF].rev})
    return project_id


async def _one_upload(harness: Harness, project_id: str, body: bytes) -> float:
    """Seconds from the file message to the bot's answer, the upload filed."""
    await press(harness, CUSTOMER, "doc_upload", {"p": project_id, "k": CSR_BILL, "d": "phone_bill"})
    url = harness.standin.serve_file(body, "bill.pdf", chunk=256 * 1024)
    before = len((await harness.runtime.service.load(project_id)).documents)  # type: ignore[union-attr]
    started = time.perf_counter()
    status, _ = await harness.post(file_message(harness, CUSTOMER, "bill.pdf", url), settle=False)
    elapsed = time.perf_counter() - started
    project = await harness.runtime.service.load(project_id)
    assert status in (200, 201) and project is not None and len(project.documents) == before + 1, "upload not filed"
    await harness.runtime.settle()
    # Rejected so the next round can upload the bill again.
    from tests.teams.conftest import PM

    await press(harness, PM, "doc_reject", {"p": project_id, "u": project.documents[-1].upload_id}, **{
        f"reject_reason_{project.documents[-1].upload_id}": "bench"})
    return elapsed


async def _stream(harness: Harness, body: bytes) -> float:
    """Seconds for the bot's own path from a downloadUrl to the store: download, checks, store (no Teams turn)."""
    service = harness.runtime.documents
    assert service is not None
    url = harness.standin.serve_file(body, "bill.pdf", chunk=256 * 1024)
    actor = harness.runtime.service.actor(CUSTOMER.aad_object_id, CUSTOMER.name, CUSTOMER.tenant_id)
    started = time.perf_counter()
    await service._put(f"bench/stream/{uuid.uuid4().hex}", "bill.pdf", download(service._http(), url, service.settings),
                       actor, None)
    return time.perf_counter() - started


async def _direct(store: DocumentStore, body: bytes) -> float:
    meta = DocumentMeta("bill.pdf", "application/pdf", len(body), hashlib.sha256(body).hexdigest(), "bench", "2026-11-26T15:00:00")
    started = time.perf_counter()
    await store.put(f"bench/direct/{uuid.uuid4().hex}", _chunks(body), lambda: meta)
    return time.perf_counter() - started


async def _measure(kind: str, env: dict[str, str], rounds: int) -> list[Row]:
    body = pdf("bench", size=SIZE)
    async with running_harness(Settings.from_env(env)) as harness:
        project_id = await _project(harness)
        store = harness.runtime.documents.store  # type: ignore[union-attr]
        await _one_upload(harness, project_id, body)  # warm-up
        await _direct(store, body)
        streamed, direct, turns = [], [], []
        for _ in range(rounds):
            direct.append(await _direct(store, body))
            streamed.append(await _stream(harness, body))
            turns.append(await _one_upload(harness, project_id, body))
        # Memory: a separate pass under tracemalloc (peak of Python allocations during the turn).
        tracemalloc.start()
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        await _one_upload(harness, project_id, body)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    s, d, turn = statistics.median(streamed), statistics.median(direct), statistics.median(turns)
    growth = peak - base
    log(f"upload {kind}: streamed {s * 1000:.0f} ms, direct {d * 1000:.0f} ms, whole turn {turn * 1000:.0f} ms, "
        f"peak growth {growth / 1e6:.1f} MB")
    return [
        row(f"upload.{kind}.streamed_seconds", s, "s", baseline=d, target="< 2x direct write", met=s < 2 * d,
            size_bytes=SIZE, rounds=rounds),
        row(f"upload.{kind}.direct_seconds", d, "s", size_bytes=SIZE, rounds=rounds),
        row(f"upload.{kind}.turn_seconds", turn, "s", baseline=d, size_bytes=SIZE, rounds=rounds,
            note="the whole Teams turn: file message in, card out, project written"),
        row(f"upload.{kind}.peak_growth_bytes", growth, "B", baseline=SIZE, target="< 2x file size", met=growth < 2 * SIZE),
    ]


def run(quick: bool) -> list[Row]:
    rounds = 3 if quick else 7
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as folder:
        env = harness_env(Path(folder), DOCUMENTS_DOWNLOAD_HOSTS="127.0.0.1", DOCUMENTS_MAX_MB="25")
        rows += asyncio.run(_measure("folder", env, rounds))
    with Azurite() as azurite, tempfile.TemporaryDirectory(prefix="bench-upload-") as folder:
        env: dict[str, Any] = harness_env(Path(folder), DOCUMENTS_DOWNLOAD_HOSTS="127.0.0.1", BLOB_ACCOUNT_URL=azurite.account_url,
                                          BLOB_ACCOUNT_KEY=AZURITE_KEY, BLOB_CONTAINER="bench")
        rows += asyncio.run(_measure("blob", env, rounds))
    return rows


if __name__ == "__main__":
    from tests.bench.common import emit

    emit(run(quick=True))
