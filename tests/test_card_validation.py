"""The card validator itself: valid Teams cards pass, each kind of mistake is named."""

from __future__ import annotations

import copy
import shutil
import subprocess
import uuid
from typing import Any

import pytest

from tests.support import card_validation
from tests.support.card_validation import (
    MAX_CARD_BYTES,
    assert_valid_card,
    assert_valid_cards,
    card_problems,
    card_size_bytes,
    cards_problems,
)


def valid_card() -> dict[str, Any]:
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "body": [
            {
                "type": "TextBlock",
                "text": "Hi <at>Ada Lovelace</at>, your task is due.",
                "wrap": True,
            },
            {
                "type": "Input.Text",
                "id": "comment",
                "label": "Comment",
                "isRequired": True,
                "errorMessage": "Please add a comment",
            },
            {"type": "FactSet", "facts": [{"title": "Due", "value": "Friday"}]},
        ],
        "actions": [
            {
                "type": "Action.Execute",
                "title": "Done",
                "verb": "task.done",
                "data": {"taskId": "t-1"},
            },
            {
                "type": "Action.Submit",
                "title": "Snooze",
                "data": {"action": "snooze", "taskId": "t-1"},
            },
        ],
        "refresh": {
            "action": {"type": "Action.Execute", "verb": "task.refresh"},
            "userIds": ["29:1abc"],
        },
        "msteams": {
            "width": "Full",
            "entities": [
                {
                    "type": "mention",
                    "text": "<at>Ada Lovelace</at>",
                    "mentioned": {"id": "29:1abc", "name": "Ada Lovelace"},
                }
            ],
        },
    }


def with_body(*elements: dict[str, Any], version: str = "1.5") -> dict[str, Any]:
    return {"type": "AdaptiveCard", "version": version, "body": list(elements)}


def donut(**extra: Any) -> dict[str, Any]:
    return {
        "type": "Chart.Donut",
        "title": "Progress",
        "data": [{"legend": "Done", "value": 3}, {"legend": "Open", "value": 5}],
        **extra,
    }


def _no_version() -> dict[str, Any]:
    card = valid_card()
    del card["version"]
    return card


def _version(version: str) -> dict[str, Any]:
    card = valid_card()
    card["version"] = version
    return card


def _oversized() -> dict[str, Any]:
    return with_body(
        *({"type": "TextBlock", "text": "é" * 500, "wrap": True} for _ in range(30))
    )


def _execute_without_verb() -> dict[str, Any]:
    card = valid_card()
    del card["actions"][0]["verb"]
    return card


CASES: dict[str, dict[str, Any]] = {
    "valid": valid_card(),
    "no_version": _no_version(),
    "version_1_6": _version("1.6"),
    "unknown_type": with_body(
        {"type": "TextBlock", "text": "ok"}, {"type": "Carousel.Page", "items": []}
    ),
    "textblock_without_text": with_body({"type": "TextBlock", "wrap": True}),
    "duplicate_ids": with_body(
        {"type": "Input.Text", "id": "name", "label": "Name"},
        {
            "type": "Container",
            "items": [{"type": "Input.Text", "id": "name", "label": "Name again"}],
        },
    ),
    "oversized": _oversized(),
    "execute_without_verb": _execute_without_verb(),
    "chart_without_fallback": with_body(
        {"type": "TextBlock", "text": "Stats"}, donut()
    ),
    "chart_with_fallback": with_body(
        {"type": "TextBlock", "text": "Stats"},
        donut(fallback={"type": "TextBlock", "text": "3 of 8 done", "wrap": True}),
    ),
    "chart_with_bad_fallback": with_body(
        donut(fallback={"type": "TextBlock", "wrap": True})
    ),
    "chart_fallback_drop": with_body(
        {"type": "TextBlock", "text": "Stats"}, donut(fallback="drop")
    ),
    "newer_feature_than_version": with_body(
        {"type": "Table", "columns": [{"width": 1}], "rows": []}, version="1.2"
    ),
    "msteams_in_nested_card": with_body(
        {
            "type": "ActionSet",
            "actions": [
                {
                    "type": "Action.ShowCard",
                    "title": "More",
                    "card": {
                        "type": "AdaptiveCard",
                        "body": [],
                        "msteams": {"width": "Full"},
                    },
                }
            ],
        }
    ),
    "mention_missing_from_text": {
        **with_body({"type": "TextBlock", "text": "Hello"}),
        "msteams": valid_card()["msteams"],
    },
}


@pytest.fixture(scope="module")
def results() -> dict[str, list[str]]:
    """All cases through one batch: one Node process for the whole module."""
    return dict(zip(CASES, cards_problems(list(CASES.values()))))


def _has(problems: list[str], *fragments: str) -> bool:
    return any(all(f in p for f in fragments) for p in problems)


def test_valid_card_passes(results: dict[str, list[str]]) -> None:
    assert results["valid"] == []
    assert_valid_card(valid_card())  # cached: no second Node run


def test_missing_version(results: dict[str, list[str]]) -> None:
    assert results["no_version"] == [
        "[teams] $.version: missing; Teams needs `version` (at most 1.5) on every card"
    ]


def test_version_newer_than_teams_supports(results: dict[str, list[str]]) -> None:
    problems = results["version_1_6"]
    assert _has(problems, "[teams] $.version", "'1.6' is newer than 1.5")
    assert _has(problems, "[sdk]", "UnsupportedCardVersion")


