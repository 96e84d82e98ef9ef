"""The project set-up form a PM fills in a team channel: customer, products, options, dates,
time zone, language, and who holds each role (chosen from the team's roster)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.catalogue import t
from bot.domain.roles import Role
from bot.domain.text import Language
from cards.base import Card, Element, card, text, title

TIMEZONES = (
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
    "America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico", "America/Mexico_City", "America/Bogota",
    "Europe/Madrid", "UTC",
)
SETUP_VERB = "create_project"
ROLE_CHOICES = tuple(r for r in Role)


@dataclass(frozen=True, slots=True)
class RosterMember:
    id: str  # Entra object id
    name: str
    teams_id: str | None = None  # 29:... for opening a 1:1 chat


@dataclass(frozen=True, slots=True)
class SetupView:
    language: Language
    products: list[tuple[str, str]]  # (id, name)
    roster: list[RosterMember]
    errors: list[str]
    today: str  # ISO date for defaults


def setup_card(view: SetupView) -> Card:
    lang = view.language
    roster_choices = [{"title": m.name, "value": m.id} for m in view.roster]
    body: list[Element] = [title(t("setup.title", lang)), text(t("setup.cancel_hint", lang), subtle=True)]
    body += [text(error, color="Attention") for error in view.errors]
    body += [
        {"type": "Input.Text", "id": "customer", "label": t("setup.customer", lang), "maxLength": 120,
         "isRequired": True, "errorMessage": t("setup.customer.error", lang)},
        {"type": "Input.ChoiceSet", "id": "products", "label": t("setup.products", lang), "isMultiSelect": True,
         "style": "expanded", "isRequired": True, "errorMessage": t("setup.products.error", lang),
         "choices": [{"title": name, "value": pid} for pid, name in view.products]},
        {"type": "Input.Toggle", "id": "porting", "title": t("setup.porting", lang), "value": "false"},
        {"type": "Input.Toggle", "id": "circuit", "title": t("setup.circuit", lang), "value": "false"},
        {"type": "Input.ChoiceSet", "id": "hardware", "label": t("setup.hardware", lang), "value": "none",
         "choices": [{"title": t(f"setup.hw.{h}", lang), "value": h} for h in ("none", "rented", "bought")]},
        {"type": "Input.Date", "id": "kickoff", "label": t("setup.kickoff", lang), "value": view.today,
         "isRequired": True, "errorMessage": t("setup.kickoff.error", lang)},
        {"type": "Input.Date", "id": "port_date", "label": t("setup.port", lang)},
        {"type": "Input.Date", "id": "go_live", "label": t("setup.golive", lang)},
        {"type": "Input.ChoiceSet", "id": "timezone", "label": t("setup.timezone", lang), "value": TIMEZONES[0],
         "choices": [{"title": z, "value": z} for z in TIMEZONES]},
        {"type": "Input.ChoiceSet", "id": "language", "label": t("setup.language", lang), "value": lang,
         "choices": [{"title": "Español", "value": "es"}, {"title": "English", "value": "en"}]},
    ]
    for role in ROLE_CHOICES:
        if role is Role.PROVIDER_PM:
            continue  # the PM who creates the project is its PM
        body.append({"type": "Input.ChoiceSet", "id": f"role_{role.value}", "label": role.label.get(lang),
                     "isMultiSelect": True, "choices": roster_choices or [{"title": "—", "value": ""}]})
    actions = [{"type": "Action.Submit", "title": t("setup.submit", lang), "data": {"verb": SETUP_VERB}}]
    return card(body, actions, fallback_text=t("setup.title", lang))


def created_text(language: Language, customer: str, count: int) -> str:
    """The reply once the project exists: whom it is for and how many tasks it has."""
    return t("setup.created", language, customer=customer, n=count)


__all__ = ["SETUP_VERB", "RosterMember", "SetupView", "created_text", "setup_card", "t"]
