"""Activities shaped exactly as Microsoft Teams sends them to a bot: personal, group chat and
channel conversations, channelData with tenant and team, <at> mentions, adaptiveCard/action
invokes and Action.Submit messages."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

BOT_ID = "28:bot-app-id"
BOT_NAME = "Activation Bot"
_ids = itertools.count(1)


@dataclass(frozen=True)
class TeamsUser:
    teams_id: str  # 29:...
    aad_object_id: str
    name: str
    tenant_id: str

    def account(self) -> dict[str, Any]:
        return {"id": self.teams_id, "name": self.name, "aadObjectId": self.aad_object_id}


@dataclass(frozen=True)
class Conversation:
    id: str
    kind: str  # personal | groupChat | channel
    tenant_id: str
    team_id: str | None = None
    channel_id: str | None = None

    def account(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "conversationType": self.kind, "tenantId": self.tenant_id}
        if self.kind != "personal":
            data["isGroup"] = True
        return data

    def channel_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"tenant": {"id": self.tenant_id}}
        if self.kind == "channel":
            # Teams sends the ids twice: flat (teamsTeamId, teamsChannelId) and as objects.
            data["teamsTeamId"] = self.team_id
            data["teamsChannelId"] = self.channel_id
            data["team"] = {"id": self.team_id, "name": "Contoso Activation"}
            data["channel"] = {"id": self.channel_id, "name": "General"}
        return data


def personal(user: TeamsUser) -> Conversation:
    return Conversation(f"a:personal-{user.aad_object_id}", "personal", user.tenant_id)


def channel(team_id: str, tenant_id: str) -> Conversation:
    return Conversation(f"19:{team_id}@thread.tacv2", "channel", tenant_id, team_id=f"19:{team_id}@thread.tacv2",
                        channel_id=f"19:{team_id}@thread.tacv2")


def group_chat(chat_id: str, tenant_id: str) -> Conversation:
    return Conversation(f"19:{chat_id}@thread.v2", "groupChat", tenant_id)


def _base(kind: str, user: TeamsUser, conversation: Conversation, service_url: str, locale: str) -> dict[str, Any]:
    return {
        "type": kind,
        "id": f"f:{next(_ids)}",
        "timestamp": "2026-11-26T15:00:00.000Z",
        "localTimestamp": "2026-11-26T10:00:00.000-05:00",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": user.account(),
        "conversation": conversation.account(),
        "recipient": {"id": BOT_ID, "name": BOT_NAME},
        "locale": locale,
        "entities": [{"type": "clientInfo", "locale": locale, "country": "US", "platform": "Web",
                      "timezone": "America/New_York"}],
        "channelData": conversation.channel_data(),
    }


def message(user: TeamsUser, conversation: Conversation, text: str, service_url: str, *, locale: str = "en-US",
            mention_bot: bool | None = None) -> dict[str, Any]:
    activity = _base("message", user, conversation, service_url, locale)
    if mention_bot is None:
        mention_bot = conversation.kind != "personal"
    if mention_bot:
        activity["text"] = f"<at>{BOT_NAME}</at> {text}"
        activity["entities"].append({"type": "mention", "text": f"<at>{BOT_NAME}</at>",
                                     "mentioned": {"id": BOT_ID, "name": BOT_NAME}})
    else:
        activity["text"] = text
    activity["textFormat"] = "plain"
    return activity


def card_submit(user: TeamsUser, conversation: Conversation, value: dict[str, Any], service_url: str, *,
                reply_to_id: str | None = None, locale: str = "en-US") -> dict[str, Any]:
    """Action.Submit: a message with no text whose value holds the card data and inputs."""
    activity = _base("message", user, conversation, service_url, locale)
    activity["value"] = value
    if reply_to_id:
        activity["replyToId"] = reply_to_id
    return activity


def card_action(user: TeamsUser, conversation: Conversation, verb: str, data: dict[str, Any], service_url: str, *,
                trigger: str = "manual", locale: str = "en-US", reply_to_id: str | None = None) -> dict[str, Any]:
    """Action.Execute: an invoke named adaptiveCard/action."""
    activity = _base("invoke", user, conversation, service_url, locale)
    activity["name"] = "adaptiveCard/action"
    activity["value"] = {"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": trigger}
    if reply_to_id:
        activity["replyToId"] = reply_to_id
    return activity


def installation_added(user: TeamsUser, conversation: Conversation, service_url: str, locale: str = "en-US") -> dict[str, Any]:
    activity = _base("installationUpdate", user, conversation, service_url, locale)
    activity["action"] = "add"
    return activity


def bot_added(user: TeamsUser, conversation: Conversation, service_url: str, locale: str = "en-US") -> dict[str, Any]:
    activity = _base("conversationUpdate", user, conversation, service_url, locale)
    activity["membersAdded"] = [{"id": BOT_ID}]
    activity["channelData"]["eventType"] = "teamMemberAdded"
    return activity
