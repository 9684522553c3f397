"""Making untrusted text safe to show: control characters become visible escapes.

Mention text, author names and file contents come from strangers. Shown raw, an ANSI escape
sequence would drive the operator's terminal and a bidi override would reorder what they read.
`visible` keeps every printable character (emoji, accents, newlines, tabs) and spells the rest
out as `\\x1b`-style escapes, so what arrived is what a person sees.
"""

from __future__ import annotations

import unicodedata

_KEEP = {"\n", "\t", "\u200d"}  # newline, tab, and the zero-width joiner inside emoji sequences
# Bidirectional overrides and isolates: they can make text read differently from what it is.
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F)}


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """`text` with every control, format or bidi character spelled out as an escape."""
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch in _KEEP or (ch.isprintable() and ch not in _BIDI):
            out.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn") or ch in _BIDI:
            out.append(_escape(ch))
        else:
            out.append(ch)
    return "".join(out)


def one_line(text: str, limit: int) -> str:
    """`visible(text)` on one line, whitespace collapsed, cut to `limit` with an ellipsis."""
    flat = " ".join(visible(text).split())
    return flat if len(flat) <= limit else flat[: max(limit - 1, 0)] + "…"
