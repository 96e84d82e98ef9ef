"""What the bot keeps about a person across projects: how to write to them and when not to.

One record per person (their Entra object id; `tenant_id` their home tenant), read once per turn and by delivery, changed
only through `bot.storage.people.PersonRecords.change` (a conditional write with its ETag).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from bot.domain.project import ConversationTarget
from bot.domain.text import Language, parse_language


def _language(value: object) -> Language | None:
    """A stored language, or None when none was stored."""
    return parse_language(value) if value else None


@dataclass(frozen=True, slots=True)
class PersonRecord:
    tenant_id: str = ""  # the tenant that first spoke for this person; others cannot change the record
    language: Language | None = None  # from their activities' locale, or their choice
    chosen_language: Language | None = None  # said "language es/en": wins over any locale
    timezone: str | None = None
    conversation: ConversationTarget | None = None  # their 1:1 chat with the bot
    teams_id: str | None = None  # their Teams user id (29:...), to open a 1:1 chat
    unreachable: str | None = None  # why sends to them fail for good (403/404 code); None: reachable
    snoozed_until: date | None = None  # "remind me tomorrow": no reminder before this local day
    channel_only: bool = False  # from another tenant, no 1:1 chat: reached in the channel (PM told once)

    def language_or(self, default: str) -> Language:
        return self.chosen_language or self.language or parse_language(default)

    def reached_at(self, conversation: ConversationTarget) -> PersonRecord:
        """They talk to the bot (again) in this 1:1 chat: reachable there from now on."""
        return replace(self, conversation=conversation, unreachable=None, channel_only=False)

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"tenantId": self.tenant_id}
        if self.language:
            body["language"] = self.language
        if self.chosen_language:
            body["chosenLanguage"] = self.chosen_language
        if self.timezone:
            body["timezone"] = self.timezone
        if self.conversation:
            body["conversation"] = self.conversation.to_dict()
        if self.teams_id:
            body["teamsId"] = self.teams_id
        if self.unreachable:
            body["unreachable"] = self.unreachable
        if self.snoozed_until:
            body["snoozedUntil"] = self.snoozed_until.isoformat()
        if self.channel_only:
            body["channelOnly"] = True
        return body

    @staticmethod
    def from_dict(data: dict[str, Any]) -> PersonRecord:
        conversation = data.get("conversation")
        snoozed = data.get("snoozedUntil")
        return PersonRecord(
            tenant_id=str(data.get("tenantId") or ""),
            language=_language(data.get("language")),
            chosen_language=_language(data.get("chosenLanguage")),
            timezone=data.get("timezone") if isinstance(data.get("timezone"), str) else None,
            conversation=ConversationTarget.from_dict(conversation) if isinstance(conversation, dict) else None,
            teams_id=data.get("teamsId") if isinstance(data.get("teamsId"), str) else None,
            unreachable=str(data["unreachable"]) if data.get("unreachable") else None,
            snoozed_until=date.fromisoformat(snoozed) if isinstance(snoozed, str) else None,
            channel_only=data.get("channelOnly") is True,
        )
