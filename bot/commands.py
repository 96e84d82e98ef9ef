"""The command table: every typed command, its words in Spanish and English, its help line, who
may use it and where. The parser, the help card (cards/help.py) and the Teams manifest's command
lists (deploy/appPackage/build_package.py) all read COMMANDS, so they cannot drift apart.

Adding a command takes two steps: a `CommandName` member plus one `CommandSpec` entry in
COMMANDS (words, `help_key` in bot/domain/catalogue.py, audience, places, argument kind, and
`once` if a redelivery must not repeat it), then a branch for it in ActivationBot._command
(bot/teams/handler.py). tests/teams/test_pm_tools.py checks that every command in help works
and every command that works is in help; run `python deploy/appPackage/build_package.py
--sync-commands` when `manifest` lists change.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

MAX_COMMAND_LENGTH = 500
MANIFEST_LIMIT = 10  # Teams shows at most 10 commands per command list


class CommandName(StrEnum):
    HELP = "help"
    STATUS = "status"
    STATUS_ALL = "status_all"
    MY_TASKS = "my_tasks"
    NEW_PROJECT = "new_project"
    FOC = "foc"
    PORT_DATE = "port_date"
    DIGEST = "digest"
    DIGEST_POST = "digest_post"
    EXPORT = "export"
    LANGUAGE = "language"
    CANCEL = "cancel"
    UNDO = "undo"
    HOLIDAYS = "holidays"
    REASSIGN = "reassign"
    MOVE_DUE = "move_due"
    NOT_APPLICABLE = "not_applicable"
    ADD_TASK = "add_task"
    REMOVE_TASK = "remove_task"
    STAFF = "staff"  # issue 15: the provider staff roster (bot admins)
    LINK = "link"  # issue 15: a guest identity linked to staff by a one-time code
    PORT_NUMBERS = "port_numbers"  # issue 17: number porting and the glossary
    PORT_ORDERS = "port_orders"
    GLOSSARY = "glossary"
    WHAT_IS = "what_is"
    UNKNOWN = "unknown"


class Audience(StrEnum):
    EVERYONE = "everyone"
    PM = "pm"  # a provider PM (configured staff, or the PM of the conversation's project)


class Place(StrEnum):
    ANYWHERE = "anywhere"
    PERSONAL = "personal"  # a 1:1 chat with the bot
    CHANNEL = "channel"  # a team channel (where projects live)


class Argument(StrEnum):
    NONE = "none"  # nothing may follow the words
    OPTIONAL_TEXT = "optional_text"  # "status Contoso"
    TEXT = "text"  # "reassign <task> to <person>"
    DATE = "date"  # "foc 2027-01-15 [confirm]"
    LANGUAGE = "language"  # "language es"


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: CommandName
    es: tuple[str, ...]  # folded words, first one shown in help and the manifest
    en: tuple[str, ...]
    help_key: str
    audience: Audience = Audience.EVERYONE
    place: Place = Place.ANYWHERE
    argument: Argument = Argument.NONE
    once: bool = False  # changes something: a redelivered activity must not do it twice
    manifest: tuple[str, ...] = ()  # the manifest lists it appears in: "personal", "team"

    def words(self, language: str) -> tuple[str, ...]:
        return self.es if language == "es" else self.en


_P, _T = "personal", "team"
COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(CommandName.HELP, ("ayuda",), ("help", "?"), "help.cmd.help", manifest=(_P, _T)),
    CommandSpec(CommandName.STATUS_ALL, ("estado todos", "cartera"), ("status all", "portfolio"), "help.cmd.statusall",
                place=Place.PERSONAL, manifest=(_P,)),
    CommandSpec(CommandName.STATUS, ("estado",), ("status",), "help.cmd.status", argument=Argument.OPTIONAL_TEXT,
                manifest=(_P, _T)),
    CommandSpec(CommandName.MY_TASKS, ("mis tareas", "tareas"), ("my tasks", "tasks"), "help.cmd.mytasks", manifest=(_P, _T)),
    CommandSpec(CommandName.LANGUAGE, ("idioma",), ("language",), "help.cmd.language", argument=Argument.LANGUAGE,
                manifest=(_P,)),
    CommandSpec(CommandName.CANCEL, ("cancelar", "salir"), ("cancel", "stop"), "help.cmd.cancel"),
    CommandSpec(CommandName.NEW_PROJECT, ("nuevo proyecto",), ("new project",), "help.cmd.new", audience=Audience.PM,
                place=Place.CHANNEL, once=True, manifest=(_T,)),
    CommandSpec(CommandName.FOC, ("fecha foc",), ("foc",), "help.cmd.foc", audience=Audience.PM, argument=Argument.DATE,
                once=True, manifest=(_P, _T)),
    CommandSpec(CommandName.PORT_DATE, ("portabilidad", "fecha de portabilidad"), ("port date",), "help.cmd.port",
                audience=Audience.PM, argument=Argument.DATE, once=True, manifest=(_P, _T)),
    CommandSpec(CommandName.DIGEST_POST, ("resumen publicar", "publicar resumen"), ("digest post", "post digest"),
                "help.cmd.digestpost", audience=Audience.PM, once=True, manifest=(_T,)),
    CommandSpec(CommandName.DIGEST, ("resumen",), ("digest",), "help.cmd.digest", audience=Audience.PM, manifest=(_P, _T)),
    CommandSpec(CommandName.EXPORT, ("exportar",), ("export",), "help.cmd.export", audience=Audience.PM, manifest=(_P, _T)),
    CommandSpec(CommandName.UNDO, ("deshacer",), ("undo",), "help.cmd.undo", audience=Audience.PM, once=True,
                manifest=(_P, _T)),
    CommandSpec(CommandName.HOLIDAYS, ("festivos",), ("holidays",), "help.cmd.holidays", audience=Audience.PM,
                argument=Argument.OPTIONAL_TEXT, once=True),
    CommandSpec(CommandName.REASSIGN, ("reasignar",), ("reassign",), "help.cmd.reassign", audience=Audience.PM,
                argument=Argument.TEXT, once=True),
    CommandSpec(CommandName.MOVE_DUE, ("mover vencimiento", "vencimiento"), ("move due", "due"), "help.cmd.movedue",
                audience=Audience.PM, argument=Argument.TEXT, once=True),
    CommandSpec(CommandName.NOT_APPLICABLE, ("no aplica",), ("not applicable", "n/a"), "help.cmd.na",
                audience=Audience.PM, argument=Argument.TEXT, once=True),
    CommandSpec(CommandName.ADD_TASK, ("anadir tarea", "agregar tarea"), ("add task",), "help.cmd.addtask",
                audience=Audience.PM, argument=Argument.TEXT, once=True),
    CommandSpec(CommandName.REMOVE_TASK, ("quitar tarea", "eliminar tarea"), ("remove task", "delete task"),
                "help.cmd.removetask", audience=Audience.PM, argument=Argument.TEXT, once=True),
    # issue 15: "staff [add pm|admin UPN | remove UPN]" (bot admins), "link [CODE]" (bot/teams/crossorg.py)
    CommandSpec(CommandName.STAFF, ("personal",), ("staff",), "help.cmd.staff", audience=Audience.PM,
                argument=Argument.OPTIONAL_TEXT, once=True),
    CommandSpec(CommandName.LINK, ("vincular",), ("link",), "help.cmd.link", audience=Audience.PM,
                argument=Argument.OPTIONAL_TEXT, once=True),
    # issue 17: number porting and the glossary
    CommandSpec(CommandName.PORT_NUMBERS, ("numeros a portar", "numeros de portabilidad"), ("port numbers", "numbers to port"),
                "help.cmd.port_numbers"),
    CommandSpec(CommandName.PORT_ORDERS, ("ordenes de portabilidad",), ("port orders",), "help.cmd.port_orders"),
    CommandSpec(CommandName.GLOSSARY, ("glosario",), ("glossary",), "help.cmd.glossary"),
    CommandSpec(CommandName.WHAT_IS, ("que es", "que significa"), ("what is", "what's", "define"), "help.cmd.what_is",
                argument=Argument.TEXT),
)
CROSSORG_COMMANDS: frozenset[str] = frozenset({CommandName.STAFF, CommandName.LINK})
PORTING_COMMANDS = frozenset({CommandName.PORT_NUMBERS, CommandName.PORT_ORDERS, CommandName.GLOSSARY, CommandName.WHAT_IS})
BY_NAME: dict[CommandName, CommandSpec] = {spec.name: spec for spec in COMMANDS}
ONCE: frozenset[str] = frozenset(spec.name for spec in COMMANDS if spec.once)


@dataclass(frozen=True, slots=True)
class Command:
    name: str  # a CommandName (a str enum, so comparing with "foc" works)
    argument: str = ""
    on_date: date | None = None
    confirmed: bool = False  # "foc 2026-11-01 confirm": the PM means a date in the past
    problem: str = ""  # foc / port date without a usable date: "missing", "format" or "not_a_date"
    suggestion: CommandName | None = None  # for an unknown command: the one it nearly was


def _fold(value: str) -> str:
    """Lower case, accents removed, spaces collapsed: 'Próximo  ESTADO' -> 'proximo estado'."""
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", stripped).strip().lower()


fold = _fold
# Every phrase, longest first, so "status all" wins over "status" and "digest post" over "digest".
_PHRASES: list[tuple[str, CommandSpec]] = sorted(
    ((phrase, spec) for spec in COMMANDS for phrase in (*spec.es, *spec.en)), key=lambda item: -len(item[0]))
_ISO_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})(?: (confirm|confirmar|yes|si))?$")
SUGGEST_CUTOFF = 0.75


def parse_command(text: str | None) -> Command:
    folded = _fold((text or "")[:MAX_COMMAND_LENGTH]).lstrip(chr(0xBF))  # "¿qué es LOA?" reads as "que es loa?"
    for phrase, spec in _PHRASES:
        if folded != phrase and not folded.startswith(phrase + " "):
            continue
        rest = folded[len(phrase):].strip()
        if spec.argument is Argument.NONE:
            if rest:
                continue
            return Command(spec.name)
        if spec.argument is Argument.LANGUAGE:
            if rest not in ("en", "es"):
                return Command(spec.name, argument=rest[:40], problem="missing" if not rest else "format")
            return Command(spec.name, argument=rest)
        if spec.argument is Argument.DATE:
            return _dated(spec.name, rest)
        if spec.argument is Argument.TEXT and not rest:
            return Command(spec.name, problem="missing")
        original = _original_rest(text or "", phrase)
        return Command(spec.name, argument=original[:MAX_COMMAND_LENGTH])
    return Command(CommandName.UNKNOWN, argument=folded[:80], suggestion=suggest(folded))


def _original_rest(text: str, phrase: str) -> str:
    """What followed the command's words, as typed (accents and case kept: names, reasons)."""
    words = len(phrase.split(" "))
    parts = text.strip().split(None, words)
    return parts[words].strip() if len(parts) > words else ""


