"""Playbooks: a product's activation process, loaded from the TOML files in bot/playbooks.

The format is described in bot/playbooks/SCHEMA.md. Loading validates everything a PM
could get wrong when editing a file, and names the file, the task and the problem.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from bot.domain.documents import DocumentKind, DocumentSpec
from bot.domain.roles import Party, Role
from bot.domain.text import LocalizedText

PLAYBOOK_DIR = Path(__file__).resolve().parent.parent / "playbooks"
_PHASE_ID = re.compile(r"^[a-z0-9_]+$")
_TASK_ID = re.compile(r"^[a-z0-9_.]+$")
SHORT_TITLE_MAX = 60  # characters: one line of a phone-width card


class PlaybookError(ValueError):
    """A playbook file is wrong; the message names file, task and problem."""


class Condition(StrEnum):
    PORTING = "porting"
    PROVIDER_CIRCUIT = "provider_circuit"
    HARDWARE = "hardware"


class Milestone(StrEnum):
    NRC_PAID = "nrc_paid"
    PM_ASSIGNED = "pm_assigned"
    DEPLOYMENT = "deployment"
    FOC_CONFIRMED = "foc_confirmed"
    PORT_COMPLETE = "port_complete"
    GO_LIVE = "go_live"
    PROJECT_COMPLETE = "project_complete"


class Gate(StrEnum):
    """What, besides its dependencies, releases a task (`released_by`)."""

    PORT_VERIFIED = "port_verified"  # every port order of the project verified (test calls done)


class DateRuleKind(StrEnum):
    BEFORE_PORT_DATE = "before_port_date"
    AFTER_FOC_RECEIVED = "after_foc_received"
    BY_PORT_DATE = "by_port_date"


@dataclass(frozen=True, slots=True)
class DateRule:
    kind: DateRuleKind
    days: int = 0
    hours: int = 0


@dataclass(frozen=True, slots=True)
class PhaseSpec:
    id: str
    title: LocalizedText
    duration: LocalizedText | None = None
    condition: Condition | None = None
    guidance: tuple[LocalizedText, ...] = ()


@dataclass(frozen=True, slots=True)
class TaskSpec:
    id: str
    phase: str
    party: str
    title: LocalizedText
    description: LocalizedText
    owners: tuple[Role, ...]
    confirmers: tuple[Role, ...]
    depends_on: tuple[str, ...] = ()
    duration_days: int = 1
    effort: LocalizedText | None = None
    links: tuple[str, ...] = ()
    guidance: tuple[LocalizedText, ...] = ()
    date_rule: DateRule | None = None
    milestone: Milestone | None = None
    documents: tuple[DocumentSpec, ...] = ()  # what the task's people upload (bot/domain/documents.py)
    released_by: Gate | None = None
    short_title: LocalizedText | None = None

    @property
    def parties(self) -> frozenset[Party]:
        return frozenset(role.party for role in self.owners)

    @property
    def label(self) -> LocalizedText:
        """What cards, lists and reminders call the task: its short title, else its title."""
        return self.short_title or self.title


@dataclass(frozen=True, slots=True)
class Playbook:
    id: str
    name: LocalizedText
    phases: tuple[PhaseSpec, ...]
    tasks: tuple[TaskSpec, ...]
    source_file: str = ""
    _tasks_by_id: dict[str, TaskSpec] = field(default_factory=dict, compare=False, repr=False)

    def task(self, task_id: str) -> TaskSpec:
        if not self._tasks_by_id:
            self._tasks_by_id.update({t.id: t for t in self.tasks})
        return self._tasks_by_id[task_id]

    def phase(self, phase_id: str) -> PhaseSpec:
        for phase in self.phases:
            if phase.id == phase_id:
                return phase
        raise KeyError(phase_id)


class _Reader:
    """Reads one file's raw TOML into specs, collecting the location for error messages."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> PlaybookError:
        return PlaybookError(f"{self.source}: {where}: {problem}")

    def text(self, raw: Any, where: str, name: str, required: bool = True) -> LocalizedText | None:
        if raw is None:
            if required:
                raise self.fail(where, f"'{name}' is missing")
            return None
        if not isinstance(raw, Mapping):
            raise self.fail(where, f"'{name}' must be a table with 'es' and 'en'")
        values = {}
        for lang in ("es", "en"):
            value = raw.get(lang)
            if not isinstance(value, str) or not value.strip():
                raise self.fail(where, f"'{name}' has no {lang} text")
            values[lang] = value.strip()
        unknown = set(raw) - {"es", "en"}
        if unknown:
            raise self.fail(where, f"'{name}' has unknown languages {sorted(unknown)}")
        return LocalizedText(es=values["es"], en=values["en"])

    def texts(self, raw: Any, where: str, name: str) -> tuple[LocalizedText, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            raise self.fail(where, f"'{name}' must be a list of texts")
        result = []
        for index, item in enumerate(raw):
            text = self.text(item, where, f"{name}[{index}]")
            assert text is not None
            result.append(text)
        return tuple(result)

    def roles(self, raw: Any, where: str, name: str) -> tuple[Role, ...]:
        if not isinstance(raw, list) or not raw:
            raise self.fail(where, f"'{name}' must be a non-empty list of roles")
        roles = []
        for value in raw:
            try:
                roles.append(Role(value))
            except ValueError:
                known = ", ".join(r.value for r in Role)
                raise self.fail(where, f"unknown role {value!r} in '{name}' (known: {known})") from None
        return tuple(roles)

    def phase(self, raw: Mapping[str, Any], index: int) -> PhaseSpec:
        phase_id = raw.get("id")
        where = f"phase {phase_id!r}" if phase_id else f"phase #{index + 1}"
        if not isinstance(phase_id, str) or not _PHASE_ID.match(phase_id):
            raise self.fail(where, "'id' must match [a-z0-9_]+")
        condition = raw.get("condition")
        if condition is not None:
            try:
                condition = Condition(condition)
            except ValueError:
                raise self.fail(where, f"unknown condition {condition!r}") from None
        title = self.text(raw.get("title"), where, "title")
        assert title is not None
        return PhaseSpec(
            id=phase_id,
            title=title,
            duration=self.text(raw.get("duration"), where, "duration", required=False),
            condition=condition,
            guidance=self.texts(raw.get("guidance"), where, "guidance"),
        )

    def task(self, raw: Mapping[str, Any], index: int) -> TaskSpec:
        task_id = raw.get("id")
        where = f"task {task_id!r}" if task_id else f"task #{index + 1}"
        if not isinstance(task_id, str) or not _TASK_ID.match(task_id):
            raise self.fail(where, "'id' must match [a-z0-9_.]+")
        known_keys = {
            "id", "phase", "party", "title", "description", "owners", "confirmers", "depends_on",
            "duration_days", "effort", "links", "guidance", "date_rule", "milestone",
            "documents",
            "released_by",
            "short_title",
        }
        unknown = sorted(set(raw) - known_keys)
        if unknown:
            raise self.fail(where, f"unknown keys {unknown}")
        party = raw.get("party")
        if party not in ("customer", "provider", "shared"):
            raise self.fail(where, "'party' must be customer, provider or shared")
        owners = self.roles(raw.get("owners"), where, "owners")
        confirmers = self.roles(raw["confirmers"], where, "confirmers") if "confirmers" in raw else owners
        depends_on = raw.get("depends_on", [])
        if not isinstance(depends_on, list) or not all(isinstance(d, str) for d in depends_on):
            raise self.fail(where, "'depends_on' must be a list of task ids")
        duration = raw.get("duration_days", 1)
        if not isinstance(duration, int) or isinstance(duration, bool) or duration < 0:
            raise self.fail(where, "'duration_days' must be a whole number of days, 0 or more")
        links = raw.get("links", [])
        if not isinstance(links, list) or not all(isinstance(u, str) and u.startswith("https://") for u in links):
            raise self.fail(where, "'links' must be a list of https:// addresses")
        milestone = raw.get("milestone")
        if milestone is not None:
            try:
                milestone = Milestone(milestone)
            except ValueError:
                raise self.fail(where, f"unknown milestone {milestone!r}") from None
        released_by = raw.get("released_by")
        if released_by is not None:
            try:
                released_by = Gate(released_by)
            except ValueError:
                raise self.fail(where, f"unknown released_by {released_by!r}") from None
        title = self.text(raw.get("title"), where, "title")
        description = self.text(raw.get("description"), where, "description")
        assert title is not None and description is not None
        short_title = self.text(raw.get("short_title"), where, "short_title", required=False)
        if short_title is not None:
            for lang, value in (("es", short_title.es), ("en", short_title.en)):
                if len(value) > SHORT_TITLE_MAX:
                    raise self.fail(where, f"'short_title' {lang} is longer than {SHORT_TITLE_MAX} characters")
        return TaskSpec(
            id=task_id,
            phase=str(raw.get("phase", "")),
            party=party,
            title=title,
            description=description,
            owners=owners,
            confirmers=confirmers,
            depends_on=tuple(depends_on),
            duration_days=duration,
            effort=self.text(raw.get("effort"), where, "effort", required=False),
            links=tuple(links),
            guidance=self.texts(raw.get("guidance"), where, "guidance"),
            date_rule=self.date_rule(raw.get("date_rule"), where),
            milestone=milestone,
            documents=self.documents(raw.get("documents"), where),
            released_by=released_by,
            short_title=short_title,
        )

    def documents(self, raw: Any, where: str) -> tuple[DocumentSpec, ...]:
        """[[task.documents]]: id, title {es, en}, kinds (a non-empty list of known kinds), required."""
        if raw is None:
            return ()
        if not isinstance(raw, list) or not all(isinstance(d, Mapping) for d in raw):
            raise self.fail(where, "'documents' must be a list of tables")
        specs: list[DocumentSpec] = []
        for index, doc in enumerate(raw):
            doc_id = doc.get("id")
            here = f"{where}: document {doc_id!r}" if doc_id else f"{where}: document #{index + 1}"
            if not isinstance(doc_id, str) or not _PHASE_ID.match(doc_id):
                raise self.fail(here, "'id' must match [a-z0-9_]+")
            if any(s.id == doc_id for s in specs):
                raise self.fail(here, "duplicate document id")
            unknown = sorted(set(doc) - {"id", "title", "kinds", "required"})
            if unknown:
                raise self.fail(here, f"unknown keys {unknown}")
            kinds = doc.get("kinds")
            if not isinstance(kinds, list) or not kinds:
                raise self.fail(here, "'kinds' must be a non-empty list of document kinds")
            try:
                parsed = tuple(DocumentKind(k) for k in kinds)
            except ValueError:
                known = ", ".join(k.value for k in DocumentKind)
                raise self.fail(here, f"unknown kind in 'kinds' (known: {known})") from None
            required = doc.get("required", True)
            if not isinstance(required, bool):
                raise self.fail(here, "'required' must be true or false")
            title = self.text(doc.get("title"), here, "title")
            assert title is not None
            specs.append(DocumentSpec(id=doc_id, title=title, kinds=parsed, required=required))
        return tuple(specs)

    def date_rule(self, raw: Any, where: str) -> DateRule | None:
        if raw is None:
            return None
        if not isinstance(raw, Mapping):
            raise self.fail(where, "'date_rule' must be a table")
        try:
            kind = DateRuleKind(str(raw.get("kind")))
        except ValueError:
            raise self.fail(where, f"unknown date rule {raw.get('kind')!r}") from None
        days, hours = raw.get("days", 0), raw.get("hours", 0)
        if not isinstance(days, int) or not isinstance(hours, int) or days < 0 or hours < 0:
            raise self.fail(where, "date rule 'days' and 'hours' must be whole numbers, 0 or more")
        if kind is DateRuleKind.BEFORE_PORT_DATE and days == 0:
            raise self.fail(where, "before_port_date needs 'days'")
        if kind is DateRuleKind.AFTER_FOC_RECEIVED and hours == 0:
            raise self.fail(where, "after_foc_received needs 'hours'")
        return DateRule(kind=kind, days=days, hours=hours)


def parse_playbook(data: Mapping[str, Any], source: str) -> Playbook:
    """Build and validate a playbook from parsed TOML."""
    reader = _Reader(source)
    if data.get("schema") != 1:
        raise reader.fail("file", "'schema = 1' is missing or unsupported")
    playbook_id = data.get("id")
    if not isinstance(playbook_id, str) or not _PHASE_ID.match(playbook_id):
        raise reader.fail("file", "'id' must match [a-z0-9_]+")
    name = reader.text(data.get("name"), "file", "name")
    assert name is not None
    raw_phases, raw_tasks = data.get("phase"), data.get("task")
    if not isinstance(raw_phases, list) or not raw_phases:
        raise reader.fail("file", "no [[phase]] tables")
    if not isinstance(raw_tasks, list) or not raw_tasks:
        raise reader.fail("file", "no [[task]] tables")
    phases = tuple(reader.phase(raw, i) for i, raw in enumerate(raw_phases))
    tasks = tuple(reader.task(raw, i) for i, raw in enumerate(raw_tasks))
    _validate(reader, phases, tasks)
    return Playbook(id=playbook_id, name=name, phases=phases, tasks=tasks, source_file=source)


def _validate(reader: _Reader, phases: tuple[PhaseSpec, ...], tasks: tuple[TaskSpec, ...]) -> None:
    phase_ids: set[str] = set()
    for phase in phases:
        if phase.id in phase_ids:
            raise reader.fail(f"phase {phase.id!r}", "duplicate phase id")
        phase_ids.add(phase.id)
    task_ids: set[str] = set()
    for task in tasks:
        if task.id in task_ids:
            raise reader.fail(f"task {task.id!r}", "duplicate task id")
        task_ids.add(task.id)
    by_id = {t.id: t for t in tasks}
    for task in tasks:
        where = f"task {task.id!r}"
        if task.phase not in phase_ids:
            raise reader.fail(where, f"unknown phase {task.phase!r}")
        for dep in task.depends_on:
            if dep not in by_id:
                raise reader.fail(where, f"depends on unknown task {dep!r}")
            if dep == task.id:
                raise reader.fail(where, "depends on itself")
    cycle = _find_cycle(by_id)
    if cycle:
        raise reader.fail(f"task {cycle[0]!r}", "dependency cycle: " + " -> ".join(cycle))
    for phase_id in phase_ids:
        if not any(t.phase == phase_id for t in tasks):
            raise reader.fail(f"phase {phase_id!r}", "has no tasks")
    nrc = [t.id for t in tasks if t.milestone is Milestone.NRC_PAID]
    for task in tasks:
        if task.milestone is Milestone.PM_ASSIGNED and nrc:
            if not set(nrc) & transitive_dependencies(by_id, task.id):
                raise reader.fail(
                    f"task {task.id!r}", "a PM is assigned only after the NRC is paid: it must depend on " + nrc[0]
                )


def transitive_dependencies(tasks: Mapping[str, TaskSpec], task_id: str) -> set[str]:
    seen: set[str] = set()
    stack = list(tasks[task_id].depends_on)
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack.extend(tasks[current].depends_on)
    return seen


def _find_cycle(tasks: Mapping[str, TaskSpec]) -> list[str] | None:
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(tasks, white)
    path: list[str] = []

    def visit(task_id: str) -> list[str] | None:
        colour[task_id] = grey
        path.append(task_id)
        for dep in tasks[task_id].depends_on:
            if colour[dep] == grey:
                return [*path[path.index(dep):], dep]
            if colour[dep] == white:
                found = visit(dep)
                if found:
                    return found
        path.pop()
        colour[task_id] = black
        return None

    for task_id in tasks:
        if colour[task_id] == white:
            found = visit(task_id)
            if found:
                return found
    return None


def load_playbook(path: Path) -> Playbook:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise PlaybookError(f"{path.name}: not valid TOML: {error}") from None
    except OSError as error:
        raise PlaybookError(f"{path.name}: cannot be read: {error.strerror}") from None
    return parse_playbook(data, path.name)


@dataclass(frozen=True, slots=True)
class PlaybookLibrary:
    """All playbooks the bot knows, by id."""

    playbooks: Mapping[str, Playbook]
    # Derived, read-only facts about sets of tasks (bot.domain.schedule's dependency order),
    # kept per library because the playbooks never change once loaded.
    derived: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def __getitem__(self, playbook_id: str) -> Playbook:
        return self.playbooks[playbook_id]

    def __contains__(self, playbook_id: object) -> bool:
        return playbook_id in self.playbooks

    def ids(self) -> tuple[str, ...]:
        return tuple(self.playbooks)


def load_playbooks(directory: Path = PLAYBOOK_DIR, files: Iterable[Path] | None = None) -> PlaybookLibrary:
    paths = sorted(files) if files is not None else sorted(directory.glob("*.toml"))
    if not paths:
        raise PlaybookError(f"{directory}: no playbook files (*.toml)")
    playbooks: dict[str, Playbook] = {}
    for path in paths:
        playbook = load_playbook(path)
        if playbook.id in playbooks:
            raise PlaybookError(f"{path.name}: playbook id {playbook.id!r} already used by {playbooks[playbook.id].source_file}")
        playbooks[playbook.id] = playbook
    return PlaybookLibrary(playbooks)
