"""Typed custom-task commands at the Teams edge: `add task <phase> | <título> | <title> | <person>
| YYYY-MM-DD or after <task>` and `remove task <task>` (Spanish: añadir / quitar tarea).

They read what was typed into the values PmTools.apply hands to bot/domain/custom_tasks.py;
anything they cannot read is answered with the usage line and nothing changes.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from botbuilder.core import TurnContext

from bot.commands import Command, CommandName, fold
from bot.domain.authorization import Actor
from bot.domain.catalogue import t
from bot.domain.playbook import PlaybookLibrary
from bot.domain.project import Project
from bot.domain.text import Language
from cards.base import plain

if TYPE_CHECKING:
    from bot.teams.pm_tools import PmTools

_AFTER = re.compile(r"^(?:after|tras|despues de|despues)\s+(.+)$", re.IGNORECASE | re.DOTALL)
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\s+(confirm|confirmar))?$", re.IGNORECASE)


def find_phases(project: Project, library: PlaybookLibrary, typed: str) -> list[tuple[str, str]]:
    """(playbook id, phase id) of the project's phases whose title or id matches; an exact one wins."""
    wanted = fold(typed)
    exact, partial = [], []
    for product in project.products:
        for phase in library[product].phases:
            if not project.options.includes(phase.condition):
                continue
            names = {fold(phase.title.es), fold(phase.title.en), phase.id}
            if wanted in names:
                exact.append((product, phase.id))
            elif wanted and any(wanted in name for name in names):
                partial.append((product, phase.id))
    return exact or partial


def phase_names(project: Project, library: PlaybookLibrary, language: Language) -> str:
    return ", ".join(f"“{phase.title.get(language)}”" for product in project.products
                     for phase in library[product].phases if project.options.includes(phase.condition))


async def typed(tools: PmTools, turn_context: TurnContext, actor: Actor, language: Language, project: Project,
                command: Command) -> None:
    from bot.teams.pm_tools import _iso_day, find_people  # the module that calls this one

    library = tools.bot.service.library
    if command.name == CommandName.REMOVE_TASK:
        if command.problem == "missing" or not command.argument.strip():
            await turn_context.send_activity(t("plan.usage.remove_task", language))
            return
        key = await tools._one_task(turn_context, project, language, command.argument)
        if key is not None:
            await tools._run(turn_context, actor, language, project, key, "remove", {})
        return
    usage = t("plan.usage.add_task", language)
    parts = [p.strip() for p in command.argument.split("|")]
    if command.problem == "missing" or len(parts) not in (4, 5):
        await turn_context.send_activity(usage)
        return
    phases = find_phases(project, library, parts[0])
    if len(phases) != 1:
        await turn_context.send_activity(t("plan.which_phase", language, name=plain(parts[0][:80]),
                                           phases=phase_names(project, library, language)))
        return
    ids, unknown = find_people(project, parts[3])
    if unknown is not None or not ids:
        await turn_context.send_activity(t("plan.which_person", language, name=plain((unknown or parts[3])[:80])))
        return
    due, confirmed, deps = None, False, []
    last = parts[4] if len(parts) == 5 else ""
    if last:
        dated, after = _DATE.match(last), _AFTER.match(fold(last))
        if dated:
            due, confirmed = _iso_day(dated.group(1)), dated.group(2) is not None
            if due is None:
                await turn_context.send_activity(usage)
                return
        elif after:
            for name in [n for n in re.split(r"\s*,\s*", after.group(1)) if n.strip()]:  # folded: find_tasks folds too
                key = await tools._one_task(turn_context, project, language, name)
                if key is None:
                    return
                deps.append(key)
        else:
            await turn_context.send_activity(usage)
            return
    playbook_id, phase_id = phases[0]
    await tools._run(turn_context, actor, language, project, None, "add", {
        "playbook": playbook_id, "phase": phase_id, "es": parts[1], "en": parts[2], "ids": ids, "due": due,
        "deps": deps, "confirmed": confirmed})
