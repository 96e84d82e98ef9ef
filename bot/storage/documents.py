"""The document store contract (bytes of uploaded files) and its embedded implementation, a
folder under DATA_DIR. Azure Blob Storage implements the same contract (blob_documents.py);
tests/storage/test_document_store.py runs one suite on both.

`put` consumes a stream and commits only when the stream ended cleanly: a stream that raises
(a refused or broken download) leaves nothing under the name. Names are
tenant/project/task/document/upload id, written once; every version has its own name.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bot.storage.contract import StorageError

READ_CHUNK = 256 * 1024
_NAME = re.compile(r"^[A-Za-z0-9_.:@=-]+(/[A-Za-z0-9_.:@=-]+)*$")


class DocumentStoreUnavailable(StorageError):
    """The document store cannot be reached or refused the write; nothing was stored."""


@dataclass(frozen=True, slots=True)
class DocumentMeta:
    """What is kept beside the bytes."""

    name: str  # the file's name as the uploader gave it
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: str  # ISO 8601

    def to_metadata(self) -> dict[str, str]:
        return {"filename": self.name.encode("ascii", "backslashreplace").decode(), "size": str(self.size),
                "sha256": self.sha256, "uploadedby": self.uploaded_by, "uploadedat": self.uploaded_at,
                "contenttype": self.content_type}


class DocumentStore(Protocol):
    name: str

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def put(self, blob_name: str, chunks: AsyncIterator[bytes], meta: Callable[[], DocumentMeta]) -> None:
        """Store the stream under the name, with `meta()` (called once the stream has ended)."""
        ...

    async def meta(self, blob_name: str) -> DocumentMeta | None: ...

    def read(self, blob_name: str) -> AsyncIterator[bytes]:
        """The bytes, chunk by chunk; raises LookupError when there is no such document."""
        ...

    async def delete(self, blob_name: str) -> None: ...


def check_blob_name(blob_name: str) -> str:
    if not _NAME.match(blob_name) or any(part in (".", "..") for part in blob_name.split("/")) or len(blob_name) > 900:
        raise ValueError(f"not a document name: {blob_name!r}")
    return blob_name


class FolderDocumentStore:
    """Documents as files under a folder: `<name>` holds the bytes, `<name>.meta.json` the rest.
    A write goes to a temporary file renamed into place once complete."""

    name = "folder"

    def __init__(self, root: Path) -> None:
        self.root = root

    async def open(self) -> None:
        await asyncio.to_thread(self.root.mkdir, parents=True, exist_ok=True)

    async def close(self) -> None:
        return None

    def _path(self, blob_name: str) -> Path:
        return self.root / check_blob_name(blob_name)

    async def put(self, blob_name: str, chunks: AsyncIterator[bytes], meta: Callable[[], DocumentMeta]) -> None:
        path = self._path(blob_name)
        partial = path.with_name(path.name + f".{os.getpid()}.part")
        try:
            await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
            handle = await asyncio.to_thread(partial.open, "xb")
        except OSError as error:
            raise DocumentStoreUnavailable(f"cannot write under {self.root}: {error.strerror}") from None
        try:
            with handle:
                # Each chunk is written in a thread while the next one arrives (download and disk overlap).
                writing: asyncio.Future[int] | None = None
                try:
                    async for chunk in chunks:
                        if writing is not None:
                            await writing
                        writing = asyncio.ensure_future(asyncio.to_thread(handle.write, chunk))
                finally:
                    if writing is not None:
                        await writing  # before the file closes, whatever happened to the stream
            described = meta()
            sidecar = json.dumps({**described.to_metadata(), "filename": described.name})
            await asyncio.to_thread(path.with_name(path.name + ".meta.json").write_text, sidecar, "utf-8")
            await asyncio.to_thread(os.replace, partial, path)
        except OSError as error:
            raise DocumentStoreUnavailable(f"cannot write under {self.root}: {error.strerror}") from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()

    async def meta(self, blob_name: str) -> DocumentMeta | None:
        path = self._path(blob_name)
        try:
            if not path.exists():
                return None
            raw = json.loads(await asyncio.to_thread(path.with_name(path.name + ".meta.json").read_text, "utf-8"))
        except FileNotFoundError:
            return None
        except OSError as error:
            raise DocumentStoreUnavailable(error.strerror or "unreadable") from None
        return DocumentMeta(name=raw["filename"], content_type=raw["contenttype"], size=int(raw["size"]),
                            sha256=raw["sha256"], uploaded_by=raw["uploadedby"], uploaded_at=raw["uploadedat"])

    async def read(self, blob_name: str) -> AsyncIterator[bytes]:  # type: ignore[override]
        path = self._path(blob_name)
        try:
            handle = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError:
            raise LookupError(blob_name) from None
        with handle:
            while chunk := await asyncio.to_thread(handle.read, READ_CHUNK):
                yield chunk

    async def delete(self, blob_name: str) -> None:
        path = self._path(blob_name)
        for victim in (path, path.with_name(path.name + ".meta.json")):
            with contextlib.suppress(FileNotFoundError):
                await asyncio.to_thread(victim.unlink)


async def open_document_store(data_dir: Path, account_url: str, account_key: str, container: str) -> DocumentStore:
    """Azure Blob Storage when an account is configured, else the folder under DATA_DIR."""
    if account_url:
        from bot.storage.blob_documents import BlobDocumentStore

        store: DocumentStore = BlobDocumentStore(account_url, account_key or None, container)
    else:
        store = FolderDocumentStore(data_dir / "documents")
    await store.open()
    return store
