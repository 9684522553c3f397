"""The audit chain's canonical JSON is `json`'s bytes exactly, whichever encoder makes them:
orjson's fast path may never change a hash. Generated values reach every place the two
encoders differ: floats below 1e-4 and in exponent form, NaN and the infinities, integers
past 64 bits, keys that are not strings, lone surrogates, control and non-ASCII text."""

from __future__ import annotations

import enum
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crisis_console.core.archive.audit_verify import canonical_json

STANDARD = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class Tone(enum.StrEnum):
    NEGATIVE = "negative"


class Rank(enum.IntEnum):
    HIGH = 2


class Text(str):
    pass


scalars = (
    st.none()
    | st.sampled_from([Tone.NEGATIVE, Rank.HIGH, Text("sub"), True, (1, "t")])
    | st.booleans()
    | st.integers()  # past 64 bits too: orjson refuses them
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.floats(min_value=-1e-3, max_value=1e-3)  # where orjson writes 0.0000x, json 1e-05
    | st.text()
    | st.text(st.characters(exclude_categories=[]))  # lone surrogates too
    | st.sampled_from(["null", "e-mail", "0.00001", "é\u2028\x00\x1f\x7f"])
)
keys = (  # (json writes a non-string key as a string)
    st.text(max_size=8) | st.integers() | st.sampled_from([Tone.NEGATIVE, Text("k")])
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=3000, deadline=None)
@given(values)
def test_canonical_json_is_json_byte_for_byte(value: Any) -> None:
    try:
        expected = STANDARD.encode(value)
    except TypeError:  # (json cannot sort a mix of string and integer keys)
        with pytest.raises(TypeError):
            canonical_json(value)
        return
    assert canonical_json(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        {"compound": 9.5e-05}, {"x": 1e-07}, [1e16], [1.2345678901234568e17], [5e-324],
        {"nan": math.nan}, [math.inf, -math.inf], [2**64], {1: "a"}, ["\ud800"],
        {"b": 1, "a": {"é": 1, "z": 2, "Z": 3}}, [None, True, False, 0, -0.0], "ü\n\"",
    ],
)  # fmt: skip
def test_where_the_encoders_differ_json_decides(value: Any) -> None:
    assert canonical_json(value) == STANDARD.encode(value)


@dataclass
class Point:
    x: int


@pytest.mark.parametrize(
    "odd", [datetime(2026, 3, 14, 12, tzinfo=UTC), Point(1)], ids=["datetime", "dataclass"]
)
def test_what_json_cannot_encode_is_refused_whatever_else_the_value_holds(odd: Any) -> None:
    """orjson writes dates and dataclasses, `json` refuses them: so does `canonical_json`,
    whether or not the rest of the value would have sent it to `json` anyway."""
    for value in ({"due": odd}, {"due": odd, "note": None}, [odd, "e-mail us"]):
        with pytest.raises(TypeError):
            canonical_json(value)
