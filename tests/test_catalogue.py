"""The catalogue (bot/domain/catalogue.py) holds every text the bot shows people: every key the
product code uses exists in Spanish and English with the same placeholders, every refusal code
the code can produce has its `refused.<code>` text, counts read "1 day" and "2 days", and
languages are read in one place (`parse_language`).

Keys and refusal codes are found statically, by reading the source of bot/, cards/ and dialogs/,
so a new `t("key")` or `Refused("code")` without its texts fails here, not in front of a customer."""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import get_args

import pytest

from bot.documents.checks import Problem
from bot.domain.catalogue import STRINGS, t, text
from bot.domain.digest import Reason
from bot.domain.documents import ReviewState
from bot.domain.project import HardwareOption, TaskState
from bot.domain.roles import Role
from bot.domain.schedule import Health
from bot.domain.text import LocalizedText, Plural, parse_language
from bot.graph.licensing import SECTIONS, UncheckedReason
from bot.storage.staff import LinkRefusal, StaffRole
from cards.reminder import ReminderLine, reminder_card
from cards.setup import created_text

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = sorted(p for folder in ("bot", "cards", "dialogs") for p in (ROOT / folder).rglob("*.py"))
CATALOGUE = ROOT / "bot" / "domain" / "catalogue.py"
KEY_SHAPE = re.compile(r"^[a-z_]+(\.[a-z0-9_]+)+$")


@dataclass(frozen=True)
class Use:
    """One call of the catalogue's `t` or `text`: where, which key (or f-string template), which keywords."""

    where: str
    key: str
    dynamic: bool  # an f-string: `key` is its template with "{}" for each value
    keywords: frozenset[str] | None  # None when the call passes **values


def _forms(entry: LocalizedText | Plural) -> tuple[LocalizedText, ...]:
    return entry.forms if isinstance(entry, Plural) else (entry,)


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _trees() -> Iterator[tuple[Path, ast.Module]]:
    for path in PRODUCT:
        yield path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def _catalogue_names(tree: ast.Module) -> set[str]:
    """The local names a module gives the catalogue's `t` and `text` (`from bot.domain.catalogue import t`)."""
    return {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
            and node.module == "bot.domain.catalogue" for alias in node.names if alias.name in ("t", "text")}


def _keys_of(node: ast.expr) -> Iterator[tuple[str, bool]]:
    """The keys an argument can be: a constant, either side of a conditional, or an f-string template."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value, False
    elif isinstance(node, ast.IfExp):
        yield from _keys_of(node.body)
        yield from _keys_of(node.orelse)
    elif isinstance(node, ast.JoinedStr):
        yield "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values), True


def _uses() -> list[Use]:
    uses = []
    for path, tree in _trees():
        names = _catalogue_names(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names and node.args:
                spread = any(k.arg is None for k in node.keywords)
                keywords = None if spread else frozenset(str(k.arg) for k in node.keywords)
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                uses += [Use(where, key, dynamic, keywords) for key, dynamic in _keys_of(node.args[0])]
    return uses


def _setup_date_fields() -> set[str]:
    """The form's date fields the set-up dialog names in its problems: the first argument of its `day(...)`."""
    tree = ast.parse((ROOT / "dialogs" / "project_setup.py").read_text(encoding="utf-8"))
    return {node.args[0].value for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == "day" and node.args and isinstance(node.args[0], ast.Constant)}


def _refusal_codes() -> dict[str, str]:
    """Every refusal code the code can produce or test for, with where: `Refused("code")` and what
    subclasses of Refused pass up, `refusal.append("code")`, `refusal=...` and `.code/.refusal == "code"`."""
    found: dict[str, str] = {}

    def add(node: ast.expr | None, where: str) -> None:
        for key, dynamic in _keys_of(node) if node is not None else ():
            if not dynamic:
                found.setdefault(key, where)

    for path, tree in _trees():
        where = str(path.relative_to(ROOT))
        refusal_classes = {"Refused"} | {c.name for c in ast.walk(tree) if isinstance(c, ast.ClassDef)
                                         and any(isinstance(b, ast.Name) and b.id == "Refused" for b in c.bases)}
        for cls in (c for c in ast.walk(tree) if isinstance(c, ast.ClassDef) and c.name in refusal_classes - {"Refused"}):
            for call in (n for n in ast.walk(cls) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)):
                if call.func.attr == "__init__" and call.args:  # type: ignore[union-attr]
                    add(call.args[0], f"{where}:{call.lineno}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                if name in refusal_classes and node.args:
                    add(node.args[0], f"{where}:{node.lineno}")
                if name == "append" and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
                        and func.value.id == "refusal" and node.args:
                    add(node.args[0], f"{where}:{node.lineno}")
                for keyword in node.keywords:
                    if keyword.arg == "refusal":
                        add(keyword.value, f"{where}:{node.lineno}")
            elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Attribute) and node.left.attr in ("code", "refusal") \
                    and isinstance(node.left.value, ast.Name) and node.left.value.id in ("refused", "outcome", "error"):
                for comparator in node.comparators:
                    add(comparator, f"{where}:{node.lineno}")
    return found


