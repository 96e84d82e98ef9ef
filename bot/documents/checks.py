"""The checks a file passes before it is stored: its name, its download address, its size and
its type judged by content (magic bytes; Word/Excel as a zip holding [Content_Types].xml and
their main part; CSV and plain text as UTF-8 without control characters). The stream is checked
as it passes, so a file is never held whole in memory; a failure raises DocumentRefused and
the store discards what it had staged.
"""

from __future__ import annotations

import codecs
import hashlib
import unicodedata
from collections.abc import AsyncIterator
from enum import StrEnum

from yarl import URL

from bot.documents.settings import LOOPBACK_HOSTS, DocumentSettings
from bot.domain.documents import DocumentKind

MAX_NAME_LENGTH = 120
SNIFF_BYTES = 8
_EXTENSIONS: dict[str, DocumentKind] = {
    "pdf": DocumentKind.PDF, "png": DocumentKind.PNG, "jpg": DocumentKind.JPEG, "jpeg": DocumentKind.JPEG,
    "tif": DocumentKind.TIFF, "tiff": DocumentKind.TIFF, "docx": DocumentKind.DOCX, "xlsx": DocumentKind.XLSX,
    "csv": DocumentKind.CSV, "txt": DocumentKind.TEXT,
}
_ZIP_MARKS = (b"[Content_Types].xml", b"word/document.xml", b"xl/workbook.xml")
_TEXT_CONTROLS = frozenset(range(32)) - {9, 10, 13}


class Problem(StrEnum):
    """Why a file was not stored; each has a message in the catalogue (`documents.refused.<code>`)."""

    TOO_LARGE = "too_large"
    EMPTY = "empty"
    TYPE = "type"
    NAME = "name"
    URL = "url"
    STALLED = "stalled"
    DOWNLOAD = "download"
    STORE = "store"
    KIND = "kind"  # a kind the document does not accept
    NOTHING_OPEN = "nothing_open"  # no open task of the sender waits for documents
    NOT_ALLOWED = "not_allowed"
    NOT_PENDING = "not_pending"
    GONE = "gone"  # a staged file no longer waiting to be filed
    CLOSED = "closed"  # the task no longer waits for that document
    REASON_REQUIRED = "reason_required"


class DocumentRefused(Exception):
    def __init__(self, problem: Problem, detail: str = "") -> None:
        super().__init__(f"{problem.value}: {detail}" if detail else problem.value)
        self.problem = problem
        self.detail = detail


def clean_name(name: str) -> str:
    """The file name as shown and stored; refused when it holds a path separator or control characters."""
    if not isinstance(name, str) or not name.strip():
        raise DocumentRefused(Problem.NAME, "no name")
    if any(c in name for c in "/\\") or any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name):
        raise DocumentRefused(Problem.NAME, "separator or control character")
    cleaned = " ".join(name.split())
    if cleaned in (".", "..") or len(cleaned) > MAX_NAME_LENGTH:
        raise DocumentRefused(Problem.NAME, "reserved or too long")
    return cleaned


def kind_by_name(name: str) -> DocumentKind | None:
    extension = name.rsplit(".", 1)[1].lower() if "." in name else ""
    return _EXTENSIONS.get(extension)


def check_url(raw: object, settings: DocumentSettings) -> URL:
    """A downloadUrl the bot may fetch: https on an allowed host (plain http only for an allowed loopback host)."""
    if not isinstance(raw, str) or len(raw) > 4096:
        raise DocumentRefused(Problem.URL, "not a string")
    try:
        url = URL(raw)
    except ValueError:
        raise DocumentRefused(Problem.URL, "not an address") from None
    host = (url.host or "").lower()
    if not host or url.user or url.password or not settings.host_allowed(host):
        raise DocumentRefused(Problem.URL, "host not allowed")
    if url.scheme != "https" and not (url.scheme == "http" and host in LOOPBACK_HOSTS):
        raise DocumentRefused(Problem.URL, "not https")
    return url