def test_unknown_element_type(results: dict[str, list[str]]) -> None:
    problems = results["unknown_type"]
    assert _has(
        problems,
        "[schema] $.body[1]",
        "unknown or misplaced type 'Carousel.Page'",
        "TextBlock",
    )
    assert _has(problems, "[sdk] $.body[1]", "UnknownElementType")


def test_textblock_without_text(results: dict[str, list[str]]) -> None:
    assert results["textblock_without_text"] == [
        "[schema] $.body[0] (TextBlock): 'text' is a required property"
    ]


def test_duplicate_input_ids_caught_by_sdk(results: dict[str, list[str]]) -> None:
    problems = results["duplicate_ids"]
    assert problems == [
        "[sdk] $.body[1].items[0] (Input.Text id='name'): DuplicateId: Duplicate Id \"name\"."
    ]


def test_oversized_card(results: dict[str, list[str]]) -> None:
    card = CASES["oversized"]
    size = card_size_bytes(card)
    assert size > MAX_CARD_BYTES
    assert results["oversized"] == [
        f"[teams] card is {size} bytes serialized (UTF-8); must be under {MAX_CARD_BYTES} (28 KB)"
    ]


def test_card_size_counts_utf8_bytes_not_escapes() -> None:
    assert card_size_bytes({"t": "é"}) == len('{"t": "é"}'.encode())


def test_action_execute_without_verb(results: dict[str, list[str]]) -> None:
    assert results["execute_without_verb"] == [
        "[teams] $.actions[0] (Action.Execute): needs a non-empty `verb` (the bot routes on it)"
    ]


def test_chart_without_fallback(results: dict[str, list[str]]) -> None:
    problems = results["chart_without_fallback"]
    assert len(problems) == 1, problems  # no cascade of unknown-type errors
    assert _has(problems, "[teams] $.body[1] (Chart.Donut)", "without a `fallback`")


def test_chart_with_fallback_passes(results: dict[str, list[str]]) -> None:
    assert results["chart_with_fallback"] == []
    assert results["chart_fallback_drop"] == []


def test_chart_fallback_is_validated_as_an_element(
    results: dict[str, list[str]],
) -> None:
    assert results["chart_with_bad_fallback"] == [
        "[schema] $.body[0].fallback (TextBlock): 'text' is a required property"
    ]


def test_feature_newer_than_card_version(results: dict[str, list[str]]) -> None:
    assert _has(
        results["newer_feature_than_version"],
        "[sdk] $.body[0]",
        "UnknownElementType",
        "Table",
    )


def test_msteams_only_at_card_root(results: dict[str, list[str]]) -> None:
    assert _has(
        results["msteams_in_nested_card"],
        "[schema] $.body[0].actions[0].card",
        "'msteams' was unexpected",
    )


def test_mention_must_appear_in_text(results: dict[str, list[str]]) -> None:
    assert results["mention_missing_from_text"] == [
        "[teams] $.msteams.entities[0]: mention text '<at>Ada Lovelace</at>' appears nowhere in the card's text"
    ]


def test_batch_returns_per_card_results_in_order(results: dict[str, list[str]]) -> None:
    names = [
        "textblock_without_text",
        "valid",
        "no_version",
        "chart_with_fallback",
        "execute_without_verb",
    ]
    batch = cards_problems([copy.deepcopy(CASES[n]) for n in names])
    assert batch == [results[n] for n in names]
    assert [bool(p) for p in batch] == [True, False, True, False, True]


def test_batch_uses_one_node_process(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []
    real_run = subprocess.run

    def counting_run(args: list[str], **kwargs: Any) -> Any:
        calls.append(args)
        return real_run(args, **kwargs)

    monkeypatch.setattr(subprocess, "run", counting_run)
    fresh = [
        with_body({"type": "TextBlock", "text": f"card {i} {uuid.uuid4()}"})
        for i in range(5)
    ]
    fresh.append(
        with_body({"type": "Input.Text", "id": "x"}, {"type": "Input.Date", "id": "x"})
    )
    problems = cards_problems(fresh)
    assert len(calls) == 1
    assert problems[:5] == [[]] * 5
    assert _has(problems[5], "DuplicateId")


def test_assert_valid_card_lists_every_problem() -> None:
    card = with_body({"type": "TextBlock"}, donut(), version="1.6")
    with pytest.raises(AssertionError) as info:
        assert_valid_card(card)
    message = str(info.value)
    assert "'text' is a required property" in message
    assert "newer than 1.5" in message
    assert "Chart.Donut" in message


def test_assert_valid_cards_names_the_bad_card() -> None:
    with pytest.raises(
        AssertionError, match=r"card #1 .*\n.*'text' is a required property"
    ):
        assert_valid_cards([valid_card(), with_body({"type": "TextBlock"})])


def test_missing_node_is_an_error_not_a_skip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    with pytest.raises(RuntimeError, match=r"Node\.js"):
        card_problems(with_body({"type": "TextBlock", "text": str(uuid.uuid4())}))


def test_missing_sdk_is_an_error_not_a_skip(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setattr(card_validation, "SDK_ENTRY", tmp_path / "adaptivecards.js")
    with pytest.raises(RuntimeError, match="npm install"):
        card_problems(with_body({"type": "TextBlock", "text": str(uuid.uuid4())}))
