"""Document use cases the Teams edge calls: receive a file from a 1:1 chat, file it under a
task's document, review it (accept, or reject with a reason), and sign or open download links.

SDK-free. A file is downloaded and checked as it streams into the document store; only then
is the upload recorded in the project (with its event and what it owes: a review card to the
PMs, redrawn task cards, a rejection back to the uploader). Nothing partial is ever recorded.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from bot.documents.checks import CheckedStream, DocumentRefused, Problem, check_url, clean_name
from bot.documents.download import download
from bot.documents.settings import DocumentSettings
from bot.domain.authorization import Actor
from bot.domain.document_rights import may_review, may_upload
from bot.domain.documents import DocumentKind, DocumentSpec, DocumentUpload, ReviewState, latest, missing_documents
from bot.domain.events import Event
from bot.domain.project import CARD_COPIES_TARGET, OutboxItem, OutboxKind, Project, Target
from bot.domain.roles import Role
from bot.domain.text import LocalizedText
from bot.domain.transitions import spec_of
from bot.service import ActivationService
from bot.storage.contract import ProjectNotFound, StorageError, update_project, user_key
from bot.storage.documents import DocumentMeta, DocumentStore, DocumentStoreUnavailable

log = logging.getLogger(__name__)
TARGET_LIFETIME = timedelta(minutes=30)  # how long an "Upload" click waits for the file


@dataclass(frozen=True, slots=True)
class IncomingFile:
    name: object
    download_url: object


@dataclass(frozen=True, slots=True)
class Slot:
    """One document of one open task, as a place a file can be filed."""

    project_id: str
    customer_name: str
    key: str
    task_title: LocalizedText
    document: DocumentSpec

    @property
    def value(self) -> str:
        return f"{self.project_id}|{self.key}|{self.document.id}"


@dataclass(slots=True)
class Received:
    """What became of one file: filed (`upload`), or staged until the owner says where (`choices`)."""

    name: str
    size: int
    upload: DocumentUpload | None = None
    slot: Slot | None = None
    staged_id: str | None = None
    choices: list[Slot] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Reviewed:
    project: Project
    upload: DocumentUpload
    changed: bool
    refusal: Problem | None = None


@dataclass(frozen=True, slots=True)
class OpenedLink:
    status: int  # 200, 403 or 404
    meta: DocumentMeta | None = None
    upload: DocumentUpload | None = None
    chunks: AsyncIterator[bytes] | None = None


def blob_name(tenant_id: str, project_id: str, key: str, document_id: str, upload_id: str) -> str:
    return f"{tenant_id}/{project_id}/{key}/{document_id}/{upload_id}"


class DocumentService:
    def __init__(self, activation: ActivationService, store: DocumentStore, settings: DocumentSettings,
                 clock: Callable[[], datetime], public_url: str = "") -> None:
        self.activation = activation
        self.public_url = public_url  # where users' browsers reach the bot (download links)
        self.store = store
        self.settings = settings
        self.clock = clock
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        await self.store.close()

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(trust_env=False)
        return self._session

    # -- who may ----------------------------------------------------------------------
    may_upload = staticmethod(may_upload)
    may_review = staticmethod(may_review)

    def missing(self, project: Project, key: str) -> list[DocumentSpec]:
        return missing_documents(project.documents, key, spec_of(self.activation.library, key, project).documents)

    # -- where a file goes --------------------------------------------------------------
    async def open_slots(self, actor: Actor) -> list[Slot]:
        """Every document an open task of this person waits for (none yet, or the newest rejected)."""
        slots: list[Slot] = []
        for project_id in await self.activation.project_ids_of(actor.id):
            project = await self.activation.load(project_id)
            if project is None:
                continue
            slots.extend(self._slots_of(actor, project))
        return slots

    def _slots_of(self, actor: Actor, project: Project, key: str | None = None) -> list[Slot]:
        found = []
        for task_key, record in project.tasks.items():
            if (key is not None and task_key != key) or not record.state.is_open:
                continue
            spec = spec_of(self.activation.library, task_key, project)
            if not spec.documents or not self.may_upload(actor, project, spec):
                continue
            for document in spec.documents:
                newest = latest(project.documents, task_key, document.id)
                if newest is None or newest.review is ReviewState.REJECTED or (key is not None and not document.required):
                    found.append(Slot(project.id, project.customer_name, task_key, spec.title, document))
        return found

    async def choose_target(self, actor: Actor, project_id: str, key: str, document_id: str) -> Slot:
        """After "Upload" on a task's document: the next file this person attaches goes there."""
        project = await self.activation.load(project_id)
        if project is None or key not in project.tasks:
            raise DocumentRefused(Problem.CLOSED)
        spec = spec_of(self.activation.library, key, project)
        document = next((d for d in spec.documents if d.id == document_id), None)
        if document is None:
            raise DocumentRefused(Problem.CLOSED)
        if not self.may_upload(actor, project, spec):
            raise DocumentRefused(Problem.NOT_ALLOWED)
        if not project.tasks[key].state.is_open:
            raise DocumentRefused(Problem.CLOSED)
        until = (self.clock() + TARGET_LIFETIME).isoformat()
        await self.activation.store.write_document(user_key("upload_target", actor.id),
                                                   {"p": project_id, "k": key, "d": document_id, "until": until})
        return Slot(project.id, project.customer_name, key, spec.title, document)

    async def _target(self, actor: Actor) -> Slot | None:
        """Where the person's last "Upload" click points, while it is recent and still open."""
        current = await self.activation.store.read_document(user_key("upload_target", actor.id))
        if current is None:
            return None
        body = current.value
        if datetime.fromisoformat(str(body.get("until"))) < self.clock():
            return None
        project = await self.activation.load(str(body.get("p")))
        if project is None:
            return None
        return next((s for s in self._slots_of(actor, project, str(body.get("k"))) if s.document.id == body.get("d")), None)

    # -- receiving --------------------------------------------------------------------
    async def receive(self, actor: Actor, incoming: IncomingFile) -> Received:
        """Download, check and store one file; file it when there is one place for it, else stage it."""
        name = clean_name(incoming.name) if isinstance(incoming.name, str) else clean_name("")
        check_url(incoming.download_url, self.settings)  # refused before anything is fetched
        target = await self._target(actor)  # used up by a file filed there, kept through a refusal
        slots = [target] if target is not None else await self.open_slots(actor)
        if not slots:
            raise DocumentRefused(Problem.NOTHING_OPEN)
        upload_id = uuid.uuid4().hex[:16]
        chunks = download(self._http(), incoming.download_url, self.settings)
        if len(slots) == 1:
            slot = slots[0]
            project = await self._project(slot.project_id)
            target_name = blob_name(project.tenant_id, project.id, slot.key, slot.document.id, upload_id)
            checked = await self._put(target_name, name, chunks, actor, slot.document.kinds)
            upload = await self._record(actor, slot, upload_id, name, checked.kind, checked.size, checked.sha256, target_name)
            if target is not None:
                await self.activation.store.delete_document(user_key("upload_target", actor.id))
            return Received(name, checked.size, upload=upload, slot=slot)
        staged = f"{actor.tenant_id or 'none'}/staged/{actor.id}/{upload_id}"
        checked = await self._put(staged, name, chunks, actor, None)
        assert checked.kind is not None
        await self.activation.store.write_document(user_key("staged_document", upload_id), {
            "uploader": actor.id, "name": name, "kind": checked.kind.value, "size": checked.size, "sha256": checked.sha256,
            "blob": staged, "choices": [s.value for s in slots],
        })
        return Received(name, checked.size, staged_id=upload_id, choices=slots)

    async def _put(self, target: str, name: str, chunks: AsyncIterator[bytes], actor: Actor,
                   accepted: tuple[DocumentKind, ...] | None) -> CheckedStream:
        checked = CheckedStream(chunks, name, self.settings.max_bytes)

        def meta() -> DocumentMeta:
            if checked.kind is None:
                raise DocumentRefused(Problem.TYPE)
            if accepted is not None and checked.kind not in accepted:
                raise DocumentRefused(Problem.KIND, ", ".join(k.label for k in accepted))
            return DocumentMeta(name, checked.kind.content_type, checked.size, checked.sha256, actor.id,
                                self.clock().isoformat())

        try:
            await self.store.put(target, aiter(checked), meta)
        except DocumentStoreUnavailable as error:
            log.warning("document not stored: %s", error)
            raise DocumentRefused(Problem.STORE) from None
        finally:
            closer = getattr(chunks, "aclose", None)
            if closer is not None:
                await closer()
        return checked

    async def _project(self, project_id: str) -> Project:
        project = await self.activation.load(project_id)
        if project is None:
            raise DocumentRefused(Problem.CLOSED)
        return project

    async def _record(self, actor: Actor, slot: Slot, upload_id: str, name: str, kind: DocumentKind | None, size: int,
                      sha256: str, stored_as: str) -> DocumentUpload:
        """Add the stored upload to the project, with its event, the PMs' review cards and redrawn task cards.
        When the project cannot be written the bytes are removed again: the task keeps what it had."""
        assert kind is not None
        now = self.clock()
        upload = DocumentUpload(upload_id, slot.key, slot.document.id, name, kind, size, sha256, stored_as, actor.id,
                                actor.name, now)

        def add(project: Project) -> list[Event]:
            if slot.key not in project.tasks:
                raise DocumentRefused(Problem.CLOSED)
            if any(u.upload_id == upload_id for u in project.documents):
                return []
            project.documents.append(upload)
            event_id, seq = project.next_event_id()
            for pm in project.people_in((Role.PROVIDER_PM,)):
                if pm.id != actor.id:
                    project.owe(OutboxItem(f"docreview:{upload_id}:{pm.id}", OutboxKind.DOCUMENT_REVIEW, Target.person(pm.id),
                                           now, {"upload": upload_id}))
            project.owe(OutboxItem(f"doccard:{upload_id}", OutboxKind.CARD_UPDATE, CARD_COPIES_TARGET, now, {"key": slot.key}))
            return [Event(event_id, project.id, seq, now, "document_uploaded", actor.id, actor.name, task_key=slot.key,
                          data={"document": slot.document.id, "upload": upload_id, "name": name, "size": size,
                                "sha256": sha256, "contentType": kind.content_type})]

        try:
            await update_project(self.activation.store, slot.project_id, add, lambda events: events)
        except (StorageError, ProjectNotFound, DocumentRefused) as error:
            try:
                await self.store.delete(stored_as)
            except DocumentStoreUnavailable:
                log.warning("upload %s stored but not recorded; its bytes could not be removed", upload_id)
            if isinstance(error, DocumentRefused):
                raise
            log.warning("upload %s not recorded: %s", upload_id, type(error).__name__)
            raise DocumentRefused(Problem.STORE) from None
        return upload

    async def file_staged(self, actor: Actor, staged_id: str, choice: str) -> Received:
        """File a staged upload where its owner chose; the choice must still be open for them."""
        key = user_key("staged_document", staged_id)
        current = await self.activation.store.read_document(key)
        if current is None or current.value.get("uploader") != actor.id or choice not in current.value.get("choices", []):
            raise DocumentRefused(Problem.GONE)
        staged = current.value
        project_id, task_key, document_id = choice.split("|", 2)
        project = await self._project(project_id)
        slot = next((s for s in self._slots_of(actor, project, task_key) if s.document.id == document_id), None)
        if slot is None:
            raise DocumentRefused(Problem.CLOSED)
        kind = DocumentKind(staged["kind"])
        if kind not in slot.document.kinds:
            raise DocumentRefused(Problem.KIND, ", ".join(k.label for k in slot.document.kinds))
        target = blob_name(project.tenant_id, project.id, slot.key, slot.document.id, staged_id)
        meta = DocumentMeta(staged["name"], kind.content_type, int(staged["size"]), staged["sha256"], actor.id,
                            self.clock().isoformat())
        try:
            await self.store.put(target, self.store.read(staged["blob"]), lambda: meta)
        except LookupError:
            await self.activation.store.delete_document(key)
            raise DocumentRefused(Problem.GONE) from None
        except DocumentStoreUnavailable as error:
            log.warning("staged document not filed: %s", error)
            raise DocumentRefused(Problem.STORE) from None
        upload = await self._record(actor, slot, staged_id, staged["name"], kind, int(staged["size"]), staged["sha256"], target)
        await self.activation.store.delete_document(key)
        try:
            await self.store.delete(staged["blob"])
        except DocumentStoreUnavailable:
            log.warning("staged copy %s left behind", staged_id)
        return Received(staged["name"], int(staged["size"]), upload=upload, slot=slot)

    # -- review -----------------------------------------------------------------------
    async def review(self, actor: Actor, project_id: str, upload_id: str, *, accept: bool, reason: str | None) -> Reviewed:
        clean = (reason or "").strip()[:500] or None
        refusal: Problem | None = None

        def decide(project: Project) -> list[Event]:
            nonlocal refusal
            refusal = None
            upload = next((u for u in project.documents if u.upload_id == upload_id), None)
            if upload is None:
                raise DocumentRefused(Problem.CLOSED)
            if not self.may_review(actor, project):
                refusal = Problem.NOT_ALLOWED
                return []
            if upload.review is not ReviewState.PENDING:
                refusal = Problem.NOT_PENDING
                return []
            if not accept and clean is None:
                refusal = Problem.REASON_REQUIRED
                return []
            now = self.clock()
            upload.review = ReviewState.ACCEPTED if accept else ReviewState.REJECTED
            upload.reviewed_by_name, upload.reviewed_at, upload.reason = actor.name, now, None if accept else clean
            event_id, seq = project.next_event_id()
            project.owe(OutboxItem(f"doccard:{upload_id}:{upload.review.value}", OutboxKind.CARD_UPDATE, CARD_COPIES_TARGET,
                                   now, {"key": upload.task_key}))
            if not accept:
                project.owe(OutboxItem(f"docrejected:{upload_id}", OutboxKind.DOCUMENT_REJECTED,
                                       Target.person(upload.uploaded_by), now, {"upload": upload_id}))
            return [Event(event_id, project.id, seq, now, "document_reviewed", actor.id, actor.name, task_key=upload.task_key,
                          reason=upload.reason, data={"document": upload.document_id, "upload": upload_id,
                                                      "review": upload.review.value})]

        try:
            _, saved = await update_project(self.activation.store, project_id, decide, lambda events: events,
                                            write_if=lambda events: bool(events))
        except ProjectNotFound:
            raise DocumentRefused(Problem.CLOSED) from None
        upload = next(u for u in saved.value.documents if u.upload_id == upload_id)
        return Reviewed(saved.value, upload, refusal is None, refusal)

    async def find(self, actor: Actor, project_id: str, upload_id: str) -> tuple[Project, DocumentUpload]:
        """A project's upload, if this actor may download it (PM, the task's people)."""
        project = await self._project(project_id)
        upload = next((u for u in project.documents if u.upload_id == upload_id), None)
        if upload is None:
            raise DocumentRefused(Problem.CLOSED)
        if not (self.may_review(actor, project) or self.may_upload(actor, project, spec_of(self.activation.library, upload.task_key, project))):
            raise DocumentRefused(Problem.NOT_ALLOWED)
        return project, upload

    # -- download links -----------------------------------------------------------------
    async def _link_key(self) -> bytes:
        # Its own key, derived from the export secret: an export token never opens a document, nor the reverse.
        return hmac.new(await self.activation.export_secret(), b"documents", hashlib.sha256).digest()

    async def sign_link(self, actor: Actor, project_id: str, upload_id: str) -> str:
        await self.find(actor, project_id, upload_id)
        expires = int((self.clock() + timedelta(minutes=self.settings.link_minutes)).timestamp())
        payload = json.dumps({"p": project_id, "d": upload_id, "r": actor.id, "t": actor.tenant_id, "e": expires},
                             separators=(",", ":"))
        body = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
        return f"{body}.{hmac.new(await self._link_key(), body.encode(), hashlib.sha256).hexdigest()}"

    async def open_link(self, token: str) -> OpenedLink:
        """404 for a forged, malformed or expired link or a document gone; 403 when its requester may no longer see it."""
        payload = await self._verify(token)
        if payload is None:
            return OpenedLink(404)
        requester = self.activation.actor(str(payload["r"]), "", str(payload["t"]))
        try:
            _, upload = await self.find(requester, str(payload["p"]), str(payload["d"]))
        except DocumentRefused as refused:
            return OpenedLink(403 if refused.problem is Problem.NOT_ALLOWED else 404)
        meta = await self.store.meta(upload.blob_name)
        if meta is None:
            return OpenedLink(404)
        return OpenedLink(200, meta, upload, self.store.read(upload.blob_name))

    async def _verify(self, token: str) -> dict[str, Any] | None:
        if len(token) > 1000 or "." not in token:
            return None
        body, mac = token.rsplit(".", 1)
        expected = hmac.new(await self._link_key(), body.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(mac, expected):
            return None
        try:
            payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except ValueError:
            return None
        if not isinstance(payload, dict) or not all(isinstance(payload.get(k), str) for k in ("p", "d", "r", "t")):
            return None
        if int(payload.get("e", 0)) < self.clock().timestamp():
            return None
        return payload
