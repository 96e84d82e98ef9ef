"""Multi-turn project set-up (botbuilder-dialogs): show the form, validate what comes back,
ask again with the problems named, create the project. "cancel"/"cancelar" ends it anywhere."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from botbuilder.core import CardFactory, MessageFactory
from botbuilder.dialogs import ComponentDialog, Dialog, DialogTurnResult, WaterfallDialog, WaterfallStepContext

from bot.domain.catalogue import t
from bot.domain.project import Person, ProjectOptions
from bot.domain.roles import Role
from bot.domain.text import Language, parse_language
from bot.service import NewProjectRequest
from cards.setup import SETUP_VERB, RosterMember, SetupView, setup_card

MAX_NAME = 120


def parse_setup(value: dict[str, Any], roster: dict[str, RosterMember], known_products: tuple[str, ...],
                language: Language, today: date | None = None) -> tuple[NewProjectRequest | None, list[str]]:
    """Validate the form's values; returns the request or the list of problems (in the user's language).
    With `today`, a target go-live before it is a problem too (the project would start late)."""
    errors: list[str] = []

    def text_of(key: str) -> str:
        raw = value.get(key, "")
        return raw.strip() if isinstance(raw, str) else ""

    def day(key: str, required: bool = False) -> date | None:
        raw = text_of(key)
        field = t(f"setup.field.{key}", language)
        if not raw:
            if required:
                errors.append(t("setup.problem.missing", language, field=field))
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            errors.append(t("setup.problem.bad_date", language, field=field))
            return None

    customer = text_of("customer")[:MAX_NAME]
    if not customer:
        errors.append(t("setup.problem.customer", language))
    products = tuple(p for p in text_of("products").split(",") if p)
    if not products or any(p not in known_products for p in products):
        errors.append(t("setup.problem.products", language))
    porting = text_of("porting") == "true"
    hardware = text_of("hardware") or "none"
    if hardware not in ("none", "rented", "bought"):
        errors.append(t("setup.problem.hardware", language))
        hardware = "none"
    kickoff = day("kickoff", required=True)
    port = day("port_date", required=porting)
    go_live = day("go_live")
    if port is not None and kickoff is not None and port < kickoff:
        errors.append(t("setup.port_before_kickoff", language))
    if go_live is not None and today is not None and go_live < today:
        errors.append(t("setup.go_live_past", language))
    timezone = text_of("timezone") or "America/New_York"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(t("setup.problem.timezone", language))
    project_language = parse_language(text_of("language"))
    people: dict[Role, list[Person]] = {}
    for role in Role:
        chosen = [i for i in text_of(f"role_{role.value}").split(",") if i]
        unknown = [i for i in chosen if i not in roster]
        if unknown:
            errors.append(t("setup.problem.person", language))
        people[role] = [Person(roster[i].id, roster[i].name, roster[i].teams_id) for i in chosen if i in roster]
    if errors or kickoff is None:
        return None, errors
    request = NewProjectRequest(
        customer_name=customer,
        products=products,
        options=ProjectOptions(porting=porting, provider_circuit=text_of("circuit") == "true", hardware=hardware),  # type: ignore[arg-type]
        kickoff=kickoff,
        timezone=timezone,
        language=project_language,
        requested_port_date=port,
        target_go_live=go_live,
        people={r: p for r, p in people.items() if p},
    )
    return request, []


class ProjectSetupDialog(ComponentDialog):
    """Waterfall: (1) send the form; (2) wait for its submission, validate, create or ask again."""

    def __init__(
        self,
        products: Callable[[Language], list[tuple[str, str]]],
        roster: Callable[[Any], Awaitable[list[RosterMember]]],
        create: Callable[[Any, NewProjectRequest], Awaitable[str]],
        today: Callable[[], date],
    ) -> None:
        super().__init__(ProjectSetupDialog.__name__)
        self._products = products
        self._roster = roster
        self._create = create
        self._today = today
        self.add_dialog(WaterfallDialog("setup", [self._show_form, self._receive_form]))
        self.initial_dialog_id = "setup"

    def _language(self, step: WaterfallStepContext) -> Language:
        return parse_language(step.context.activity.locale)

    async def _show_form(self, step: WaterfallStepContext) -> DialogTurnResult:
        language = self._language(step)
        members = await self._roster(step.context)
        step.values["roster"] = {m.id: {"id": m.id, "name": m.name, "teamsId": m.teams_id} for m in members}
        await self._send_form(step, language, members, [])
        return Dialog.end_of_turn

    async def _send_form(self, step: WaterfallStepContext, language: Language, members: list[RosterMember],
                         errors: list[str]) -> None:
        view = SetupView(language=language, products=self._products(language), roster=members, errors=errors,
                         today=self._today().isoformat())
        await step.context.send_activity(MessageFactory.attachment(CardFactory.adaptive_card(setup_card(view))))

    async def _receive_form(self, step: WaterfallStepContext) -> DialogTurnResult:
        language = self._language(step)
        value = step.context.activity.value
        roster = {k: RosterMember(v["id"], v["name"], v.get("teamsId")) for k, v in step.values.get("roster", {}).items()}
        if not isinstance(value, dict) or value.get("verb") != SETUP_VERB:
            await step.context.send_activity(t("setup.fill_in", language))
            return _ask_again(step)
        request, errors = parse_setup(value, roster, tuple(p for p, _ in self._products(language)), language, self._today())
        if request is None:
            await self._send_form(step, language, list(roster.values()), errors)
            return _ask_again(step)
        message = await self._create(step.context, request)
        await step.context.send_activity(message)
        return await step.end_dialog()


def _ask_again(step: WaterfallStepContext) -> DialogTurnResult:
    """Stay on the receiving step: the waterfall resumes at stepIndex + 1 on the next turn."""
    step.active_dialog.state["stepIndex"] = step.index - 1
    return Dialog.end_of_turn