REFUSALS = _refusal_codes()
# What each f-string key's "{}" can be, from the types that produce it. A new pattern fails
# test_every_dynamic_key_is_known until it is added here.
DYNAMIC: dict[str, list[str]] = {
    "refused.{}": sorted(REFUSALS),
    "state.{}": [s.value for s in TaskState],
    "health.{}": [h.value for h in Health],
    "completion.hardware.{}": [h for h in get_args(HardwareOption) if h != "none"],  # only shown when there is hardware
    "setup.hw.{}": list(get_args(HardwareOption)),
    "setup.field.{}": sorted(_setup_date_fields()),
    "licences.unchecked.{}": list(get_args(UncheckedReason)),
    "licences.tenant.{}": list(SECTIONS),
    "role.{}": [r.value for r in Role],
    "documents.refused.{}": [p.value for p in Problem],
    "documents.review.{}": [r.value for r in ReviewState],
    "link.{}": [r.value for r in LinkRefusal],  # issue 15
    "staff.role.{}": [r.value for r in StaffRole],
    "reason.{}": [r.value for r in Reason],
}
USES = _uses()


def test_the_scan_finds_the_uses_and_refusals_we_know() -> None:
    """The scanners themselves: were they blind, every other test here would pass on nothing."""
    static = {u.key for u in USES if not u.dynamic}
    assert {"task.block", "status.days_late", "reminder.overdue", "setup.created", "licences.available"} <= static
    assert {"refused.{}", "state.{}", "role.{}", "licences.tenant.{}"} <= {u.key for u in USES if u.dynamic}
    # Refused("stale") comes from StaleCard's super().__init__, "tenant" from refusal.append, "not_allowed" from Refused(...).
    assert {"stale", "tenant", "not_allowed", "reason_required", "unknown_project"} <= set(REFUSALS)
    assert _setup_date_fields() == {"kickoff", "port_date", "go_live"}


@pytest.mark.parametrize("use", [u for u in USES if not u.dynamic], ids=lambda u: f"{u.key}@{u.where}")
def test_every_key_used_exists_and_gets_its_values(use: Use) -> None:
    assert use.key in STRINGS, f"{use.where}: {use.key!r} is not in the catalogue"
    entry = STRINGS[use.key]
    if use.keywords is None:
        return
    needed = set().union(*(_placeholders(f.es) | _placeholders(f.en) for f in _forms(entry)))
    assert needed <= use.keywords, f"{use.where}: {use.key!r} needs {sorted(needed - use.keywords)}"
    assert isinstance(entry, Plural) == ("n" in use.keywords), f"{use.where}: n= is for, and only for, a text that counts"


def test_every_dynamic_key_is_known() -> None:
    unknown = sorted({f"{u.key} ({u.where})" for u in USES if u.dynamic and u.key not in DYNAMIC})
    assert unknown == [], "add what the {} can be to DYNAMIC"


@pytest.mark.parametrize("template", sorted(DYNAMIC))
def test_every_dynamic_key_exists(template: str) -> None:
    assert DYNAMIC[template], template
    missing = [template.format(value) for value in DYNAMIC[template] if template.format(value) not in STRINGS]
    assert missing == []


@pytest.mark.parametrize("code", sorted(REFUSALS))
def test_every_refusal_code_has_its_text(code: str) -> None:
    assert f"refused.{code}" in STRINGS, f"{REFUSALS[code]}: refusal {code!r} has no refused.{code} text"


