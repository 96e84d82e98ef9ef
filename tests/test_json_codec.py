"""bot.json_codec: orjson where it can, the standard library where orjson refuses."""

from __future__ import annotations

import json

import pytest

from bot import json_codec


@pytest.mark.parametrize("value", [
    {"card": {"type": "AdaptiveCard", "body": [{"text": "Ñandú 🦤"}]}, "n": 3, "ok": True, "none": None},
    {"text": "blocked on \ud83d the carrier"},  # a lone surrogate: orjson refuses it
    {"big": 2**70},  # past 64 bits: orjson refuses it
])
def test_what_json_accepts_round_trips(value: object) -> None:
    assert json_codec.loads(json_codec.dumps(value)) == value
    assert json_codec.loads(json_codec.dumps_text(value)) == value
    assert json.loads(json_codec.dumps(value)) == value  # and any JSON reader understands it


def test_json_written_by_the_standard_library_reads_back() -> None:
    text = json.dumps({"text": "\ud83d", "nan": "NaN"})
    assert json_codec.loads(text) == {"text": "\ud83d", "nan": "NaN"}
    assert json_codec.loads(b'{"a": NaN}')["a"] != json_codec.loads(b'{"a": NaN}')["a"]  # NaN, as json reads it


def test_text_that_is_not_json_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        json_codec.loads(b"{not json")
    with pytest.raises(ValueError):
        json_codec.loads(b"\xff\xfe")
