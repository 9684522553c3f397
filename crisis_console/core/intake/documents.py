"""A file's JSON values, whatever way it was saved: JSON Lines, one whole document, or many.

APIs answer with one document, often an array (a Mastodon timeline, a Reddit thread), and
people save it as it came (`curl`, one long line) or pretty-printed (`jq .`). `json_items`
looks at the first line that is not blank before choosing how to read:

- `[` at its start, a lone `{`, or a `{` line longer than a record may be: whole documents,
  one after another, a top-level array's elements one by one, each named by the line it
  starts on;
- anything else: JSON Lines, each line read (and reported) alone, so that one broken line
  never stops the lines after it. A broken first record (`{"id": "1", "te`) is one of these.

In a document, a value that breaks is reported where it breaks, and reading starts again at
the next line that opens a value where the document's values start (the next element of an
array, or the next document); only when there is none is the rest lost, and that is said.
A byte that is not UTF-8 becomes the replacement character, and is told with its line.

A value is yielded as `(line, value)`; what cannot be read, as a `Problem`; what the user
must be told but did not lose, as a `Notice`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from itertools import chain
from typing import Any

from crisis_console.core.errors import Notice, Problem

MAX_LINE_BYTES = 1_000_000  # one JSON Lines record
# A whole document is held in memory to be read, about twice its size at the peak.
MAX_DOCUMENT_BYTES = 1024 * 1024 * 1024
RESUME_TRIES = 1_000  # places tried after a break, before the rest is given up

Item = tuple[int, Any] | Problem | Notice

_DECODER = json.JSONDecoder()
_SPACES = re.compile(r"[ \t\r\n]*")
_OPENING = re.compile(r"\n([ \t]*)[\[{]")  # a line that opens a value


def json_items(lines: Iterable[bytes | str], source: str, first_line: int = 1) -> Iterator[Item]:
    """Every JSON value of the input with the line it starts on, a `Problem` for what
    cannot be read, and a `Notice` for what was read with a repair."""
    rows = iter(lines)
    head: list[bytes | str] = []  # the lines looked at to choose, blank ones included
    choice = None
    for raw in rows:
        head.append(raw)
        if (choice := _choice(head, first_line)) is not None:
            break
    read = _documents if choice is True else json_lines
    yield from read(chain(head, rows), source, first_line)


def opens_document(lines: Iterable[bytes | str]) -> bool:
    """Whether input starting with `lines` is whole documents rather than JSON Lines (so a
    stream must be read to its end before it can be read at all)."""
    return _choice(list(lines), 1) is True


def _choice(head: list[bytes | str], first_line: int) -> bool | None:
    """True for whole documents, False for JSON Lines, None while the lines so far cannot
    tell: blank, or a first line that opens an object without closing it (`{"data": [`),
    which the next line tells apart from a broken JSON Lines record."""
    seen: list[str] = []
    for number, raw in enumerate(head, start=first_line):
        text = _decoded(raw, number)
        if text is None:
            return False
        if text.strip():
            seen.append(text)
    if not seen:
        return None
    first = seen[0].strip()
    if first.startswith("[") or first == "{":
        return True
    if first[:1] == "{" and len(seen[0]) > MAX_LINE_BYTES:
        return True  # one long object, as curl saves an answer
    if first[:1] != "{" or _whole(first):
        return False
    if len(seen) == 1:
        return None
    return not _whole(seen[1])  # a good record after a broken one: JSON Lines


def _whole(line: str) -> bool:
    """Whether a line is a JSON value by itself."""
    try:
        json.loads(line)
    except (ValueError, RecursionError):
        return False
    return True


def json_lines(lines: Iterable[bytes | str], source: str, first_line: int = 1) -> Iterator[Item]:
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
            why = exc.msg.removesuffix(" at")  # "Invalid control character at"
            yield Problem(source, number, "", f"not valid JSON: {why} at column {exc.colno}")
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


def _documents(lines: Iterable[bytes | str], source: str, first_line: int) -> Iterator[Item]:
    # The lines go into one buffer, not a string each: a pretty-printed document is mostly
    # short lines, and a Python object a line would cost several times the file.
    buffer = bytearray()
    for raw in lines:
        buffer += raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass")
        # A file's lines keep their ending and a stream's do not: one newline each, so that
        # every position's line is the line the user sees.
        if not buffer.endswith(b"\n"):
            buffer += b"\n"
        if len(buffer) > MAX_DOCUMENT_BYTES:
            yield Problem(
                source,
                first_line,
                "",
                f"a JSON document longer than {MAX_DOCUMENT_BYTES // 2**20:,} MB: "
                "save it as JSON Lines (jq -c '.[]' FILE > FILE.jsonl) and import that",
            )
            return
    try:
        text = buffer.decode("utf-8-sig" if first_line == 1 else "utf-8")
    except UnicodeDecodeError:
        text, told = _repaired(bytes(buffer), source, first_line)
        yield from told
    del buffer
    yield from _Reader(text, source, first_line).values()


def _repaired(data: bytes, source: str, first_line: int) -> tuple[str, list[Notice]]:
    """The text with each byte that is not UTF-8 read as U+FFFD, and a notice for each line
    that held one."""
    told, lines = [], data.split(b"\n")
    for number, raw in enumerate(lines, start=first_line):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            message = f"not valid UTF-8 (byte {exc.start + 1}): read with U+FFFD in its place"
            told.append(Notice(source, number, message))
    encoding = "utf-8-sig" if first_line == 1 else "utf-8"
    return data.decode(encoding, errors="replace"), told


class _Reader:
    """Walks a text of whole JSON documents, knowing the line of every position it reaches."""

    def __init__(self, text: str, source: str, first_line: int) -> None:
        self.text, self.source = text, source
        self._at = 0  # where the next value may start
        self._line, self._line_at = first_line, 0  # a position already seen, and its line
        self._broke_at = 0  # where the last break was

    def values(self) -> Iterator[Item]:
        while (start := self._skip(self._at)) < len(self.text):
            if self.text[start] == "[":
                yield from self._elements(start)
            else:
                item = self._value(start)
                if isinstance(item, Problem):
                    item, _ = self._resumed(item, start, column=0)  # the next document, if any
                yield item

    def _elements(self, start: int) -> Iterator[Item]:
        at = self._skip(start + 1)
        column = at - (self.text.rfind("\n", 0, at) + 1)  # where this array's elements start
        while not self.text.startswith("]", at):
            item = self._value(at)
            if not isinstance(item, Problem):
                yield item
                at = self._skip(self._at)
                if self.text.startswith(",", at):
                    at = self._skip(at + 1)
                    continue
                if self.text.startswith("]", at):
                    break
                item = self._broken(at, "expecting ',' or ']' between the array's elements", at)
            item, resumed = self._resumed(item, at, column)
            yield item
            if resumed is None:
                return
            at = resumed
        self._at = at + 1

    def _value(self, start: int) -> tuple[int, Any] | Problem:
        line = self._line_of(start)
        try:
            value, end = _DECODER.raw_decode(self.text, start)
        except json.JSONDecodeError as exc:
            return self._broken(exc.pos, exc.msg.removesuffix(" at"), start)
        except RecursionError:
            return self._broken(start, "nested too deeply", start)
        except ValueError:
            return self._broken(start, "a number with too many digits", start)
        self._at = end
        return line, value

    def _broken(self, at: int, why: str, start: int) -> Problem:
        """The value starting at `start` broke at `at`: named by its own line, since it is
        that record that is lost."""
        line, where = self._line_of(start), self._line_of(at)
        column = at - (self.text.rfind("\n", 0, at) + 1) + 1
        self._broke_at = at
        said = f"column {column}" if where == line else f"line {where}, column {column}"
        return Problem(self.source, line, "", f"not valid JSON: {why} at {said}")

    def _resumed(self, problem: Problem, after: int, column: int) -> tuple[Problem, int | None]:
        """`problem`, saying where reading starts again, and that place; or that the rest
        could not be read, and None."""
        at = self._resume(after, column)
        if at is None:
            rest = self.text.count("\n", self._broke_at) + 1
            said = f"; the rest of the document ({rest:,} line(s)) could not be read"
        else:
            said = f"; reading goes on at line {self._line_of(at)}"
        return replace(problem, message=problem.message + said), at

    def _resume(self, after: int, column: int) -> int | None:
        """The next line after the break where a value opens at `column` or before it (the
        next element, or the next document) and reads whole; None when there is none."""
        tries = 0
        for match in _OPENING.finditer(self.text, after):
            if len(match[1]) > column:
                continue
            at = match.end() - 1
            tries += 1
            try:
                _DECODER.raw_decode(self.text, at)
            except (ValueError, RecursionError):
                if tries >= RESUME_TRIES:
                    break
                continue
            self._at = at
            return at
        self._at = len(self.text)
        return None

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