def test_every_key_shaped_literal_in_the_code_is_a_key() -> None:
    """Keys held in tables or tuples before reaching `t` (task.py's _LABEL_KEY, help.py's lists)."""
    namespaces = {key.split(".", 1)[0] for key in STRINGS if "." in key}
    missing = []
    for path, tree in _trees():
        if path == CATALOGUE:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and KEY_SHAPE.match(node.value) \
                    and node.value.split(".", 1)[0] in namespaces and node.value not in STRINGS:
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value}")
    assert missing == []


@pytest.mark.parametrize("key", sorted(STRINGS))
def test_every_entry_has_both_languages_and_the_same_placeholders(key: str) -> None:
    entry = STRINGS[key]
    for form in _forms(entry):
        assert form.es.strip() and form.en.strip()
        assert _placeholders(form.es) == _placeholders(form.en), (form.es, form.en)
    if isinstance(entry, Plural):
        assert all("n" in _placeholders(f.es) and "n" in _placeholders(f.en) for f in entry.forms), "a count shows its {n}"
        assert _placeholders(entry.one.en) == _placeholders(entry.other.en)


def test_no_spanish_text_outside_the_catalogue() -> None:
    """A Spanish literal in the code is a text that escaped the catalogue (docstrings and comments aside)."""
    spanish = re.compile(r"[áéíóúñ¿¡]", re.IGNORECASE)
    endonyms = {"Español"}  # the set-up form names each language in itself, whatever the reader's
    found = []
    for path, tree in _trees():
        if path == CATALOGUE:
            continue
        docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
        found += [f"{path.relative_to(ROOT)}:{n.lineno}" for n in ast.walk(tree) if isinstance(n, ast.Constant)
                  and isinstance(n.value, str) and id(n) not in docstrings and n.value not in endonyms and spanish.search(n.value)]
    assert found == []


@pytest.mark.parametrize(("language", "n", "expected"), [
    ("en", 1, "1 day late"), ("en", 2, "2 days late"), ("en", 0, "0 days late"),
    ("es", 1, "1 día de retraso"), ("es", 2, "2 días de retraso"), ("es", 21, "21 días de retraso"),
])
def test_a_count_picks_its_form(language: str, n: int, expected: str) -> None:
    assert t("status.days_late", language, n=n) == expected  # type: ignore[arg-type]


def test_counts_read_right_on_the_cards() -> None:
    overdue = [ReminderLine("Contoso", "Port numbers", "overdue", 1), ReminderLine("Contoso", "Order SBC", "overdue", 3)]
    shown = str(reminder_card(overdue, [], "en")) + str(reminder_card(overdue, [], "es"))
    assert "1 day overdue" in shown and "3 days overdue" in shown and "1 days" not in shown
    assert "vencida hace 1 día" in shown and "vencida hace 3 días" in shown and "1 días" not in shown
    assert "Contoso: 1 task." in created_text("en", "Contoso", 1) and "Contoso: 12 tasks." in created_text("en", "Contoso", 12)
    assert "Contoso: 1 tarea." in created_text("es", "Contoso", 1)


def test_a_count_must_be_given() -> None:
    with pytest.raises(TypeError):
        t("status.days_late", "en")
    with pytest.raises(TypeError):
        text("status.days_late")
    assert text("role.technician").es == "Técnico" and Role.TECHNICIAN.label == text("role.technician")


@pytest.mark.parametrize(("value", "expected"), [
    ("es", "es"), ("es-ES", "es"), ("ES-mx", "es"), ("es_419", "es"), (" es ", "es"),
    ("en", "en"), ("EN-us", "en"), ("en-GB", "en"),
    (None, "en"), ("", "en"), ("fr-FR", "en"), ("est", "en"), ("spanish", "en"), (3, "en"), ({"language": "es"}, "en"),
])
def test_parse_language(value: object, expected: str) -> None:
    assert parse_language(value) == expected


def test_languages_are_read_only_by_parse_language() -> None:
    """No `"es" if ... else "en"` of its own anywhere: each such copy once disagreed on "es-MX"."""
    copies = []
    for path, tree in _trees():
        if path == ROOT / "bot" / "domain" / "text.py":
            continue  # parse_language itself
        for node in ast.walk(tree):
            if isinstance(node, ast.IfExp) and isinstance(node.body, ast.Constant) and isinstance(node.orelse, ast.Constant) \
                    and {node.body.value, node.orelse.value} == {"es", "en"}:
                copies.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert copies == []
