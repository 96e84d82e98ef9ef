"""Bad input around documents: each gets a clear answer in the user's language, nothing
partial is stored, and the task keeps what it had. On the folder store and on Azurite (`blob`)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from bot.config import Settings
from bot.storage.blob_documents import BlobDocumentStore
from bot.storage.documents import FolderDocumentStore
from tests.support.azurite import AZURITE_KEY, Azurite, azurite_url  # noqa: F401 - session fixture
from tests.support.teams_activities import personal
from tests.teams.conftest import CUSTOMER, INTRUDER, PM, STRANGER, TEAM, Harness, harness_env, running_harness
from tests.teams.documents_flow import attach, file_message, office_file, pdf, press, replies_text
from tests.teams.test_documents import CSR_BILL, STORES, document_env, porting_project

LIMIT_ENV = {"DOCUMENTS_MAX_MB": "0.05", "DOCUMENTS_STALL_SECONDS": "0.3"}  # 52 KB; a 0.3 s stall ends a download


@pytest_asyncio.fixture(params=STORES)
async def docs(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_harness(Settings.from_env(document_env(tmp_path, request, request.param, **LIMIT_ENV))) as running:
        yield running


async def stored_names(harness: Harness) -> list[str]:
    store = harness.runtime.documents.store  # type: ignore[union-attr]
    if isinstance(store, FolderDocumentStore):
        return sorted(str(p.relative_to(store.root)) for p in store.root.rglob("*") if p.is_file())
    assert isinstance(store, BlobDocumentStore)
    return sorted([b.name async for b in store.container.list_blobs()])


async def ready_for_csr(harness: Harness) -> str:
    """A porting project whose CSR the customer is about to upload (they pressed Upload)."""
    project_id = await porting_project(harness)
    await press(harness, CUSTOMER, "doc_upload", {"p": project_id, "k": CSR_BILL, "d": "csr"})
    return project_id


async def assert_nothing_kept(harness: Harness, project_id: str) -> None:
    project = await harness.runtime.service.load(project_id)
    assert project is not None
    assert project.documents == [] and project.tasks[CSR_BILL].state.value == "ready"
    assert await stored_names(harness) == []


async def test_over_the_size_limit_is_refused(docs: Harness) -> None:
    project_id = await ready_for_csr(docs)
    replies = await attach(docs, CUSTOMER, "csr.pdf", pdf("big", size=60_000))
    assert "over the 51 KB limit" in replies_text(replies)
    await assert_nothing_kept(docs, project_id)


async def test_growing_past_the_limit_mid_stream_is_refused(docs: Harness) -> None:
    project_id = await ready_for_csr(docs)
    replies = await attach(docs, CUSTOMER, "csr.pdf", pdf("big", size=200_000), send_length=False, chunk=16_000)
    assert "over the 51 KB limit" in replies_text(replies)
    await assert_nothing_kept(docs, project_id)


async def test_an_empty_file_is_refused(docs: Harness) -> None:
    project_id = await ready_for_csr(docs)
    replies = await attach(docs, CUSTOMER, "csr.pdf", b"")
    assert "The file is empty" in replies_text(replies)
    await assert_nothing_kept(docs, project_id)
    # Nothing lost: the Upload click still points at the CSR, so the right file goes straight there.
    replies = await attach(docs, CUSTOMER, "csr.pdf", pdf("csr"))
    assert "Filed under" in replies_text(replies) and "CSR (customer service record)" in replies_text(replies)


@pytest.mark.parametrize(("name", "body"), [
    ("csr.pdf", b"this is plain text pretending to be a PDF"),
    ("csr.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100),  # a PNG named .pdf
    ("setup.exe", b"MZ\x90\x00" + b"\x00" * 200),
    ("csr.docx", b"PK\x03\x04" + b"\x00" * 200),  # a zip without [Content_Types].xml
], ids=["text-named-pdf", "png-named-pdf", "executable", "bare-zip"])
async def test_a_type_outside_the_allow_list_judged_by_content_is_refused(docs: Harness, name: str, body: bytes) -> None:
    project_id = await ready_for_csr(docs)
    replies = await attach(docs, CUSTOMER, name, body)
    assert "judged by its content, not only its name" in replies_text(replies)
    await assert_nothing_kept(docs, project_id)


async def test_a_kind_the_document_does_not_accept_is_refused(docs: Harness) -> None:
    project_id = await ready_for_csr(docs)
    replies = await attach(docs, CUSTOMER, "csr.xlsx", office_file("xl/workbook.xml"))
    assert "This document must be PDF, PNG, JPEG, TIFF" in replies_text(replies)
    await assert_nothing_kept(docs, project_id)


@pytest.mark.parametrize("name", ["../csr.pdf", "folder/csr.pdf", "c:\\temp\\csr.pdf", "csr\x07.pdf", "csr\u202e.pdf"],
                         ids=["dotdot", "slash", "backslash", "control", "bidi-override"])
async def test_names_with_separators_or_control_characters_are_refused_without_fetching(docs: Harness, name: str) -> None:
    project_id = await ready_for_csr(docs)
    replies = await attach(docs, CUSTOMER, name, pdf("csr"))
    assert "The file name is not valid" in replies_text(replies)
    assert docs.standin.file_requests == []
    await assert_nothing_kept(docs, project_id)


@pytest.mark.parametrize("url", [
    "https://evil.example.com/file.pdf",
    "https://contoso.sharepoint.com.evil.example/file.pdf",
    "ftp://contoso.sharepoint.com/file.pdf",
    "not a url",
    "https://user:pw@127.0.0.1/file.pdf",
], ids=["other-host", "lookalike-host", "ftp", "garbage", "credentials"])
async def test_a_download_url_off_the_allow_list_is_refused_without_fetching(docs: Harness, url: str) -> None:
    project_id = await ready_for_csr(docs)
    await docs.post(file_message(docs, CUSTOMER, "csr.pdf", url))
    assert "I only download files Teams shares from SharePoint or OneDrive" in str(docs.standin.delivered[-1].activity)
    await assert_nothing_kept(docs, project_id)


async def test_loopback_is_refused_unless_the_setting_widens_the_allow_list(tmp_path: Path) -> None:
    async with running_harness(Settings.from_env(harness_env(tmp_path, DOCUMENTS_DOWNLOAD_HOSTS=""))) as harness:
        project_id = await ready_for_csr(harness)
        replies = await attach(harness, CUSTOMER, "csr.pdf", pdf("csr"))
        assert "I only download files Teams shares from SharePoint or OneDrive" in replies_text(replies)
        assert harness.standin.file_requests == []  # not even one request
        await assert_nothing_kept(harness, project_id)


async def test_a_stalled_download_is_abandoned(docs: Harness) -> None:
    project_id = await ready_for_csr(docs)
    replies = await attach(docs, CUSTOMER, "csr.pdf", pdf("csr", size=40_000), stall_after=20_000, chunk=10_000)
    assert "The download stalled" in replies_text(replies)
    await assert_nothing_kept(docs, project_id)


async def test_an_expired_download_url_is_answered(docs: Harness) -> None:
    project_id = await ready_for_csr(docs)
    replies = await attach(docs, CUSTOMER, "csr.pdf", pdf("csr"), status=403)
    assert "I could not download the file from Teams" in replies_text(replies)
    await assert_nothing_kept(docs, project_id)


async def test_refusals_speak_the_users_language(docs: Harness) -> None:
    project_id = await ready_for_csr(docs)
    replies = await attach(docs, CUSTOMER, "csr.pdf", b"", locale="es-MX")
    assert "El archivo está vacío" in replies_text(replies)
    await assert_nothing_kept(docs, project_id)


async def test_files_in_a_channel_are_answered_with_where_to_upload(docs: Harness) -> None:
    project_id = await porting_project(docs)
    url = docs.standin.serve_file(pdf("csr"), "csr.pdf")
    await docs.post(file_message(docs, CUSTOMER, "csr.pdf", url, conversation=TEAM))
    assert "attach them in your personal chat with me" in str(docs.standin.delivered[-1].activity)
    assert docs.standin.file_requests == []
    await assert_nothing_kept(docs, project_id)
    channel_card = [c for c in docs.standin.cards_in(TEAM.id) if CSR_BILL in str(c.get("refresh"))][-1]
    assert "attach it in your personal chat with me" in str(channel_card["body"])


async def test_nothing_waiting_for_documents_is_refused(docs: Harness) -> None:
    await porting_project(docs)
    replies = await attach(docs, STRANGER, "csr.pdf", pdf("csr"))
    assert "None of your open tasks is waiting for documents" in replies_text(replies)
    assert docs.standin.file_requests == []


async def test_a_rejection_needs_a_reason_and_only_the_pm_reviews(docs: Harness) -> None:
    project_id = await ready_for_csr(docs)
    await attach(docs, CUSTOMER, "csr.pdf", pdf("csr"))
    project = await docs.runtime.service.load(project_id)
    assert project is not None
    upload_id = project.documents[0].upload_id
    shown = await press(docs, PM, "doc_reject", {"p": project_id, "u": upload_id}, reason="   ")
    assert "Please give the reason" in str(shown["body"])
    shown = await press(docs, CUSTOMER, "doc_accept", {"p": project_id, "u": upload_id})
    assert "You cannot upload or review" in str(shown["body"])
    project = await docs.runtime.service.load(project_id)
    assert project is not None and project.documents[0].review.value == "pending"


async def test_download_links_serve_the_bytes_to_the_pm_and_the_owner_only(docs: Harness) -> None:
    project_id = await ready_for_csr(docs)
    body = pdf("csr", size=5000)
    await attach(docs, CUSTOMER, "csr.pdf", body)
    project = await docs.runtime.service.load(project_id)
    assert project is not None
    upload_id = project.documents[0].upload_id
    links = []
    for user in (PM, CUSTOMER):
        before = len(docs.standin.delivered)
        await press(docs, user, "doc_download", {"p": project_id, "u": upload_id})
        card = next(c for r in docs.standin.delivered[before:] for c in r.cards if c.get("actions"))
        links.append(card["actions"][0]["url"])
    async with aiohttp.ClientSession() as session:
        for link in links:
            async with session.get(link.replace("http://localhost:3978", docs.url)) as response:
                assert response.status == 200 and await response.read() == body
                assert response.headers["Content-Type"] == "application/pdf"
        forged = links[0][:-4] + ("0000" if not links[0].endswith("0000") else "1111")
        async with session.get(forged.replace("http://localhost:3978", docs.url)) as response:
            assert response.status == 404 and len(await response.read()) < 100
        docs.clock.advance(minutes=16)  # links last 15 minutes
        async with session.get(links[0].replace("http://localhost:3978", docs.url)) as response:
            assert response.status == 404 and b"%PDF" not in await response.read()
    for outsider in (STRANGER, INTRUDER):
        before = len(docs.standin.delivered)
        shown = await press(docs, outsider, "doc_download", {"p": project_id, "u": upload_id})
        assert "You cannot upload or review" in str(shown["body"]) or "does not belong" in str(shown["body"])
        assert not [c for r in docs.standin.delivered[before:] for c in r.cards if "/api/documents/" in str(c)]


@pytest.mark.blob
async def test_blob_store_down_is_answered_and_the_task_keeps_what_it_had(tmp_path: Path) -> None:
    with Azurite() as azurite:
        env = harness_env(tmp_path, DOCUMENTS_DOWNLOAD_HOSTS="127.0.0.1", BLOB_ACCOUNT_URL=azurite.account_url,
                          BLOB_ACCOUNT_KEY=AZURITE_KEY, BLOB_CONTAINER=f"t-{uuid.uuid4().hex[:12]}")
        async with running_harness(Settings.from_env(env)) as harness:
            project_id = await ready_for_csr(harness)
            azurite.stop(keep_folder=True)
            replies = await attach(harness, CUSTOMER, "csr.pdf", pdf("csr"))
            assert "The document store is not answering: nothing was stored" in replies_text(replies)
            project = await harness.runtime.service.load(project_id)
            assert project is not None and project.documents == [] and project.tasks[CSR_BILL].state.value == "ready"


async def test_folder_store_failing_is_answered_and_the_task_keeps_what_it_had(tmp_path: Path) -> None:
    async with running_harness(Settings.from_env(harness_env(tmp_path, DOCUMENTS_DOWNLOAD_HOSTS="127.0.0.1"))) as harness:
        project_id = await ready_for_csr(harness)
        project = await harness.runtime.service.load(project_id)
        assert project is not None
        (tmp_path / "documents" / project.tenant_id).write_text("not a folder")  # the store cannot write under it
        replies = await attach(harness, CUSTOMER, "csr.pdf", pdf("csr"))
        assert "The document store is not answering: nothing was stored" in replies_text(replies)
        project = await harness.runtime.service.load(project_id)
        assert project is not None and project.documents == []
        await harness.post(file_message(harness, CUSTOMER, "x.pdf", "https://evil.example.com/x"))  # still answers
        assert personal(CUSTOMER).id in str([r.conversation_id for r in harness.standin.delivered])
