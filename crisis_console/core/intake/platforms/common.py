"""What every platform's reader shares: the record it yields, and small readers of values."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

Record = dict[str, Any]
"""One of our input records (README, "Input format"), validated later like any other."""


@dataclass(frozen=True, slots=True)
class Unread:
    """A post the response holds that cannot be read: reported, with why."""

    message: str
    field: str = ""


@dataclass(frozen=True, slots=True)
class Note:
    """Not a post, but something the user must be told: replies the platform left out."""

    message: str


Item = Record | Unread | Note

BROKEN = (TypeError, ValueError, AttributeError, OverflowError, OSError, KeyError)
"""What building a record from a part of the wrong type raises (a list where a map should
be, a date past the year 9999)."""


Builder = Callable[[Mapping[str, Any]], Item]


def each(parts: Iterable[Any], build: Builder, what: str) -> Iterator[Item]:
    """`build` of every part, one at a time: a part that is not an object, or whose fields
    have the wrong types, is reported alone, and the others are still read."""
    for n, part in enumerate(parts, start=1):
        yield one(part, build, f"{what} {n}")


def one(part: Any, build: Builder, what: str) -> Item:
    if not isinstance(part, dict):
        return Unread(f"{what}: not a JSON object")
    try:
        return build(part)
    except BROKEN as exc:
        return Unread(f"{what}: not valid: {exc}")


def as_dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def epoch(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def whole(value: Any) -> Any:
    """A Reddit score may be negative; we count likes from zero."""
    return max(value, 0) if isinstance(value, int) and not isinstance(value, bool) else value


def total(*values: Any) -> Any:
    """The sum of the counts given; a count of the wrong type is passed on, to be reported."""
    numbers = [v for v in values if v is not None]
    if all(isinstance(v, int) and not isinstance(v, bool) for v in numbers):
        return sum(numbers) if numbers else None
    return next(v for v in numbers if not isinstance(v, int) or isinstance(v, bool))


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


class _TextOnly(HTMLParser):
    """Mastodon sends HTML: keep the words, turn paragraphs and breaks into newlines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p" and self.parts:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(html: str) -> str:
    """The text of an HTML fragment; markup is dropped, never interpreted."""
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts).strip()
