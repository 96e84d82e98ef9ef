"""The project set-up form a PM fills in a team channel: customer, products, options, dates,
time zone, language, and who holds each role (chosen from the team's roster)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.catalogue import t
from bot.domain.roles import Role
from bot.domain.text import Language, LocalizedText
from cards.base import Card, Element, card, text, title

TIMEZONES = (
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
    "America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico", "America/Mexico_City", "America/Bogota",
    "Europe/Madrid", "UTC",
)
SETUP_VERB = "create_project"
_ = LocalizedText
LABELS = {
    "title": _("Nuevo proyecto de activación", "New activation project"),
    "customer": _("Nombre del cliente", "Customer name"),
    "customer.error": _("Escriba el nombre del cliente.", "Enter the customer's name."),
    "products": _("Productos", "Products"),
    "products.error": _("Elija al menos un producto.", "Choose at least one product."),
    "porting": _("Portabilidad: se reutilizan números existentes", "Number porting: existing numbers are reused"),
    "circuit": _("El proveedor suministra el circuito", "The provider supplies the circuit"),
    "hardware": _("Hardware", "Hardware"),
    "hw.none": _("Ninguno", "None"),
    "hw.rented": _("Alquilado", "Rented"),
    "hw.bought": _("Comprado", "Bought"),
    "kickoff": _("Fecha de inicio", "Kickoff date"),
    "kickoff.error": _("Elija la fecha de inicio.", "Choose the kickoff date."),
    "port": _("Fecha de portabilidad solicitada", "Requested port date"),
    "golive": _("Puesta en marcha objetivo", "Target go-live"),
    "timezone": _("Zona horaria", "Time zone"),
    "language": _("Idioma del proyecto", "Project language"),
    "submit": _("Crear proyecto", "Create project"),
    "cancel_hint": _("Escriba **cancelar** para abandonar.", "Type **cancel** to stop."),
}
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


def _label(key: str, language: Language) -> str:
    return LABELS[key].get(language)


def setup_card(view: SetupView) -> Card:
    lang = view.language
    roster_choices = [{"title": m.name, "value": m.id} for m in view.roster]
    body: list[Element] = [title(_label("title", lang)), text(_label("cancel_hint", lang), subtle=True)]
    body += [text(error, color="Attention") for error in view.errors]
    body += [
        {"type": "Input.Text", "id": "customer", "label": _label("customer", lang), "maxLength": 120,
         "isRequired": True, "errorMessage": _label("customer.error", lang)},
        {"type": "Input.ChoiceSet", "id": "products", "label": _label("products", lang), "isMultiSelect": True,
         "style": "expanded", "isRequired": True, "errorMessage": _label("products.error", lang),
         "choices": [{"title": name, "value": pid} for pid, name in view.products]},
        {"type": "Input.Toggle", "id": "porting", "title": _label("porting", lang), "value": "false"},
        {"type": "Input.Toggle", "id": "circuit", "title": _label("circuit", lang), "value": "false"},
        {"type": "Input.ChoiceSet", "id": "hardware", "label": _label("hardware", lang), "value": "none",
         "choices": [{"title": _label(f"hw.{h}", lang), "value": h} for h in ("none", "rented", "bought")]},
        {"type": "Input.Date", "id": "kickoff", "label": _label("kickoff", lang), "value": view.today,
         "isRequired": True, "errorMessage": _label("kickoff.error", lang)},
        {"type": "Input.Date", "id": "port_date", "label": _label("port", lang)},
        {"type": "Input.Date", "id": "go_live", "label": _label("golive", lang)},
        {"type": "Input.ChoiceSet", "id": "timezone", "label": _label("timezone", lang), "value": TIMEZONES[0],
         "choices": [{"title": z, "value": z} for z in TIMEZONES]},
        {"type": "Input.ChoiceSet", "id": "language", "label": _label("language", lang), "value": lang,
         "choices": [{"title": "Español", "value": "es"}, {"title": "English", "value": "en"}]},
    ]
    for role in ROLE_CHOICES:
        if role is Role.PROVIDER_PM:
            continue  # the PM who creates the project is its PM
        body.append({"type": "Input.ChoiceSet", "id": f"role_{role.value}", "label": role.label.get(lang),
                     "isMultiSelect": True, "choices": roster_choices or [{"title": "—", "value": ""}]})
    actions = [{"type": "Action.Submit", "title": _label("submit", lang), "data": {"verb": SETUP_VERB}}]
    return card(body, actions, fallback_text=_label("title", lang))


def created_text(language: Language, customer: str, count: int) -> str:
    if language == "es":
        return f"Proyecto creado para {customer}: {count} tareas. Enviaré cada tarea a su responsable cuando esté lista."
    return f"Project created for {customer}: {count} tasks. I'll send each task to its owner when it is ready."


__all__ = ["SETUP_VERB", "RosterMember", "SetupView", "created_text", "setup_card", "t"]
