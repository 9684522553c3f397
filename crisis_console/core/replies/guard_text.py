"""The text the policy guard reads (the one module that imports confusable_homoglyphs): what a
reader sees, not the code points someone chose to slip a term or a number past it.

`seen(text)`: NFKC (full-width ＠ and digits become @ and digits), format characters removed
(zero-width spaces and joiners, soft hyphens), letters of other scripts that look like Latin
ones folded to them (Cyrillic `р` to `p`, from Unicode's confusables table as that package
maintains it), and every run of white space — no-break, ideographic, a line break — one
space. The guard matches on this; what it reports is quoted from it.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from importlib import resources

_SPACES = re.compile(r"\s+")


@functools.cache
def _fold() -> dict[int, str]:
    """Each non-ASCII character that looks like one ASCII letter or digit, to that one."""
    data = json.loads(
        resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8")
    )
    table: dict[int, str] = {}
    for char, glyphs in data.items():
        if len(char) != 1 or char.isascii():
            continue
        latin = [
            g["c"] for g in glyphs if len(g["c"]) == 1 and g["c"].isascii() and g["c"].isalnum()
        ]
        if latin:
            table[ord(char)] = latin[0]
    return table


def seen(text: str) -> str:
    """`text` as the guard reads it (see the module docstring)."""
    normal = unicodedata.normalize("NFKC", text)
    visible = "".join(ch for ch in normal if unicodedata.category(ch) != "Cf")
    if not visible.isascii():
        visible = visible.translate(_fold())
    return _SPACES.sub(" ", visible)
