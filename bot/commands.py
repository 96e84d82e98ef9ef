"""Typed commands, in Spanish or English, parsed from what a user wrote (mentions removed)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

MAX_COMMAND_LENGTH = 500


@dataclass(frozen=True, slots=True)
class Command:
    name: str  # help, status, status_all, my_tasks, new_project, foc, port_date, digest, digest_post, export, language, cancel, unknown
    argument: str = ""
    on_date: date | None = None
    confirmed: bool = False  # "foc 2026-11-01 confirm": the PM means a date in the past
    problem: str = ""  # foc / port date without a usable date: "missing", "format" or "not_a_date"


def _fold(value: str) -> str:
    """Lower case, accents removed, spaces collapsed: 'Próximo  ESTADO' -> 'proximo estado'."""
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", stripped).strip().lower()


_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("help", re.compile(r"^(help|ayuda|\?)$")),
    ("status_all", re.compile(r"^(status all|estado todos|portfolio|cartera)$")),
    ("status", re.compile(r"^(status|estado)$")),
    ("my_tasks", re.compile(r"^(my tasks|mis tareas|tasks|tareas)$")),
    ("new_project", re.compile(r"^(new project|nuevo proyecto)$")),
    ("digest_post", re.compile(r"^(digest post|resumen publicar|post digest|publicar resumen)$")),
    ("digest", re.compile(r"^(digest|resumen)$")),
    ("export", re.compile(r"^(export|exportar)$")),
    ("cancel", re.compile(r"^(cancel|cancelar|stop|salir)$")),
    ("language", re.compile(r"^(language|idioma) (en|es)$")),
    ("foc", re.compile(r"^(foc|fecha foc)(?: (.+))?$")),
    ("port_date", re.compile(r"^(port date|portabilidad|fecha de portabilidad)(?: (.+))?$")),
]
# -- issue 15 (cross-organisation): staff management and guest links; plain patterns, to port
# into the command table at merge. The argument is the rest of the line (role, UPN, code).
_PATTERNS += [
    ("staff_add", re.compile(r"^(?:staff add|personal agregar) (pm|admin) (\S+)$")),
    ("staff_remove", re.compile(r"^(?:staff remove|personal quitar) (\S+)$")),
    ("staff", re.compile(r"^(staff|personal)$")),
    ("link_redeem", re.compile(r"^(?:link|vincular) ([a-z0-9-]{4,40})$")),
    ("link", re.compile(r"^(link|vincular)$")),
]
CROSSORG_COMMANDS = frozenset({"staff", "staff_add", "staff_remove", "link", "link_redeem"})
# -- end of issue 15's block
_ISO_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})(?: (confirm|confirmar|yes|si))?$")


def parse_command(text: str | None) -> Command:
    folded = _fold((text or "")[:MAX_COMMAND_LENGTH])
    for name, pattern in _PATTERNS:
        match = pattern.match(folded)
        if not match:
            continue
        if name == "language":
            return Command(name, argument=match.group(2))
        if name in ("foc", "port_date"):
            return _dated(name, match.group(2) or "")
        if name in ("staff_add", "staff_remove", "link_redeem"):  # issue 15: "<role> <upn>", "<upn>", "<code>"
            return Command(name, argument=" ".join(match.groups()))
        return Command(name)
    return Command("unknown", argument=folded[:80])


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
