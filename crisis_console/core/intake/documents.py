"""A file's JSON values, whatever way it was saved: JSON Lines, one whole document, or many.

APIs answer with one document, often an array (a Mastodon timeline, a Reddit thread), and
people save it as it came or pretty-printed (`curl … | jq .`). `json_items` looks at the
start of the input before choosing how to read it:

- a first line that is JSON by itself: JSON Lines, each line read (and reported) alone, so
  that one broken line never stops the lines after it;
- a first line that opens a document without closing it (`[` or `{`): whole documents, one
  after another, and a top-level array's elements one by one, each named by the line it
  starts on. A document that breaks off is reported where it breaks; what came before it is
  kept. A first line that is neither (a broken JSON Lines record) is read as JSON Lines.

A value is yielded as `(line, value)`; what cannot be read, as a `Problem`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import Any

from crisis_console.core.errors import Problem

MAX_LINE_BYTES = 1_000_000  # one JSON Lines record, or one element of a document
MAX_DOCUMENT_BYTES = 256 * 1024 * 1024  # a whole document is held in memory to be read

_DECODER = json.JSONDecoder()
_SPACES = re.compile(r"[ \t\r\n]*")


def json_items(
    lines: Iterable[bytes | str], source: str, first_line: int = 1
) -> Iterator[tuple[int, Any] | Problem]:
    """Every JSON value of the input with the line it starts on, or a `Problem`."""
    rows = iter(lines)
    number = first_line
    for raw in rows:
        head = _decoded(raw, number)
        if head is None or head.strip():
            break
        number += 1
    else:
        return
    if head is None or _whole(head) or head.lstrip()[:1] not in ("[", "{"):
        yield from json_lines(chain([raw], rows), source, number)
        return
    yield from _documents(chain([raw], rows), source, number)


def opens_document(lines: Iterable[bytes | str]) -> bool:
    """Whether input starting with `lines` is whole documents rather than JSON Lines (so a
    stream must be read to its end before it can be read at all)."""
    for number, raw in enumerate(lines, start=1):
        head = _decoded(raw, number)
        if head is None:
            return False
        if head.strip():
            return not _whole(head) and head.lstrip()[:1] in ("[", "{")
    return False


def json_lines(
    lines: Iterable[bytes | str], source: str, first_line: int = 1
) -> Iterator[tuple[int, Any] | Problem]:
    """(line, decoded JSON value) for every non-blank line, or a `Problem` for a line that is
    too long, not UTF-8 or not JSON."""
    for number, raw in enumerate(lines, start=first_line):
        if len(raw) > MAX_LINE_BYTES:
            yield Problem(source, number, "", f"line is longer than {MAX_LINE_BYTES:,} bytes")
            continue
        if isinstance(raw, bytes):
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                yield Problem(source, number, "", f"not valid UTF-8 (byte {exc.start + 1})")
                continue
        else:
            line = raw
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            yield Problem(source, number, "", f"not valid JSON: {exc.msg} at column {exc.colno}")
        except RecursionError:
            yield Problem(source, number, "", "not valid JSON: nested too deeply")
        except ValueError:  # Python's own limit: an integer of more than 4,300 digits
            yield Problem(source, number, "", "not valid JSON: a number with too many digits")


def _decoded(raw: bytes | str, number: int) -> str | None:
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError:
        return None


def _whole(line: str) -> bool:
    """Whether a line is a JSON value by itself (so the input is JSON Lines)."""
    try:
        json.loads(line)
    except (ValueError, RecursionError):
        return False
    return True


def _documents(
    lines: Iterable[bytes | str], source: str, first_line: int
) -> Iterator[tuple[int, Any] | Problem]:
    parts: list[bytes | str] = []
    size = 0
    for raw in lines:
        size += len(raw)
        if size > MAX_DOCUMENT_BYTES:
            yield Problem(
                source,
                first_line,
                "",
                f"a JSON document longer than {MAX_DOCUMENT_BYTES // 2**20:,} MB: "
                "save it as JSON Lines (jq -c '.[]' FILE > FILE.jsonl) and import that",
            )
            return
        parts.append(raw)
    if parts and isinstance(parts[0], bytes):
        try:
            text = b"\n".join(parts).decode("utf-8-sig")  # type: ignore[arg-type]
        except UnicodeDecodeError as exc:
            yield Problem(source, first_line, "", f"not valid UTF-8 (byte {exc.start + 1})")
            return
    else:
        text = "\n".join(parts)  # type: ignore[arg-type]
    yield from _Reader(text, source, first_line).values()


class _Reader:
    """Walks a text of whole JSON documents, knowing the line of every position it reaches."""

    def __init__(self, text: str, source: str, first_line: int) -> None:
        self.text, self.source = text, source
        self._at = 0  # where the next value may start
        self._line, self._line_at = first_line, 0  # a position already seen, and its line

    def values(self) -> Iterator[tuple[int, Any] | Problem]:
        while (start := self._skip(self._at)) < len(self.text):
            if self.text[start] == "[":
                yield from self._elements(start)
            else:
                value = self._value(start, "")
                if isinstance(value, Problem):
                    yield value
                    return
                yield value

    def _elements(self, start: int) -> Iterator[tuple[int, Any] | Problem]:
        at = self._skip(start + 1)
        if self.text.startswith("]", at):
            self._at = at + 1
            return
        while True:
            value = self._value(at, "an element of the array")
            if isinstance(value, Problem):
                yield value
                return
            yield value
            at = self._skip(self._at)
            if self.text.startswith(",", at):
                at = self._skip(at + 1)
            elif self.text.startswith("]", at):
                self._at = at + 1
                return
            else:
                yield self._broken(at, "expecting ',' or ']' between the array's elements")
                return

    def _value(self, start: int, what: str) -> tuple[int, Any] | Problem:
        line = self._line_of(start)
        try:
            value, end = _DECODER.raw_decode(self.text, start)
        except json.JSONDecodeError as exc:
            return self._broken(exc.pos, exc.msg)
        except RecursionError:
            return self._broken(start, "nested too deeply")
        except ValueError:
            return self._broken(start, "a number with too many digits")
        self._at = end
        if what and end - start > MAX_LINE_BYTES:
            return Problem(self.source, line, "", f"{what} is longer than {MAX_LINE_BYTES:,} bytes")
        return line, value

    def _broken(self, at: int, why: str) -> Problem:
        """The problem at `at`; nothing after it can be read, so the walk ends there."""
        line = self._line_of(at)
        column = at - (self.text.rfind("\n", 0, at) + 1) + 1
        rest = len(self.text) - at
        self._at = len(self.text)
        return Problem(
            self.source,
            line,
            "",
            f"not valid JSON ({why}, column {column}): the {rest:,} characters from here on "
            "could not be read; what came before was",
        )

    def _skip(self, at: int) -> int:
        return _SPACES.match(self.text, at).end()  # type: ignore[union-attr]

    def _line_of(self, at: int) -> int:
        """The line of position `at`. Positions are asked for mostly in order, so each
        newline is counted about once."""
        if at < self._line_at:
            return self._line - self.text.count("\n", at, self._line_at)
        self._line += self.text.count("\n", self._line_at, at)
        self._line_at = at
        return self._line
