"""The audit chain's canonical JSON is `json`'s bytes exactly, whichever encoder makes them:
orjson's fast path may never change a hash. Generated values reach every place the two
encoders differ: floats below 1e-4 and in exponent form, NaN and the infinities, integers
past 64 bits, keys that are not strings, lone surrogates, control and non-ASCII text."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crisis_console.core.archive.audit_verify import canonical_json

STANDARD = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)

scalars = (
    st.none()
    | st.booleans()
    | st.integers()  # past 64 bits too: orjson refuses them
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.floats(min_value=-1e-3, max_value=1e-3)  # where orjson writes 0.0000x, json 1e-05
    | st.text()  # lone surrogates and control characters among them
    | st.sampled_from(["null", "e-mail", "0.00001", "é\u2028\x00\x1f\x7f"])
)
keys = st.text(max_size=8) | st.integers()  # (json writes a non-string key as a string)
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
