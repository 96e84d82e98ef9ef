"""The Teams side of documents: file attachments in a 1:1 chat and the document card actions
(Upload, File it, Accept, Reject, Download), translated into DocumentService calls and cards.

Teams sends a user's file as an `application/vnd.microsoft.teams.file.download.info`
attachment whose `downloadUrl` is pre-authorised and short-lived, so the file is fetched in
the turn. In channels and group chats Teams passes no file to a bot: the answer says where to go.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from botbuilder.core import CardFactory, MessageFactory, TurnContext

from bot.document_service import DocumentService, IncomingFile, Received, Slot
from bot.documents.checks import DocumentRefused, Problem
from bot.domain.authorization import Actor
from bot.domain.catalogue import t
from bot.domain.documents import DocumentUpload
from bot.domain.project import Project
from bot.domain.text import Language
from bot.domain.transitions import spec_of
from cards.base import Card, plain
from cards.documents import (
    FilingChoice,
    FilingView,
    filed_card,
    filing_card,
    human_size,
    link_card,
    reason_input_id,
    refused_card,
    review_card,
    review_view,
    upload_prompt_card,
)

log = logging.getLogger(__name__)
FILE_DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"
DOCUMENT_VERBS = frozenset({"doc_upload", "doc_file", "doc_accept", "doc_reject", "doc_download"})
MAX_FILES_PER_MESSAGE = 10


def file_attachments(activity: Any) -> list[IncomingFile]:
    """The files a message carries (Teams' download-info attachments), at most MAX_FILES_PER_MESSAGE."""
    found = []
    for attachment in activity.attachments or []:
        if getattr(attachment, "content_type", None) != FILE_DOWNLOAD_INFO:
            continue
        content = attachment.content if isinstance(attachment.content, dict) else {}
        found.append(IncomingFile(name=attachment.name, download_url=content.get("downloadUrl")))
    return found[:MAX_FILES_PER_MESSAGE]


def _reply(card: Card) -> Any:
    return MessageFactory.attachment(CardFactory.adaptive_card(card))


class DocumentEdge:
    def __init__(self, service: DocumentService, *, deliver_soon: Callable[[str], None],
                 task_card: Callable[[TurnContext, str, str, str | None], Awaitable[Card | None]]) -> None:
        self.service = service
        self.deliver_soon = deliver_soon
        self.task_card = task_card  # the task card as the clicking user sees it, with a notice

    def refusal_text(self, refused: DocumentRefused, language: Language) -> str:
        if refused.problem is Problem.TOO_LARGE:
            return t("documents.refused.too_large", language, limit=human_size(self.service.settings.max_bytes))
        if refused.problem is Problem.KIND:
            return t("documents.refused.kind", language, kinds=refused.detail)
        return t(f"documents.refused.{refused.problem.value}", language)

    # -- files ----------------------------------------------------------------------------
    async def on_files(self, turn_context: TurnContext, actor: Actor, language: Language, files: list[IncomingFile],
                       *, personal: bool) -> None:
        if not personal:
            await turn_context.send_activity(t("documents.channel_files", language))
            return
        for incoming in files:
            try:
                received = await self.service.receive(actor, incoming)
            except DocumentRefused as refused:
                log.info("file refused: %s", refused)
                await turn_context.send_activity(_reply(refused_card(self.refusal_text(refused, language))))
                continue
            await turn_context.send_activity(_reply(self._received_card(received, language)))

    def _received_card(self, received: Received, language: Language) -> Card:
        if received.upload is not None and received.slot is not None:
            self.deliver_soon(received.slot.project_id)
            return filed_card(received.name, self._where(received.slot, language), language)
        choices = [FilingChoice(s.value, self._where(s, language)) for s in received.choices]
        return filing_card(FilingView(received.staged_id or "", plain(received.name), human_size(received.size), choices, language))

    @staticmethod
    def _where(slot: Slot, language: Language) -> str:
        return f"{plain(slot.customer_name)} · {slot.task_title.get(language)} · {slot.document.title.get(language)}"

    # -- card actions ---------------------------------------------------------------------
    async def card_action(self, turn_context: TurnContext, actor: Actor, language: Language, verb: str,
                          data: dict[str, Any]) -> Card | None:
        """The card the clicking user sees next; None for data that is not a document action's."""
        fields = {name: data.get(name) for name in ("p", "k", "d", "u", "s", "slot", "reason")}
        if isinstance(fields["u"], str) and fields["reason"] is None:
            fields["reason"] = data.get(reason_input_id(fields["u"]))
        if any(v is not None and (not isinstance(v, str) or len(v) > 600) for v in fields.values()):
            return None
        project_id, key, document_id, upload_id = fields["p"], fields["k"], fields["d"], fields["u"]
        try:
            if verb == "doc_upload" and project_id and key and document_id:
                slot = await self.service.choose_target(actor, project_id, key, document_id)
                personal = (turn_context.activity.conversation.conversation_type or "personal") == "personal"
                notice = t("documents.prompt.notice", language, document=slot.document.title.get(language))
                shown = await self.task_card(turn_context, project_id, key, notice)
                if not personal or shown is None:
                    return upload_prompt_card(slot.document.title.get(language), slot.task_title.get(language), language,
                                              personal=personal)
                return shown
            if verb == "doc_file" and fields["s"]:
                if not fields["slot"]:
                    return refused_card(t("documents.filing.which", language))
                received = await self.service.file_staged(actor, str(fields["s"]), str(fields["slot"]))
                return self._received_card(received, language)
            if verb in ("doc_accept", "doc_reject") and project_id and upload_id:
                reviewed = await self.service.review(actor, project_id, upload_id, accept=verb == "doc_accept",
                                                     reason=fields["reason"])
                if reviewed.changed:
                    self.deliver_soon(project_id)
                if reviewed.refusal is not None:
                    notice = t(f"documents.refused.{reviewed.refusal.value}", language)
                else:
                    notice = t("documents.accepted_notice" if verb == "doc_accept" else "documents.rejected_notice", language)
                return await self._origin(turn_context, key, reviewed.project, reviewed.upload, language, notice,
                                          can_review=reviewed.refusal is not Problem.NOT_ALLOWED)
            if verb == "doc_download" and project_id and upload_id:
                project, upload = await self.service.find(actor, project_id, upload_id)
                token = await self.service.sign_link(actor, project_id, upload_id)
                url = f"{self.service.public_url}/api/documents/{token}"
                # The link comes as its own message: the card clicked on stays as it was.
                await turn_context.send_activity(_reply(link_card(upload.name, url, self.service.settings.link_minutes, language)))
                return await self._origin(turn_context, key, project, upload, language, None,
                                          can_review=self.service.may_review(actor, project))
        except DocumentRefused as refused:
            log.info("document action %s refused: %s", verb, refused)
            return refused_card(self.refusal_text(refused, language))
        return None

    async def _origin(self, turn_context: TurnContext, key: str | None, project: Project, upload: DocumentUpload,
                      language: Language, notice: str | None, *, can_review: bool) -> Card | None:
        """The card the click came from, redrawn: the task card (its data names the task) or the review card."""
        if key:
            return await self.task_card(turn_context, project.id, key, notice)
        spec = spec_of(self.service.activation.library, upload.task_key, project)
        document = next(d for d in spec.documents if d.id == upload.document_id)
        view = review_view(project, upload, spec.title.get(language), document.title.get(language), language, notice=notice)
        return review_card(replace(view, can_review=can_review))
