"""The stream checks by themselves: types judged by content, names, download addresses."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator

import pytest

from bot.documents.checks import CheckedStream, DocumentRefused, Problem, check_url, clean_name
from bot.documents.settings import DocumentConfigError, DocumentSettings
from bot.domain.documents import DocumentKind


async def chunks(data: bytes, size: int = 7) -> AsyncIterator[bytes]:
    for offset in range(0, len(data), size):
        yield data[offset:offset + size]


async def judge(name: str, data: bytes, limit: int = 1_000_000, size: int = 7) -> CheckedStream:
    checked = CheckedStream(chunks(data, size), name, limit)
    assert b"".join([c async for c in checked]) == data
    return checked


def office(part: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<x/>" * 100)
    return out.getvalue()


@pytest.mark.parametrize(("name", "data", "kind"), [
    ("bill.pdf", b"%PDF-1.4 rest", DocumentKind.PDF),
    ("scan", b"%PDF-1.4 no extension", DocumentKind.PDF),
    ("photo.JPG", b"\xff\xd8\xff\xe0 jpeg", DocumentKind.JPEG),
    ("shot.png", b"\x89PNG\r\n\x1a\n....", DocumentKind.PNG),
    ("fax.tif", b"II*\x00.....", DocumentKind.TIFF),
    ("fax.tiff", b"MM\x00*.....", DocumentKind.TIFF),
    ("sheet.docx", office("word/document.xml"), DocumentKind.DOCX),
    ("numbers.xlsx", office("xl/workbook.xml"), DocumentKind.XLSX),
    ("numbers.csv", "number,site\n+1 555 0100,Miami — oficina\n".encode(), DocumentKind.CSV),
    ("script.txt", "Buenos días, gracias por llamar…\n".encode(), DocumentKind.TEXT),
    ("a.txt", b"hi", DocumentKind.TEXT),  # shorter than the sniffing window
])
async def test_allowed_kinds_are_recognised_by_content(name: str, data: bytes, kind: DocumentKind) -> None:
    checked = await judge(name, data)
    assert checked.kind is kind and checked.size == len(data)


@pytest.mark.parametrize(("name", "data"), [
    ("bill.pdf", b"not a pdf at all"),
    ("bill.pdf", b"\x89PNG\r\n\x1a\n...."),
    ("sheet.xlsx", office("word/document.xml")),  # a Word file named .xlsx
    ("archive.docx", b"PK\x03\x04" + b"\x00" * 64),
    ("numbers.csv", b"\x00\x01\x02binary"),
    ("numbers.csv", b"caf\xe9 latin-1"),
    ("program", b"\x7fELF\x02\x01\x01"),
])
async def test_content_outside_the_allow_list_or_unlike_its_name_is_refused(name: str, data: bytes) -> None:
    with pytest.raises(DocumentRefused) as raised:
        await judge(name, data)
    assert raised.value.problem is Problem.TYPE


async def test_empty_and_oversized_streams_are_refused() -> None:
    with pytest.raises(DocumentRefused) as raised:
        await judge("a.pdf", b"")
    assert raised.value.problem is Problem.EMPTY
    with pytest.raises(DocumentRefused) as raised:
        await judge("a.pdf", b"%PDF-" + b"0" * 100, limit=50)
    assert raised.value.problem is Problem.TOO_LARGE


@pytest.mark.parametrize("name", ["", "  ", "a/b.pdf", "a\\b.pdf", "..", "x\x00.pdf", "x\n.pdf", "x\u200b.pdf", "a" * 200])
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(DocumentRefused):
        clean_name(name)


def test_names_are_kept_with_spaces_and_accents() -> None:
    assert clean_name("  Factura   teléfono (nov).pdf ") == "Factura teléfono (nov).pdf"


@pytest.mark.parametrize(("url", "allowed"), [
    ("https://contoso.sharepoint.com/personal/x/file.pdf", True),
    ("https://contoso-my.sharepoint.com/x", True),
    ("https://onedrive.live.com/download?x", True),
    ("http://contoso.sharepoint.com/x", False),
    ("https://sharepoint.com.evil.example/x", False),
    ("https://evilsharepoint.com/x", False),
    ("https://127.0.0.1/x", False),
    ("https://user@contoso.sharepoint.com/x", False),
    ("javascript:alert(1)", False),
])
def test_download_addresses_on_the_default_allow_list(url: str, allowed: bool) -> None:
    settings = DocumentSettings()
    if allowed:
        assert check_url(url, settings).host
    else:
        with pytest.raises(DocumentRefused):
            check_url(url, settings)


def test_loopback_http_only_when_the_setting_names_it() -> None:
    widened = DocumentSettings.from_env({"DOCUMENTS_DOWNLOAD_HOSTS": "127.0.0.1"})
    assert check_url("http://127.0.0.1:8080/f", widened).port == 8080
    with pytest.raises(DocumentRefused):
        check_url("http://contoso.sharepoint.com/f", DocumentSettings.from_env({"DOCUMENTS_DOWNLOAD_HOSTS": "contoso.sharepoint.com"}))


def test_settings_report_every_problem() -> None:
    with pytest.raises(DocumentConfigError) as raised:
        DocumentSettings.from_env({"DOCUMENTS_MAX_MB": "lots", "BLOB_ACCOUNT_URL": "http://example.com", "BLOB_CONTAINER": "A_B",
                                   "DOCUMENTS_DOWNLOAD_HOSTS": "https://x.com/"})
    assert len(raised.value.problems) == 4
    assert DocumentSettings.from_env({}).max_bytes == 25 * 1024 * 1024