def sniff(head: bytes) -> DocumentKind | None:
    """The kind the first bytes announce; None for zip (decided at the end) and for text."""
    if head.startswith(b"%PDF-"):
        return DocumentKind.PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return DocumentKind.PNG
    if head.startswith(b"\xff\xd8\xff"):
        return DocumentKind.JPEG
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return DocumentKind.TIFF
    return None


class CheckedStream:
    """Wraps a stream of chunks: counts, hashes and judges them as they pass to the store.

    Raises DocumentRefused from inside the iteration (too large, empty, not an allowed type, a
    type that is not the name's), so a store that commits only a fully read stream stores nothing.
    After the iteration: `size`, `sha256` and `kind`."""

    def __init__(self, chunks: AsyncIterator[bytes], name: str, max_bytes: int) -> None:
        self._chunks = chunks
        self.name = name
        self.max_bytes = max_bytes
        self.size = 0
        self._hash = hashlib.sha256()
        self.kind: DocumentKind | None = None
        self._named = kind_by_name(name)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        head = b""
        decoder: codecs.IncrementalDecoder | None = None
        is_zip = False
        marks: set[bytes] = set()
        tail = b""
        started = False
        async for chunk in self._chunks:
            if not chunk:
                continue
            self.size += len(chunk)
            if self.size > self.max_bytes:
                raise DocumentRefused(Problem.TOO_LARGE)
            self._hash.update(chunk)
            if not started:
                head += chunk
                if len(head) < SNIFF_BYTES and self.size < self.max_bytes:
                    continue  # too little to judge yet: wait for more
                started = True
                self.kind = sniff(head)
                is_zip = self.kind is None and head.startswith(b"PK\x03\x04")
                if self.kind is None and not is_zip:
                    if self._named not in (DocumentKind.CSV, DocumentKind.TEXT):
                        raise DocumentRefused(Problem.TYPE)
                    decoder = codecs.getincrementaldecoder("utf-8")()
                self._check_name(self.kind)
                chunk, head = head, b""
            if is_zip:
                window = tail + chunk
                marks.update(m for m in _ZIP_MARKS if m in window)
                tail = window[-32:]
            elif decoder is not None:
                self._check_text(decoder, chunk)
            yield chunk
        if not started:
            if self.size == 0:
                raise DocumentRefused(Problem.EMPTY)
            self.kind = sniff(head)
            if self.kind is None:
                if self._named not in (DocumentKind.CSV, DocumentKind.TEXT):
                    raise DocumentRefused(Problem.TYPE)
                decoder = codecs.getincrementaldecoder("utf-8")()
                self._check_text(decoder, head)
            self._check_name(self.kind)
            yield head
        if decoder is not None:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                raise DocumentRefused(Problem.TYPE, "not UTF-8 text") from None
            self.kind = self._named
        if is_zip:
            if _ZIP_MARKS[0] not in marks:
                raise DocumentRefused(Problem.TYPE, "zip without [Content_Types].xml")
            self.kind = DocumentKind.DOCX if _ZIP_MARKS[1] in marks else DocumentKind.XLSX if _ZIP_MARKS[2] in marks else None
            if self.kind is None:
                raise DocumentRefused(Problem.TYPE, "not a Word or Excel file")
            self._check_name(self.kind)

    def _check_name(self, kind: DocumentKind | None) -> None:
        """A name whose extension says another type than the content is refused (a .pdf that is not a PDF)."""
        if kind is not None and self._named is not None and self._named is not kind:
            raise DocumentRefused(Problem.TYPE, f"named {self._named.value}, content {kind.value}")

    @staticmethod
    def _check_text(decoder: codecs.IncrementalDecoder, chunk: bytes) -> None:
        try:
            decoded = decoder.decode(chunk)
        except UnicodeDecodeError:
            raise DocumentRefused(Problem.TYPE, "not UTF-8 text") from None
        if any(ord(c) in _TEXT_CONTROLS for c in decoded):
            raise DocumentRefused(Problem.TYPE, "binary content")
