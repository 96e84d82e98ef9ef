"""Document cards: the task card's documents section (one call from cards/task.py), the upload
prompt, the filing card (which task and document a file is for), the PM's review card
(accept, or reject with a reason), the rejection sent back to the uploader, and the
download link. View models are built here from the project for one reader; cards stay pure.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.catalogue import t
from bot.domain.documents import DocumentSpec, DocumentUpload, ReviewState, latest, versions
from bot.domain.playbook import PlaybookLibrary
from bot.domain.project import OutboxItem, OutboxKind, Project
from bot.domain.text import Language
from bot.domain.transitions import spec_of
from cards.base import Card, Element, card, execute, facts, heading, open_url, plain, show_card, text
from cards.dates import format_moment

REVIEW_STATE_COLOR = {ReviewState.ACCEPTED: "Good", ReviewState.REJECTED: "Attention", ReviewState.PENDING: "Warning"}
MAX_REASON_LENGTH = 500


@dataclass(frozen=True, slots=True)
class UploadLine:
    upload_id: str
    name: str
    who: str
    when: str
    size: str
    review: ReviewState
    review_label: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class DocumentLine:
    id: str
    title: str
    required: bool
    kinds: str
    uploads: list[UploadLine]  # newest first


@dataclass(frozen=True, slots=True)
class DocumentsSection:
    project_id: str
    key: str
    language: Language
    documents: list[DocumentLine]
    missing: list[str]  # titles of the required documents not accepted yet
    can_upload: bool  # the reader is one of the task's people (or its PM)
    can_review: bool  # the reader is the project's PM
    in_channel: bool  # read in the project's channel (no viewer): say where to upload


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def upload_line(upload: DocumentUpload, language: Language, timezone: str) -> UploadLine:
    return UploadLine(upload.upload_id, plain(upload.name), plain(upload.uploaded_by_name or "—"),
                      format_moment(upload.uploaded_at, language, timezone), human_size(upload.size), upload.review,
                      t(f"documents.review.{upload.review.value}", language), plain(upload.reason) if upload.reason else None)


def documents_section(project: Project, key: str, specs: tuple[DocumentSpec, ...], *, language: Language,
                      can_upload: bool, can_review: bool, in_channel: bool) -> DocumentsSection | None:
    if not specs:
        return None
    lines = []
    missing = []
    for spec in specs:
        uploads = [upload_line(u, language, project.timezone) for u in reversed(versions(project.documents, key, spec.id))]
        newest = latest(project.documents, key, spec.id)
        if spec.required and (newest is None or newest.review is not ReviewState.ACCEPTED):
            missing.append(spec.title.get(language))
        lines.append(DocumentLine(spec.id, spec.title.get(language), spec.required, ", ".join(k.label for k in spec.kinds), uploads))
    return DocumentsSection(project.id, key, language, lines, missing, can_upload, can_review, in_channel)


def document_elements(section: DocumentsSection | None) -> list[Element]:
    """The task card's documents: each with its versions (name, who, when, size, review) and its buttons."""
    if section is None:
        return []
    lang = section.language
    body: list[Element] = [heading(t("documents.heading", lang))]
    for doc in section.documents:
        required = t("documents.required" if doc.required else "documents.optional", lang)
        body.append(text(f"**{doc.title}** · {required} · {doc.kinds}", size="Small"))
        newest = doc.uploads[0] if doc.uploads else None
        if newest is None:
            body.append(text(t("documents.none_yet", lang), subtle=True))
        for version in doc.uploads[:3]:
            line = t("documents.version", lang, name=version.name, who=version.who, when=version.when, size=version.size,
                     review=version.review_label)
            if version.reason:
                line += f" — {version.reason}"
            body.append(text(line, color=REVIEW_STATE_COLOR[version.review], subtle=version is not newest))
        if len(doc.uploads) > 3:
            body.append(text(t("documents.older", lang, n=len(doc.uploads) - 3), subtle=True))
        actions: list[Element] = []
        data = {"p": section.project_id, "k": section.key, "d": doc.id}
        if section.can_upload and (newest is None or newest.review is ReviewState.REJECTED or not doc.required):
            actions.append(execute("doc_upload", t("documents.upload", lang), data))
        if newest is not None and (section.can_upload or section.can_review):
            actions.append(execute("doc_download", t("documents.download", lang), {**data, "u": newest.upload_id}))
        if newest is not None and newest.review is ReviewState.PENDING and section.can_review:
            actions += review_actions(section.project_id, newest.upload_id, lang)
        if actions:
            body.append({"type": "ActionSet", "actions": actions})
    if section.missing:
        body.append(text(t("documents.missing", lang, names=", ".join(section.missing)), color="Warning"))
    if section.in_channel:
        body.append(text(t("documents.where", lang), subtle=True))
    return body


