"""Cards across organisations: the provider staff roster (bot admins manage PMs and admins),
the one-time link code a PM types in the chat where they are a guest, and the card that
follows a channel being shared with a customer (assign their people to the project's roles).
Pure functions from view models to Adaptive Card 1.5 JSON.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.catalogue import t
from bot.domain.roles import Role
from bot.domain.text import Language
from cards.base import Card, Element, card, execute, facts, plain, text, title

STAFF_ADD_VERB = "staff_add"
STAFF_REMOVE_VERB = "staff_remove"
SHARED_ASSIGN_VERB = "shared_assign"
CUSTOMER_ROLES = (Role.CUSTOMER_PRIMARY_CONTACT, Role.CUSTOMER_GLOBAL_ADMIN, Role.CUSTOMER_ADMIN, Role.AUTHORIZED_SIGNER)


@dataclass(frozen=True, slots=True)
class StaffLine:
    key: str  # PersonKey.encode()
    name: str
    upn: str
    role: str  # "pm" | "admin"
    from_settings: bool = False


@dataclass(frozen=True, slots=True)
class StaffView:
    language: Language
    members: list[StaffLine]
    candidates: list[tuple[str, str]]  # (PersonKey.encode(), name): the conversation's members, to pick from
    notice: str = ""


def staff_card(view: StaffView) -> Card:
    lang = view.language
    body: list[Element] = [title(t("staff.title", lang)), text(t("staff.intro", lang), subtle=True)]
    if view.notice:
        body.append(text(plain(view.notice), color="Accent"))
    actions: list[Element] = []
    if not view.members:
        body.append(text(t("staff.none", lang)))
    for member in view.members:
        label = t(f"staff.role.{member.role}", lang) + (f" {t('staff.from_settings', lang)}" if member.from_settings else "")
        row: list[Element] = [
            {"type": "Column", "width": "stretch", "items": [facts([(plain(member.name or member.upn or member.key), label)])]},
        ]
        if not member.from_settings:
            row.append({"type": "Column", "width": "auto", "items": [
                {"type": "ActionSet", "actions": [execute(STAFF_REMOVE_VERB, t("staff.remove", lang), {"who": member.key})]}]})
        body.append({"type": "ColumnSet", "columns": row})
    body.append(text(t("staff.add_title", lang), size="Medium"))
    if view.candidates:
        body.append({"type": "Input.ChoiceSet", "id": "who", "label": t("staff.who", lang),
                     "choices": [{"title": plain(name), "value": key} for key, name in view.candidates[:100]]})
    body.append({"type": "Input.Text", "id": "upn", "label": t("staff.upn", lang), "maxLength": 200})
    body.append({"type": "Input.ChoiceSet", "id": "role", "label": t("staff.role_label", lang), "value": "pm",
                 "choices": [{"title": t("staff.role.pm", lang), "value": "pm"},
                             {"title": t("staff.role.admin", lang), "value": "admin"}]})
    actions.append(execute(STAFF_ADD_VERB, t("staff.add", lang), {}, associated_inputs="auto"))
    return card(body, actions, fallback_text=t("staff.title", lang))


def link_code_card(code: str, minutes: int, language: Language) -> Card:
    return card([title(t("link.code_title", language)),
                 {"type": "TextBlock", "text": code, "size": "ExtraLarge", "weight": "Bolder", "fontType": "Monospace"},
                 text(t("link.code_body", language, code=code, minutes=minutes), subtle=True)],
                fallback_text=t("link.code_title", language))


@dataclass(frozen=True, slots=True)
class SharedView:
    language: Language
    project_id: str
    customer: str
    teams: str  # the team names the channel was shared with
    members: list[tuple[str, str]]  # (PersonKey.encode(), name) of the other organisations' people


def shared_channel_card(view: SharedView) -> Card:
    lang = view.language
    body: list[Element] = [title(t("shared.title", lang, teams=plain(view.teams))),
                           text(t("shared.body", lang, customer=plain(view.customer)))]
    if not view.members:
        body.append(text(t("shared.no_members", lang), subtle=True))
        return card(body, fallback_text=t("shared.title", lang, teams=plain(view.teams)))
    choices = [{"title": plain(name), "value": key} for key, name in view.members[:100]]
    for role in CUSTOMER_ROLES:
        body.append({"type": "Input.ChoiceSet", "id": f"role_{role.value}", "label": role.label.get(lang),
                     "isMultiSelect": True, "choices": choices})
    actions = [execute(SHARED_ASSIGN_VERB, t("shared.assign", lang), {"p": view.project_id}, associated_inputs="auto")]
    return card(body, actions, fallback_text=t("shared.title", lang, teams=plain(view.teams)))