def suggest(folded: str) -> CommandName | None:
    """The command a near miss ("statuss", "mis tarea") most likely meant, or None."""
    if not folded:
        return None
    candidates = [phrase for phrase, _ in _PHRASES if len(phrase) > 1]
    for words in (folded, " ".join(folded.split(" ")[:2]), folded.split(" ")[0]):
        found = difflib.get_close_matches(words, candidates, n=1, cutoff=SUGGEST_CUTOFF)
        if found:
            return next(spec.name for phrase, spec in _PHRASES if phrase == found[0])
    return None


def _dated(name: str, rest: str) -> Command:
    """foc / port date and what followed: a YYYY-MM-DD date, optionally "confirm"; else the problem."""
    if not rest:
        return Command(name, problem="missing")
    match = _ISO_DAY.match(rest)
    if not match:
        return Command(name, argument=rest[:40], problem="format")
    try:
        day = date.fromisoformat(match.group(1))
    except ValueError:  # 2026-02-30, 2026-13-01
        return Command(name, argument=match.group(1), problem="not_a_date")
    return Command(name, on_date=day, confirmed=match.group(2) is not None)


def available(spec: CommandSpec, *, is_pm: bool, personal: bool, in_channel: bool) -> bool:
    """Whether this person may use the command here (what help lists)."""
    if spec.audience is Audience.PM and not is_pm:
        return False
    if spec.place is Place.PERSONAL:
        return personal
    if spec.place is Place.CHANNEL:
        return in_channel
    return True