def reason_input_id(upload_id: str) -> str:
    return f"reject_reason_{upload_id}"


def review_actions(project_id: str, upload_id: str, language: Language) -> list[Element]:
    data = {"p": project_id, "u": upload_id}
    # One input per upload: a task card may hold several reviews beside its own "reason" (Block).
    reason = {"type": "Input.Text", "id": reason_input_id(upload_id), "label": t("documents.reject.reason", language), "isMultiline": True,
              "maxLength": MAX_REASON_LENGTH, "isRequired": True, "errorMessage": t("documents.reject.reason_required", language)}
    return [
        execute("doc_accept", t("documents.accept", language), data, style="positive"),
        show_card(t("documents.reject", language), [reason],
                  [execute("doc_reject", t("documents.reject.send", language), data, associated_inputs="auto")]),
    ]


@dataclass(frozen=True, slots=True)
class ReviewView:
    project_id: str
    customer_name: str
    task_title: str
    document_title: str
    upload: UploadLine
    language: Language
    can_review: bool = True
    notice: str | None = None


def review_view(project: Project, upload: DocumentUpload, task_title: str, document_title: str, language: Language,
                *, notice: str | None = None) -> ReviewView:
    return ReviewView(project.id, plain(project.customer_name), task_title, document_title,
                      upload_line(upload, language, project.timezone), language, notice=notice)


def review_card(view: ReviewView) -> Card:
    """To a PM: one upload to accept or reject (with a reason that goes back to the uploader)."""
    lang = view.language
    line = view.upload
    body: list[Element] = [
        text(view.customer_name, subtle=True),
        {"type": "TextBlock", "text": t("documents.review.title", lang, document=view.document_title), "size": "Large",
         "weight": "Bolder", "wrap": True},
        facts([
            (t("documents.task", lang), view.task_title),
            (t("documents.file", lang), line.name),
            (t("documents.who", lang), line.who),
            (t("documents.when", lang), line.when),
            (t("documents.size", lang), line.size),
            (t("documents.state", lang), line.review_label + (f" — {line.reason}" if line.reason else "")),
        ]),
    ]
    if view.notice:
        body.insert(0, text(view.notice, color="Warning"))
    actions: list[Element] = [execute("doc_download", t("documents.download", lang), {"p": view.project_id, "u": line.upload_id})]
    if line.review is ReviewState.PENDING and view.can_review:
        actions = review_actions(view.project_id, line.upload_id, lang) + actions
    return card(body, actions, fallback_text=t("documents.review.title", lang, document=view.document_title))


def rejected_card(view: ReviewView, task_key: str, document_id: str) -> Card:
    """To the uploader: the document was rejected, why, and a button to upload it again."""
    lang = view.language
    line = view.upload
    body = [
        text(view.customer_name, subtle=True),
        {"type": "TextBlock", "text": t("documents.rejected.title", lang, document=view.document_title), "size": "Large",
         "weight": "Bolder", "wrap": True, "color": "Attention"},
        facts([(t("documents.task", lang), view.task_title), (t("documents.file", lang), line.name),
               (t("documents.reason", lang), line.reason or "—")]),
        text(t("documents.rejected.again", lang)),
    ]
    data = {"p": view.project_id, "k": task_key, "d": document_id}
    return card(body, [execute("doc_upload", t("documents.upload_again", lang), data, style="positive")],
                fallback_text=t("documents.rejected.title", lang, document=view.document_title))


@dataclass(frozen=True, slots=True)
class FilingChoice:
    value: str  # "<project id>|<task key>|<document id>"
    label: str


@dataclass(frozen=True, slots=True)
class FilingView:
    staged_id: str
    file_name: str
    size: str
    choices: list[FilingChoice]
    language: Language
    filed: str | None = None  # once filed: where


