"""The document store contract, one suite on both implementations: the folder under DATA_DIR
and Azure Blob Storage (Azurite on loopback, marked `blob`)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.storage.blob_documents import BlobDocumentStore
from bot.storage.documents import DocumentMeta, DocumentStore, DocumentStoreUnavailable, FolderDocumentStore
from tests.support.azurite import AZURITE_KEY, Azurite, azurite_url  # noqa: F401 - session fixture
from tests.support.node_server import free_port

KINDS = [pytest.param("folder", id="folder"), pytest.param("blob", id="blob", marks=pytest.mark.blob)]


@pytest_asyncio.fixture(params=KINDS)
async def documents(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DocumentStore]:
    store: DocumentStore
    if request.param == "folder":
        store = FolderDocumentStore(tmp_path / "documents")
    else:
        store = BlobDocumentStore(request.getfixturevalue("azurite_url"), AZURITE_KEY, f"t-{uuid.uuid4().hex[:12]}")
    await store.open()
    try:
        yield store
    finally:
        await store.close()


def meta_for(data: bytes, name: str = "bill.pdf") -> DocumentMeta:
    return DocumentMeta(name=name, content_type="application/pdf", size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                        uploaded_by="aaaaaaaa-0000-0000-0000-000000000002", uploaded_at="2026-11-26T15:00:00+00:00")


async def stream(data: bytes, chunk: int = 100_000, fail_after: int | None = None) -> AsyncIterator[bytes]:
    for offset in range(0, len(data), chunk):
        if fail_after is not None and offset >= fail_after:
            raise RuntimeError("download broke")
        yield data[offset:offset + chunk]


async def read_all(store: DocumentStore, name: str) -> bytes:
    return b"".join([chunk async for chunk in store.read(name)])


NAME = "11111111-1111-1111-1111-111111111111/p1/cloud_voice_teams:porting.csr_bill/csr/u1"


async def test_a_document_is_read_back_whole_with_its_metadata(documents: DocumentStore) -> None:
    data = b"%PDF-1.7\n" + bytes(range(256)) * 4000  # about 1 MB, several chunks
    await documents.put(NAME, stream(data), lambda: meta_for(data))
    assert await read_all(documents, NAME) == data
    meta = await documents.meta(NAME)
    assert meta is not None
    assert (meta.size, meta.sha256, meta.content_type, meta.name) == (len(data), hashlib.sha256(data).hexdigest(),
                                                                      "application/pdf", "bill.pdf")
    assert meta.uploaded_by == "aaaaaaaa-0000-0000-0000-000000000002"


async def test_a_large_document_spans_several_blocks(documents: DocumentStore) -> None:
    data = b"%PDF-1.7\n" + b"x" * (9 * 1024 * 1024)  # more than two Blob blocks
    await documents.put(NAME, stream(data, chunk=256 * 1024), lambda: meta_for(data))
    assert hashlib.sha256(await read_all(documents, NAME)).hexdigest() == hashlib.sha256(data).hexdigest()


async def test_a_stream_that_fails_stores_nothing(documents: DocumentStore) -> None:
    data = b"%PDF-1.7\n" + b"y" * 500_000
    with pytest.raises(RuntimeError):
        await documents.put(NAME, stream(data, fail_after=300_000), lambda: meta_for(data))
    assert await documents.meta(NAME) is None
    with pytest.raises(LookupError):
        await read_all(documents, NAME)


async def test_a_failed_new_version_leaves_the_old_ones(documents: DocumentStore) -> None:
    first = b"%PDF-1.7 first"
    await documents.put(NAME, stream(first), lambda: meta_for(first))
    second = b"%PDF-1.7 second" * 100_000
    with pytest.raises(RuntimeError):
        await documents.put(NAME.replace("/u1", "/u2"), stream(second, fail_after=200_000), lambda: meta_for(second))
    assert await read_all(documents, NAME) == first
    assert await documents.meta(NAME.replace("/u1", "/u2")) is None


async def test_versions_live_side_by_side(documents: DocumentStore) -> None:
    for index in range(3):
        data = f"%PDF-1.7 version {index}".encode()
        await documents.put(f"{NAME[:-2]}u{index}", stream(data), lambda data=data: meta_for(data))
    for index in range(3):
        assert await read_all(documents, f"{NAME[:-2]}u{index}") == f"%PDF-1.7 version {index}".encode()


async def test_an_unknown_document_is_none_and_unreadable(documents: DocumentStore) -> None:
    assert await documents.meta("t/p/k/d/nothing") is None
    with pytest.raises(LookupError):
        await read_all(documents, "t/p/k/d/nothing")


async def test_delete_removes_the_bytes_and_metadata(documents: DocumentStore) -> None:
    data = b"%PDF-1.7 gone"
    await documents.put(NAME, stream(data), lambda: meta_for(data))
    await documents.delete(NAME)
    await documents.delete(NAME)  # twice is fine
    assert await documents.meta(NAME) is None


@pytest.mark.parametrize("name", ["../etc/passwd", "a/../../b", "/abs/path", "a//b", "a/b\x00c", "a\\b"])
async def test_names_that_could_escape_are_refused(documents: DocumentStore, name: str) -> None:
    with pytest.raises(ValueError):
        await documents.put(name, stream(b"%PDF-1.7"), lambda: meta_for(b"%PDF-1.7"))


async def test_non_ascii_file_names_are_kept_in_metadata(documents: DocumentStore) -> None:
    data = b"%PDF-1.7 factura"
    await documents.put(NAME, stream(data), lambda: meta_for(data, name="factura de teléfono.pdf"))
    meta = await documents.meta(NAME)
    assert meta is not None and "factura de tel" in meta.name


@pytest.mark.blob
async def test_blob_store_down_is_unavailable_and_quick() -> None:
    store = BlobDocumentStore(f"http://127.0.0.1:{free_port()}/devstoreaccount1", AZURITE_KEY, "documents")
    with pytest.raises(DocumentStoreUnavailable):
        await store.open()
    await store.close()


@pytest.mark.blob
async def test_blob_store_that_goes_down_refuses_the_write_and_keeps_nothing() -> None:
    with Azurite() as azurite:
        store = BlobDocumentStore(azurite.account_url, AZURITE_KEY, "documents")
        await store.open()
        azurite.stop(keep_folder=True)
        try:
            with pytest.raises(DocumentStoreUnavailable):
                await store.put(NAME, stream(b"%PDF-1.7 x"), lambda: meta_for(b"%PDF-1.7 x"))
            with pytest.raises(DocumentStoreUnavailable):
                await store.meta(NAME)
        finally:
            await store.close()
