"""The PM's tools at the Teams edge: typed plan commands (reassign, due, not applicable, undo,
holidays), the task card's PM menu and questions, and the private answers a channel owes a
person (their tasks, refusals, errors: in their 1:1, with a short pointer in the channel).

Called from ActivationBot (bot/teams/handler.py); decisions live in bot/domain/plan.py,
questions.py and working_days.py.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.schema import Activity, ActivityTypes

from bot.commands import Command, CommandName, fold
from bot.domain import custom_tasks, plan, questions
from bot.domain.authorization import Action, Actor, decide, in_tenants
from bot.domain.catalogue import STRINGS, t
from bot.domain.playbook import PlaybookLibrary
from bot.domain.project import ConversationTarget, Project
from bot.domain.questions import MAX_QUESTION_LENGTH
from bot.domain.text import Language
from bot.domain.transitions import Change, Refused, _record, spec_of
from bot.domain.working_days import country_of, parse_holidays
from bot.teams import custom_task_commands
from cards.base import Card, card, plain, text
from cards.dates import format_date, porting_dates_card
from cards.plan import ANSWER_VERB, ASK_VERB, PLAN_VERBS, plan_view
from cards.question import question_card
from cards.task import task_card
from cards.views import task_view

if TYPE_CHECKING:
    from bot.teams.handler import ActivationBot

log = logging.getLogger(__name__)
DATES_VERB = "set_dates"
CARD_VERBS = (*PLAN_VERBS, ASK_VERB, ANSWER_VERB, DATES_VERB)
PRIVATE_KEY = "activation.private"  # set for a typed command in a shared conversation
PRIVATE_CARDS_KEY = "activation.private_cards"  # its cards go to the person too (my tasks)
PUBLIC_KEY = "activation.public"  # texts of this turn that stay in the shared conversation
PrivateSend = Callable[[str, str | None, ConversationTarget, Card | str], Awaitable[bool]]
_DUE = re.compile(r"^(.*?)\s+(\d{4}-\d{2}-\d{2})(?:\s+(confirm|confirmar))?\s*[:,-]?\s*(.*)$", re.IGNORECASE | re.DOTALL)
_TO = re.compile(r"^(.+)\s+(?:to|a|para)\s+(.+?)$", re.IGNORECASE | re.DOTALL)  # the last "to": titles hold "a"
_PEOPLE_SPLIT = re.compile(r"\s*(?:,|;|\band\b|\by\b)\s*", re.IGNORECASE)


def find_tasks(project: Project, library: PlaybookLibrary, query: str) -> list[str]:
    """Tasks whose id or title (either language) matches what was typed; an exact title wins."""
    wanted = fold(query)
    if not wanted:
        return []
    exact, partial = [], []
    for key in project.tasks:
        spec = spec_of(library, key, project)
        names = {fold(spec.title.es), fold(spec.title.en), fold(spec.id), fold(key)}
        if wanted in names:
            exact.append(key)
        elif any(wanted in name for name in names):
            partial.append(key)
    return exact or partial


def find_people(project: Project, typed: str) -> tuple[list[str], str | None]:
    """Roster people named in `typed` ("Tia, Sid"); the first name that matches nobody, if any."""
    found: list[str] = []
    roster = {p.id: p for people in project.people.values() for p in people}
    for name in [n for n in _PEOPLE_SPLIT.split(typed.strip()) if n]:
        wanted = fold(name)
        matches = [p.id for p in roster.values() if wanted in (fold(p.name), p.id) or fold(p.name).startswith(wanted)]
        if len(matches) != 1:
            return [], name
        found.append(matches[0])
    return found, None


class PmTools:
    def __init__(self, bot: ActivationBot, private_send: PrivateSend | None) -> None:
        self.bot = bot
        self.private_send = private_send

    # -- private answers ------------------------------------------------------------------
    def route_privately(self, turn_context: TurnContext, *, cards_too: bool = False) -> None:
        """From now on in this turn, text replies (and cards, with `cards_too`) go to the person's 1:1."""
        if turn_context.turn_state.get(PRIVATE_KEY) is None:
            turn_context.turn_state[PRIVATE_KEY] = True
            turn_context.on_send_activities(self._divert)
        if cards_too:
            turn_context.turn_state[PRIVATE_CARDS_KEY] = True

    @staticmethod
    async def say_publicly(turn_context: TurnContext, message: str) -> None:
        """A success the whole conversation may read (a date recorded, a plan change): not diverted."""
        turn_context.turn_state.setdefault(PUBLIC_KEY, set()).add(message)
        await turn_context.send_activity(message)

    async def _divert(self, turn_context: TurnContext, activities: list[Activity], next_send: Callable[[], Any]) -> Any:
        for activity in activities:
            private = activity.type == ActivityTypes.message and (
                not activity.attachments or turn_context.turn_state.get(PRIVATE_CARDS_KEY))
            if private and activity.text in turn_context.turn_state.get(PUBLIC_KEY, ()):
                private = False  # a success everyone there may read (say_publicly)
            if private:  # the shared conversation keeps the activity (its address) with a pointer instead
                pointer = await self._send_private(turn_context, activity)
                activity.text, activity.attachments = pointer, None
        return await next_send()

    async def _send_private(self, turn_context: TurnContext, activity: Activity) -> str:
        """Send it to the person's 1:1; the short line the shared conversation gets instead."""
        sender = turn_context.activity.from_property
        name = plain(str(getattr(sender, "name", "") or ""))
        actor = self.bot._actor(turn_context)
        language = self.bot._language(turn_context)
        content: Card | str = dict(activity.attachments[0].content) if activity.attachments else str(activity.text or "")
        sent = False
        if self.private_send is not None and actor.id:
            try:
                sent = await self.private_send(actor.id, getattr(sender, "id", None), self.bot._target(turn_context), content)
            except Exception as error:  # noqa: BLE001 - a failed private send still owes the channel a line
                log.warning("private answer not sent: %s", type(error).__name__)
        return t("private.pointer" if sent else "private.unreachable", language, name=name)

    # -- typed plan commands --------------------------------------------------------------
    async def command(self, turn_context: TurnContext, actor: Actor, language: Language, command: Command) -> None:
        if command.name == CommandName.HOLIDAYS:
            await self._holidays(turn_context, actor, language, command.argument)
            return
        project_id = await self.bot._pm_project(turn_context, actor, language)
        if project_id is None:
            return
        project = await self.bot.service.load(project_id)
        if project is None:
            await turn_context.send_activity(t("refused.unknown_project", language))
            return
        if not decide(actor, Action.ASSIGN_ROLES, project):
            await turn_context.send_activity(t("refused.not_pm", language))
            return
        if command.name == CommandName.UNDO:
            await self._run(turn_context, actor, language, project, None, "undo", {})
            return
        if command.name in (CommandName.ADD_TASK, CommandName.REMOVE_TASK):
            await custom_task_commands.typed(self, turn_context, actor, language, project, command)
            return
        usage = t({CommandName.REASSIGN: "plan.usage.reassign", CommandName.MOVE_DUE: "plan.usage.move_due"}.get(
            CommandName(command.name), "plan.usage.not_applicable"), language)
        if command.problem == "missing":
            await turn_context.send_activity(usage)
            return
        raw = command.argument
        if command.name == CommandName.REASSIGN:
            match = _TO.match(raw)
            if not match:
                await turn_context.send_activity(usage)
                return
            key = await self._one_task(turn_context, project, language, match.group(1))
            if key is None:
                return
            ids, unknown = find_people(project, match.group(2))
            if unknown is not None:
                await turn_context.send_activity(t("plan.which_person", language, name=plain(unknown[:80])))
                return
            await self._run(turn_context, actor, language, project, key, "reassign", {"ids": ids})
        elif command.name == CommandName.MOVE_DUE:
            match = _DUE.match(raw)
            day = _iso_day(match.group(2)) if match else None
            if match is None or day is None:
                await turn_context.send_activity(usage)
                return
            key = await self._one_task(turn_context, project, language, match.group(1))
            if key is None:
                return
            await self._run(turn_context, actor, language, project, key, "due",
                            {"due": day, "reason": match.group(4), "confirmed": match.group(3) is not None})
        else:  # not applicable <task>: <reason>
            task_text, _, reason = raw.partition(":")
            if not reason.strip():
                await turn_context.send_activity(usage)
                return
            key = await self._one_task(turn_context, project, language, task_text)
            if key is None:
                return
            await self._run(turn_context, actor, language, project, key, "na", {"reason": reason})

    async def _one_task(self, turn_context: TurnContext, project: Project, language: Language, typed: str) -> str | None:
        found = find_tasks(project, self.bot.service.library, typed)
        if len(found) == 1:
            return found[0]
        if not found:
            await turn_context.send_activity(t("plan.which_task", language, name=plain(typed.strip()[:80])))
        else:
            titles = ", ".join(f"“{spec_of(self.bot.service.library, k, project).title.get(language)}”" for k in found[:5])
            await turn_context.send_activity(t("plan.several_tasks", language, name=plain(typed.strip()[:80]), titles=titles))
        return None

    async def _run(self, turn_context: TurnContext, actor: Actor, language: Language, project: Project, key: str | None,
                   what: str, values: dict[str, Any]) -> None:
        message, saved = await self.apply(actor, language, project, key, what, values)
        await (self.say_publicly(turn_context, message) if saved else turn_context.send_activity(message))

    async def apply(self, actor: Actor, language: Language, project: Project, key: str | None, what: str,
                    values: dict[str, Any]) -> tuple[str, bool]:
        """Make one plan change; the message for the PM, and whether it was saved."""
        library = self.bot.service.library
        now = self.bot.clock()
        undone: list[str] = []
        added: list[str] = []
        if what in ("reassign", "add"):
            outside = await self.bot.service.outside_tenants(project, values["ids"])
            if outside is not None:
                return t("refused.not_on_roster", language), False

        def mutate(current: Project) -> Any:
            assert key is not None or what in ("undo", "add")
            if what == "reassign":
                return plan.reassign(current, library, actor=actor, key=key or "", person_ids=values["ids"], now=now)
            if what == "due":
                return plan.move_due(current, library, actor=actor, key=key or "", due=values["due"],
                                     reason=values.get("reason"), now=now, confirmed=bool(values.get("confirmed")))
            if what == "na":
                return plan.mark_not_applicable(current, library, actor=actor, key=key or "", reason=values.get("reason"),
                                                now=now)
            if what == "add":
                change, new_key = custom_tasks.add_custom_task(
                    current, library, actor=actor, playbook_id=values["playbook"], phase=values["phase"],
                    title_es=values["es"], title_en=values["en"], owner_ids=values["ids"], due=values.get("due"),
                    depends_on=values.get("deps") or [], now=now, confirmed=bool(values.get("confirmed")))
                added.append(new_key)
                return change
            if what == "remove":
                return custom_tasks.remove_custom_task(current, library, actor=actor, key=key or "", now=now)
            change, entry = plan.undo(current, library, actor=actor, now=now)
            undone.append(entry.key)
            return change

        try:
            saved = await self.bot.service.change_plan(actor, project.id, mutate)
        except Refused as refused:
            if what == "add" and refused.code == "date_past":
                return t("refused.custom_date_past", language, date=format_date(values["due"], language)), False
            return self.refusal(refused, language, key, values, project), False
        self.bot.deliver_soon(project.id)
        shown = key or (undone[0] if undone else "") or (added[0] if added else "")
        title = (custom_tasks.title_of(saved, library, shown, language) or custom_tasks.title_of(project, library, shown, language)
                 if shown else "")
        if what == "add":
            phase = library[values["playbook"]].phase(values["phase"]).title.get(language)
            return t("plan.done.custom_added", language, task=title, phase=phase), True
        if what == "remove":
            return t("plan.done.custom_removed", language, task=title), True
        if what == "reassign":
            names = ", ".join(plain(p.name) for p in plan.task_owners(saved, library, shown))
            return t("plan.done.reassigned", language, task=title, names=names), True
        if what == "due":
            return t("plan.done.due", language, task=title, date=format_date(values["due"], language)), True
        if what == "na":
            return t("plan.done.na", language, task=title), True
        return t("plan.done.undone", language, task=title), True

    def refusal(self, refused: Refused, language: Language, key: str | None, values: dict[str, Any],
                project: Project | None = None) -> str:
        if refused.code == "date_past":
            day = date.fromisoformat(refused.detail)
            title = spec_of(self.bot.service.library, key, project).title.get(language) if key and project else ""
            confirm = f"{t('date.cmd.move_due', language)} {title} {day.isoformat()} {t('date.confirm_word', language)} {values.get('reason') or ''}"
            return t("refused.due_past", language, date=format_date(day, language), confirm=confirm.strip())
        code = {"not_allowed": "not_pm", "tenant": "tenant"}.get(refused.code, refused.code)
        if f"refused.{code}" not in _known():
            code = "invalid"
        detail = refused.detail
        if refused.code == "due_before_dependency":
            detail = format_date(date.fromisoformat(refused.detail), language)
        return t(f"refused.{code}", language, detail=detail)

    async def _holidays(self, turn_context: TurnContext, actor: Actor, language: Language, typed: str) -> None:
        project_id = await self.bot._pm_project(turn_context, actor, language)
        if project_id is None:
            return
        project = await self.bot.service.load(project_id)
        if project is None or not decide(actor, Action.ASSIGN_ROLES, project):
            await turn_context.send_activity(t("refused.not_pm", language))
            return
        if not typed.strip():
            await turn_context.send_activity(_holiday_text(project, language))
            return
        parsed = parse_holidays(typed)
        if isinstance(parsed, str):
            await turn_context.send_activity(t("holidays.format", language, value=plain(parsed)))
            return

        def mutate(current: Project) -> Any:
            change = Change()
            current.pm_plan.holidays = parsed
            _record(current, change, actor, self.bot.clock(), "holidays_set", data={"days": [d.isoformat() for d in parsed]})
            return change

        await self.bot.service.change_plan(actor, project_id, mutate)
        await self.say_publicly(turn_context, t("holidays.set", language, n=len(parsed)) if parsed else t("holidays.none", language))

    # -- card actions: the PM menu, questions ---------------------------------------------
    async def date_picker(self, turn_context: TurnContext, actor: Actor, language: Language) -> None:
        """`foc` or `port date` alone: a card with both porting dates to pick (Input.Date)."""
        project_id = await self.bot._pm_project(turn_context, actor, language)
        if project_id is None:
            return
        project = await self.bot.service.load(project_id)
        if project is None or not decide(actor, Action.SET_FOC, project):
            await turn_context.send_activity(t("refused.not_pm", language))
            return
        if not project.options.porting:
            await turn_context.send_activity(t("refused.invalid", language, detail=t("date.no_porting", language)))
            return
        await turn_context.send_activity(MessageFactory.attachment(CardFactory.adaptive_card(self._dates_card(project, language))))

    def _dates_card(self, project: Project, language: Language, notice: str | None = None,
                    confirm: str | None = None) -> Card:
        data: dict[str, object] = {"p": project.id, **({"c": confirm} if confirm else {})}
        return porting_dates_card(language, data, foc=project.foc_date, port=project.requested_port_date,
                                  minimum=self.bot.clock().date() - timedelta(days=365), notice=notice)

    async def _dates_action(self, actor: Actor, language: Language, project: Project, data: dict[str, Any]) -> Card:
        """Save the picked dates: the FOC first (it wins over the port date); a date in the past is
        questioned (saved when Save is pressed again with it), a bad one answered; nothing else changes."""
        foc, port = _iso_day(data.get("foc")), _iso_day(data.get("port"))
        notices: list[str] = []
        for name, day, current in (("foc", foc, project.foc_date), ("port_date", port, project.requested_port_date)):
            if day is None or day == current or (name == "port_date" and (foc or project.foc_date)):
                continue
            confirmed = data.get("c") == f"{name}:{day.isoformat()}"
            try:
                if name == "foc":
                    project = await self.bot.service.set_foc(actor, project.id, day, confirmed=confirmed)
                    notices.append(t("foc.set", language, date=format_date(day, language)))
                else:
                    project = await self.bot.service.move_port_date(actor, project.id, day, confirmed=confirmed)
                    notices.append(t("port.moved", language, date=format_date(day, language)))
                self.bot.deliver_soon(project.id)
            except Refused as refused:
                if refused.code == "date_past":
                    notice = t("date.past_press_again", language, date=format_date(day, language))
                    return self._dates_card(project, language, notice, confirm=f"{name}:{day.isoformat()}")
                code = "not_pm" if refused.code == "not_allowed" else refused.code
                detail = format_date(date.fromisoformat(refused.detail), language) if refused.code in (
                    "date_implausible", "foc_wins") else refused.detail
                notices.append(t(f"refused.{code}", language, date=detail, detail=detail, iso=detail, confirm=""))
        return self._dates_card(project, language, " ".join(notices) or t("date.unchanged", language))

    async def card_action(self, turn_context: TurnContext, verb: str, data: dict[str, Any]) -> Card | None:
        if verb == DATES_VERB and isinstance(data.get("p"), str):
            found = await self.bot.service.load(str(data["p"]))
            actor = self.bot._actor(turn_context)
            if found is None or not in_tenants(actor, found):
                return None
            if not decide(actor, Action.SET_FOC, found):
                return self._dates_card(found, self.bot._language(turn_context), t("refused.not_pm", self.bot._language(turn_context)))
            return await self._dates_action(actor, self.bot._language(turn_context), found, data)
        project_id, key = data.get("p"), data.get("k")
        if not (isinstance(project_id, str) and isinstance(key, str)):
            return None
        project = await self.bot.service.load(project_id)
        language = self.bot._language(turn_context)
        actor = self.bot._actor(turn_context)
        if project is None or key not in project.tasks:
            return None
        if not in_tenants(actor, project):  # the project's tenants (issue 15)
            return None
        if verb == ANSWER_VERB:
            return await self._answer(turn_context, actor, language, project, key, data)
        confirm: list[str] = []
        if verb == ASK_VERB:
            notice = await self._ask(actor, language, project, key, data.get("question"))
        elif not decide(actor, Action.ASSIGN_ROLES, project):
            notice = t("refused.not_pm", language)  # refused as today: nothing changes
        else:
            notice = await self._menu(actor, language, project, key, verb, data, confirm)
        fresh = await self.bot.service.load(project_id) or project
        if key not in fresh.tasks:  # the PM removed this custom task: the card says so
            return card([text(notice)])
        view = task_view(fresh, self.bot.service.library, key, viewer=actor, language=language, now=self.bot.clock(),
                         notice=notice)
        drawn = task_card(view)
        if confirm:
            _mark_confirm(drawn, confirm[0])
        return drawn

    async def _menu(self, actor: Actor, language: Language, project: Project, key: str, verb: str,
                    data: dict[str, Any], confirm: list[str]) -> str:
        reason = data.get("plan_reason") if isinstance(data.get("plan_reason"), str) else None
        if verb == "plan_reassign":
            raw = data.get("owners")
            ids = [i for i in (raw.split(",") if isinstance(raw, str) else []) if i.strip()]
            message, _ = await self.apply(actor, language, project, key, "reassign", {"ids": ids})
        elif verb == "plan_due":
            day = _iso_day(data.get("due")) if isinstance(data.get("due"), str) else None
            if day is None:
                return t("refused.date_required", language)
            confirmed = data.get("c") == day.isoformat()  # pressed again after being asked about a past date
            message, saved = await self.apply(actor, language, project, key, "due",
                                              {"due": day, "reason": reason, "confirmed": confirmed})
            if not saved and day < self.bot.clock().date() and reason and reason.strip():
                confirm.append(day.isoformat())  # the card asks; pressing again with this date confirms
                message = t("date.past_press_again_due", language, date=format_date(day, language))
        elif verb == "plan_na":
            message, _ = await self.apply(actor, language, project, key, "na", {"reason": reason})
        elif verb == "plan_remove":
            message, _ = await self.apply(actor, language, project, key, "remove", {})
        elif verb == "plan_add":
            message = await self._add_from_card(actor, language, project, key, data, confirm)
        else:
            message, _ = await self.apply(actor, language, project, None, "undo", {})
        return message

    async def _add_from_card(self, actor: Actor, language: Language, project: Project, key: str, data: dict[str, Any],
                             confirm: list[str]) -> str:
        """The card's "Add a task to this phase": the card's phase, after the card's task if ticked."""
        raw_owners, raw_due = data.get("ct_owners"), data.get("ct_due")
        due = _iso_day(raw_due) if isinstance(raw_due, str) and raw_due.strip() else None
        if isinstance(raw_due, str) and raw_due.strip() and due is None:
            return t("refused.date_required", language)
        values = {"playbook": key.split(":", 1)[0], "phase": spec_of(self.bot.service.library, key, project).phase,
                  "es": str(data.get("ct_es") or ""), "en": str(data.get("ct_en") or ""),
                  "ids": [i for i in (raw_owners.split(",") if isinstance(raw_owners, str) else []) if i.strip()],
                  "due": due, "deps": [key] if str(data.get("ct_after")).lower() == "true" else [],
                  "confirmed": due is not None and data.get("c") == due.isoformat()}
        message, saved = await self.apply(actor, language, project, None, "add", values)
        if not saved and due is not None and due < self.bot.clock().date() and not values["confirmed"]:
            confirm.append(f"plan_add:{due.isoformat()}")  # pressing Add task again with this date confirms it
        return message

    async def _ask(self, actor: Actor, language: Language, project: Project, key: str, raw: object) -> str:
        library = self.bot.service.library
        cut: list[bool] = []

        def mutate(current: Project) -> Any:
            change, _, was_cut = questions.ask(current, library, actor=actor, key=key,
                                               text=raw if isinstance(raw, str) else None, now=self.bot.clock())
            cut.append(was_cut)
            return change

        try:
            await self.bot.service.change_plan(actor, project.id, mutate)
        except Refused as refused:
            return self.refusal(refused, language, key, {})
        self.bot.deliver_soon(project.id)
        message = t("question.sent", language)
        return f"{message} {t('question.capped', language, n=MAX_QUESTION_LENGTH)}" if cut and cut[-1] else message

    async def _answer(self, turn_context: TurnContext, actor: Actor, language: Language, project: Project, key: str,
                      data: dict[str, Any]) -> Card | None:
        question_id = data.get("q")
        if not isinstance(question_id, str):
            return None
        library = self.bot.service.library
        cut: list[bool] = []
        raw = data.get("answer")

        def mutate(current: Project) -> Any:
            change, _, was_cut = questions.answer(current, library, actor=actor, question_id=question_id,
                                                  text=raw if isinstance(raw, str) else None, now=self.bot.clock())
            cut.append(was_cut)
            return change

        notice: str
        try:
            saved = await self.bot.service.change_plan(actor, project.id, mutate)
            self.bot.deliver_soon(project.id)
            notice = t("question.answered", language)
            if cut and cut[-1]:
                notice += " " + t("question.capped", language, n=MAX_QUESTION_LENGTH)
        except Refused as refused:
            saved = project
            notice = self.refusal(refused, language, key, {})
        view = plan_view(saved, library, key, viewer=actor, language=language, due_iso="",
                         data={"p": saved.id, "k": key, "r": saved.tasks[key].rev})
        can_answer = saved.is_pm(actor.id) or any(p.id == actor.id for p in plan.task_owners(saved, library, key))
        return question_card(view, saved.customer_name, spec_of(library, key, saved).title.get(language), question_id,
                             can_answer=can_answer, notice=notice)


def _iso_day(value: object) -> date | None:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _known() -> set[str]:
    return set(STRINGS)


def _holiday_text(project: Project, language: Language) -> str:
    custom = project.pm_plan.holidays
    if custom is None:
        return t("holidays.country", language, country=country_of(project.timezone) or "—")
    if not custom:
        return t("holidays.none", language)
    return t("holidays.show", language, days=", ".join(d.isoformat() for d in custom))


def _mark_confirm(drawn: Card, iso: str) -> None:
    """Make the card's "Move due date" (or "Add task", for "plan_add:<date>") carry the questioned
    date, so pressing it again confirms it."""
    verb, _, iso = iso.rpartition(":") if iso.startswith("plan_") else ("plan_due", "", iso)
    stack: list[Any] = [drawn]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            target = node.get("data")
            if isinstance(target, dict) and verb in (node.get("verb"), target.get("verb")):
                node["data"] = {**target, "c": iso}  # a copy: the card's actions share one data dict
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
