"""Customers hand over their documents in the 1:1 chat; the PM reviews them; a task that
requires documents is confirmed only once they are accepted. Each test runs on the embedded
folder store and on Azure Blob Storage (Azurite, marked `blob`)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.config import Settings
from bot.domain.documents import ReviewState
from bot.export import history_csv
from tests.support.azurite import AZURITE_KEY, azurite_url  # noqa: F401 - session fixture
from tests.support.teams_activities import message
from tests.teams.conftest import CUSTOMER, PM, TEAM, Harness, harness_env, running_harness
from tests.teams.documents_flow import action, attach, cards_with, pdf, press, replies_text
from tests.teams.flows import click, create_project, latest_task_cards, setup_values

CSR_BILL = "cloud_voice_teams:porting.csr_bill"
KICKOFF = "cloud_voice_teams:meetings.kickoff"
STORES = [pytest.param("folder", id="folder"), pytest.param("blob", id="blob", marks=pytest.mark.blob)]


def document_env(tmp_path: Path, request: pytest.FixtureRequest, kind: str, **extra: str) -> dict[str, str]:
    env = harness_env(tmp_path, DOCUMENTS_DOWNLOAD_HOSTS="127.0.0.1", **extra)
    if kind == "blob":
        env.update(BLOB_ACCOUNT_URL=request.getfixturevalue("azurite_url"), BLOB_ACCOUNT_KEY=AZURITE_KEY,
                   BLOB_CONTAINER=f"t-{uuid.uuid4().hex[:12]}")
    return env


@pytest_asyncio.fixture(params=STORES)
async def docs(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_harness(Settings.from_env(document_env(tmp_path, request, request.param))) as running:
        yield running


async def porting_project(harness: Harness) -> str:
    """A Cloud Voice project with porting, its kickoff confirmed: the CSR and bill task is open for the customer."""
    project_id = await create_project(harness, setup_values("cloud_voice_teams", porting=True))
    project = await harness.runtime.service.load(project_id)
    assert project is not None
    await click(harness, PM, "confirm", {"p": project_id, "k": KICKOFF, "r": project.tasks[KICKOFF].rev})
    project = await harness.runtime.service.load(project_id)
    assert project is not None and project.tasks[CSR_BILL].state.value == "ready"
    return project_id


async def state_of(harness: Harness, project_id: str) -> str:
    project = await harness.runtime.service.load(project_id)
    assert project is not None
    return project.tasks[CSR_BILL].state.value


async def try_confirm(harness: Harness, project_id: str) -> dict:
    project = await harness.runtime.service.load(project_id)
    assert project is not None
    _, body = await click(harness, CUSTOMER, "confirm", {"p": project_id, "k": CSR_BILL, "r": project.tasks[CSR_BILL].rev})
    return body["value"]


async def test_csr_and_bill_uploaded_reviewed_rejected_replaced_accepted_then_confirmed(docs: Harness) -> None:
    harness = docs
    project_id = await porting_project(harness)
    # The customer's task card lists the documents, with an Upload button for each.
    card = latest_task_cards(harness, CUSTOMER)[CSR_BILL]
    assert "CSR (customer service record)" in str(card["body"]) and "Current phone bill" in str(card["body"])
    # "Upload" on the CSR, then the file: filed directly under the CSR.
    shown = await press(harness, CUSTOMER, "doc_upload", action(card, "doc_upload", d="csr"))
    assert "attach the file for" in str(shown["body"])
    replies = await attach(harness, CUSTOMER, "csr.pdf", pdf("csr"))
    assert "Filed under Contoso · Provide the CSR" in replies_text(replies) and "CSR (customer service record)" in replies_text(replies)
    # The bill without pressing Upload: two documents wait, so the bot asks which one.
    replies = await attach(harness, CUSTOMER, "bill.pdf", pdf("bill v1"))
    filing = next(c for c in replies if any(e.get("id") == "slot" for e in c["body"]))
    choices = {c["title"]: c["value"] for e in filing["body"] if e.get("id") == "slot" for c in e["choices"]}
    bill_choice = next(v for title, v in choices.items() if "Current phone bill" in title)
    assert not any("CSR" in title.split("·")[-1] for title in choices), choices  # the CSR is filed already
    filed = await press(harness, CUSTOMER, "doc_file", action(filing, "doc_file"), slot=bill_choice)
    assert "Filed under" in str(filed["body"])
    # Not yet: both wait for review.
    refused = await try_confirm(harness, project_id)
    assert "Documents are missing" in str(refused["body"])
    assert await state_of(harness, project_id) == "ready"
    # The PM got a review card for each; accepts the CSR, rejects the bill with a reason.
    project = await harness.runtime.service.load(project_id)
    assert project is not None
    csr, bill = project.documents
    assert (csr.document_id, bill.document_id) == ("csr", "phone_bill")
    assert cards_with(harness, "doc_accept", u=csr.upload_id) and cards_with(harness, "doc_accept", u=bill.upload_id)
    review = cards_with(harness, "doc_accept", u=csr.upload_id)[0]
    after = await press(harness, PM, "doc_accept", action(review, "doc_accept"))
    assert "Document accepted" in str(after["body"])
    review = cards_with(harness, "doc_reject", u=bill.upload_id)[0]
    await press(harness, PM, "doc_reject", action(review, "doc_reject"), **{f"reject_reason_{bill.upload_id}": "Page 2 is missing"})
    assert await state_of(harness, project_id) == "ready"
    # The rejection goes back to the customer with the reason and a button to upload again.
    rejected = [c for c in cards_with(harness, "doc_upload", d="phone_bill") if "Rejected" in str(c["body"])]
    assert rejected and "Page 2 is missing" in str(rejected[-1]["body"])
    await press(harness, CUSTOMER, "doc_upload", action(rejected[-1], "doc_upload"))
    replies = await attach(harness, CUSTOMER, "bill-complete.pdf", pdf("bill v2"))
    assert "Current phone bill" in replies_text(replies) and "Filed under" in replies_text(replies)
    refused = await try_confirm(harness, project_id)
    assert "Documents are missing" in str(refused["body"])
    project = await harness.runtime.service.load(project_id)
    assert project is not None
    new_bill = project.documents[-1]
    await press(harness, PM, "doc_accept", {"p": project_id, "u": new_bill.upload_id})
    # Only now can the task be confirmed.
    done = await try_confirm(harness, project_id)
    assert await state_of(harness, project_id) == "done", done["body"]
    # Every version is kept, in the store and in the history.
    project = await harness.runtime.service.load(project_id)
    assert project is not None
    assert [(u.document_id, u.review) for u in project.documents] == [
        ("csr", ReviewState.ACCEPTED), ("phone_bill", ReviewState.REJECTED), ("phone_bill", ReviewState.ACCEPTED)]
    assert project.documents[1].reason == "Page 2 is missing"
    store = harness.runtime.documents.store  # type: ignore[union-attr]
    for upload in project.documents:
        assert upload.blob_name.startswith(f"{project.tenant_id}/{project_id}/{CSR_BILL}/{upload.document_id}/")
        meta = await store.meta(upload.blob_name)
        assert meta is not None and meta.sha256 == upload.sha256 and meta.size == upload.size
        assert meta.content_type == "application/pdf" and meta.uploaded_by == CUSTOMER.aad_object_id
    events = [e.kind for e in await harness.runtime.store.project_events(project_id)]
    assert events.count("document_uploaded") == 3 and events.count("document_reviewed") == 3


async def test_task_card_shows_each_version_with_who_when_size_and_review(docs: Harness) -> None:
    harness = docs
    project_id = await porting_project(harness)
    await press(harness, CUSTOMER, "doc_upload", {"p": project_id, "k": CSR_BILL, "d": "csr"})
    await attach(harness, CUSTOMER, "csr.pdf", pdf("csr", size=3000))
    project = await harness.runtime.service.load(project_id)
    assert project is not None
    shown = await press(harness, PM, "refresh", {"p": project_id, "k": CSR_BILL, "r": project.tasks[CSR_BILL].rev})
    text = str(shown["body"])
    assert "csr.pdf · Cam Customer ·" in text and "3 KB · waiting for review" in text
    assert "Needed before the task can be confirmed: CSR (customer service record), Current phone bill" in text
    action(shown, "doc_accept")  # the PM reviews from the task card too
    # Status says what the documents still need.
    before = len(harness.standin.delivered)
    await harness.post(message(PM, TEAM, "status", harness.service_url))
    status = str([c for r in harness.standin.delivered[before:] for c in r.cards])
    assert "Documents outstanding" in status and "missing: Current phone bill · 1 to review" in status
    # The export lists the upload among the project's history.
    _, events = await harness.runtime.service.export_history(harness.runtime.service.actor(PM.aad_object_id, PM.name, PM.tenant_id),
                                                             project_id)
    exported = history_csv(project, events, harness.runtime.library)
    assert "document_uploaded" in exported and "csr.pdf" in exported


async def test_a_redelivered_file_message_is_filed_once(docs: Harness) -> None:
    """Teams redelivers a message whose answer took long (a big file): the same activity files nothing twice."""
    from tests.teams.documents_flow import file_message

    harness = docs
    project_id = await porting_project(harness)
    await press(harness, CUSTOMER, "doc_upload", {"p": project_id, "k": CSR_BILL, "d": "csr"})
    activity = file_message(harness, CUSTOMER, "csr.pdf", harness.standin.serve_file(pdf("csr"), "csr.pdf"))
    await harness.post(activity)
    await harness.post(activity)
    project = await harness.runtime.service.load(project_id)
    assert project is not None and len(project.documents) == 1
    assert len(harness.standin.file_requests) == 1