def filing_card(view: FilingView) -> Card:
    """After a file arrived with more than one task waiting for documents: which one is it for?"""
    lang = view.language
    body: list[Element] = [heading(t("documents.filing.title", lang, name=view.file_name, size=view.size))]
    if view.filed:
        body.append(text(t("documents.filed", lang, where=view.filed), color="Good"))
        return card(body, fallback_text=view.file_name)
    body.append({"type": "Input.ChoiceSet", "id": "slot", "label": t("documents.filing.which", lang), "isRequired": True,
                 "errorMessage": t("documents.filing.which", lang), "style": "expanded",
                 "choices": [{"title": c.label, "value": c.value} for c in view.choices]})
    return card(body, [execute("doc_file", t("documents.filing.file", lang), {"s": view.staged_id}, style="positive",
                               associated_inputs="auto")], fallback_text=view.file_name)


def filed_card(file_name: str, where: str, language: Language, *, pending_review: bool = True) -> Card:
    """The answer to a file filed directly: where it went, and that the PM reviews it."""
    body = [text(t("documents.filed", language, where=where), color="Good"), text(plain(file_name), subtle=True)]
    if pending_review:
        body.append(text(t("documents.filed.review", language), subtle=True))
    return card(body, fallback_text=t("documents.filed", language, where=where))


def upload_prompt_card(document_title: str, task_title: str, language: Language, *, personal: bool) -> Card:
    """After "Upload": attach the file here (1:1), or where to go (a channel passes no file to the bot)."""
    key = "documents.prompt.personal" if personal else "documents.prompt.channel"
    return card([heading(document_title), text(task_title, subtle=True), text(t(key, language))],
                fallback_text=document_title)


def refused_card(message: str, retry: list[Element] | None = None) -> Card:
    return card([text(message, color="Attention")], retry or None, fallback_text=message)


def link_card(file_name: str, url: str, minutes: int, language: Language) -> Card:
    return card([text(plain(file_name)), text(t("documents.link.expires", language, n=minutes), subtle=True)],
                [open_url(t("documents.download", language), url)], fallback_text=file_name)


def document_outbox_card(project: Project, library: PlaybookLibrary, item: OutboxItem, language: Language) -> Card | None:
    """What a document outbox item shows at send time: the review card (to a PM, while the
    upload still waits for review) or the rejection (to its uploader)."""
    upload = next((u for u in project.documents if u.upload_id == item.params.get("upload")), None)
    if upload is None or upload.task_key not in project.tasks:
        return None
    spec = spec_of(library, upload.task_key, project)
    document = next((d for d in spec.documents if d.id == upload.document_id), None)
    if document is None:
        return None
    view = review_view(project, upload, spec.title.get(language), document.title.get(language), language)
    if item.kind is OutboxKind.DOCUMENT_REJECTED:
        return rejected_card(view, upload.task_key, upload.document_id)
    if upload.review is not ReviewState.PENDING:
        return None  # reviewed before the card went out
    return review_card(view)


def document_status_lines(project: Project, library: PlaybookLibrary, language: Language, limit: int) -> list[tuple[str, str]]:
    """For status: each open task whose documents still hold it up, and what they need (missing, waiting for review)."""
    lines = []
    for key, record in project.tasks.items():
        if not record.state.is_open:
            continue
        spec = spec_of(library, key, project)
        missing, pending = [], 0
        for document in spec.documents:
            newest = latest(project.documents, key, document.id)
            if newest is not None and newest.review is ReviewState.PENDING:
                pending += 1
            elif document.required and (newest is None or newest.review is not ReviewState.ACCEPTED):
                missing.append(document.title.get(language))
        parts = ([t("documents.status.missing", language, names=", ".join(missing))] if missing else []) + (
            [t("documents.status.pending", language, n=pending)] if pending else [])
        if parts:
            lines.append((spec.title.get(language), " · ".join(parts)))
    return lines[:limit]


def document_status_elements(lines: list[tuple[str, str]], language: Language) -> list[Element]:
    """The status card's documents section (nothing when no document holds a task up)."""
    return [heading(t("documents.status.heading", language)), facts(lines)] if lines else []
