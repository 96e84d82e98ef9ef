"""Documents a task asks of its people (declared in the playbook) and the uploads filed for them.

Every upload is kept as a version; a document's review state is its newest version's. A task
whose required documents are not all accepted cannot be confirmed (`missing_documents`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.domain.text import LocalizedText


class DocumentKind(StrEnum):
    """What a file is, judged by its content (bot/documents/sniff.py)."""

    PDF = "pdf"
    PNG = "png"
    JPEG = "jpeg"
    TIFF = "tiff"
    DOCX = "docx"
    XLSX = "xlsx"
    CSV = "csv"
    TEXT = "text"

    @property
    def content_type(self) -> str:
        return _CONTENT_TYPES[self]

    @property
    def label(self) -> str:
        return _LABELS[self]


_CONTENT_TYPES = {
    DocumentKind.PDF: "application/pdf",
    DocumentKind.PNG: "image/png",
    DocumentKind.JPEG: "image/jpeg",
    DocumentKind.TIFF: "image/tiff",
    DocumentKind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    DocumentKind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    DocumentKind.CSV: "text/csv",
    DocumentKind.TEXT: "text/plain",
}
_LABELS = {DocumentKind.PDF: "PDF", DocumentKind.PNG: "PNG", DocumentKind.JPEG: "JPEG", DocumentKind.TIFF: "TIFF",
           DocumentKind.DOCX: "Word", DocumentKind.XLSX: "Excel", DocumentKind.CSV: "CSV", DocumentKind.TEXT: "TXT"}


class ReviewState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class DocumentSpec:
    """One document a task needs: `kinds` it may be, `required` before the task can be confirmed."""

    id: str
    title: LocalizedText
    kinds: tuple[DocumentKind, ...]
    required: bool = True


@dataclass(slots=True)
class DocumentUpload:
    """One version of one document, as stored (bytes in the document store under `blob_name`)."""

    upload_id: str
    task_key: str
    document_id: str
    name: str
    kind: DocumentKind
    size: int
    sha256: str
    blob_name: str
    uploaded_by: str
    uploaded_by_name: str
    uploaded_at: datetime
    review: ReviewState = ReviewState.PENDING
    reviewed_by_name: str | None = None
    reviewed_at: datetime | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "uploadId": self.upload_id, "taskKey": self.task_key, "documentId": self.document_id, "name": self.name,
            "kind": self.kind.value, "size": self.size, "sha256": self.sha256, "blobName": self.blob_name,
            "uploadedBy": self.uploaded_by, "uploadedByName": self.uploaded_by_name,
            "uploadedAt": self.uploaded_at.isoformat(), "review": self.review.value,
            "reviewedByName": self.reviewed_by_name,
            "reviewedAt": self.reviewed_at.isoformat() if self.reviewed_at else None, "reason": self.reason,
        }

    @staticmethod
    def from_dict(data: dict[str, Any]) -> DocumentUpload:
        reviewed = data.get("reviewedAt")
        return DocumentUpload(
            upload_id=data["uploadId"], task_key=data["taskKey"], document_id=data["documentId"], name=data["name"],
            kind=DocumentKind(data["kind"]), size=int(data["size"]), sha256=data["sha256"], blob_name=data["blobName"],
            uploaded_by=data["uploadedBy"], uploaded_by_name=data.get("uploadedByName", ""),
            uploaded_at=datetime.fromisoformat(data["uploadedAt"]), review=ReviewState(data.get("review", "pending")),
            reviewed_by_name=data.get("reviewedByName"),
            reviewed_at=datetime.fromisoformat(reviewed) if reviewed else None, reason=data.get("reason"),
        )


def versions(uploads: list[DocumentUpload], task_key: str, document_id: str) -> list[DocumentUpload]:
    """Every upload of one document of one task, oldest first."""
    return [u for u in uploads if u.task_key == task_key and u.document_id == document_id]


def latest(uploads: list[DocumentUpload], task_key: str, document_id: str) -> DocumentUpload | None:
    found = versions(uploads, task_key, document_id)
    return found[-1] if found else None


def missing_documents(uploads: list[DocumentUpload], task_key: str, specs: tuple[DocumentSpec, ...]) -> list[DocumentSpec]:
    """The required documents of a task whose newest version is not accepted (or that have none)."""
    missing = []
    for spec in specs:
        newest = latest(uploads, task_key, spec.id)
        if spec.required and (newest is None or newest.review is not ReviewState.ACCEPTED):
            missing.append(spec)
    return missing
