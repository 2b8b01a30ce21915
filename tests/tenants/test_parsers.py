"""The strict JSON parser: what it accepts and where its bounds are."""

from __future__ import annotations

import json

import pytest

from tenants.parsers import JSON_MAX_DEPTH, JsonRejectedError, json_parse


def test_json_parse_accepts_what_the_stores_hold() -> None:
    document = {"a": [1, 2.5, -3, True, None, {"b": "Montréal 🚓"}], "c": 2**53 - 1}
    assert json_parse(json.dumps(document)) == document
    assert json_parse(json.dumps(document, ensure_ascii=False).encode()) == document


def test_json_parse_bounds_depth_exactly() -> None:
    at_bound = "[" * JSON_MAX_DEPTH + "]" * JSON_MAX_DEPTH
    assert json_parse(at_bound) is not None
    with pytest.raises(JsonRejectedError):
        json_parse("[" + at_bound + "]")
