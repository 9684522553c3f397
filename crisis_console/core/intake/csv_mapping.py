"""Which CSV column holds which part of a mention: the shipped presets and mapping files.

A mapping is YAML (the presets in `csv_presets/` are mappings too, so a team can copy one and
change it):

    title: Brandwatch Consumer Research mentions export
    recognise: [Page Type, Full Text]   # headers that identify this export (auto-detection)
    columns:                            # our field: the header(s) that may hold it
      text: [Full Text, Snippet, Title] # the first non-empty cell of these wins, row by row
      created_at: Date
    timezone: UTC                       # the zone of dates written without one
    day_first: false                    # 03/04/2026 is 3 April when true
    date_formats: ["%d-%b-%Y %I:%M %p"] # tried before the general date reader
    platform: other                     # when there is no platform column, or it is empty
    platforms: {Twitter: x}             # extra names for our platforms
    url_template: "https://x.com/{author.username}/status/{id}"  # {HEADER}: that cell
    escaped_text: false                 # true: text as twarc-csv writes it (JSON, or \\n)

Headers match case-insensitively, ignoring surrounding spaces. A preset is recognised by its
`recognise` headers together with one of its text headers. `load_mapping` reports every
problem of a mapping file with its line; nothing in a mapping is ever evaluated (a template's
`{HEADER}` is replaced by that cell's text, nothing more).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from datetime import tzinfo
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from crisis_console.core.errors import FileRefused, Problem
from crisis_console.core.intake.dates import zone
from crisis_console.core.models import Kind, Platform
from crisis_console.core.playbook.yamlfile import YamlDocument, load_yaml

NO_COLUMN = "-"
"""`--column created_at=-`: the file has no column for this field (a date-like column is
something else, and each post takes the time of the import)."""

FIELDS = (
    "id",
    "text",
    "created_at",
    "time",  # a separate time-of-day column, joined to created_at
    "platform",
    "kind",
    "author",
    "author_name",
    "url",
    "in_reply_to",
    "followers",
    "verified",
    "likes",
    "shares",
    "replies",
    "repost_of",  # the id of the post a row passes on (a retweet)
)
_KEYS = {"title", "recognise", "columns", "timezone", "day_first", "date_formats"}
_KEYS |= {"platform", "platforms", "url_template", "escaped_text"}

# How exports name the platforms; anything else (news, blogs, forums) is `other`.
PLATFORM_NAMES: dict[str, Platform] = {
    "x": Platform.X,
    "twitter": Platform.X,
    "x.com": Platform.X,
    "twitter.com": Platform.X,
    "fb": Platform.FACEBOOK,
    "facebook page": Platform.FACEBOOK,
    "ig": Platform.INSTAGRAM,
    "youtube.com": Platform.YOUTUBE,
    "reddit.com": Platform.REDDIT,
    "bsky": Platform.BLUESKY,
    "bsky.app": Platform.BLUESKY,
    "reviews": Platform.REVIEW,
    "trustpilot": Platform.REVIEW,
    "google reviews": Platform.REVIEW,
    "google my business": Platform.REVIEW,
    "yelp": Platform.REVIEW,
    **{p.value: p for p in Platform},
}


class MappingError(FileRefused):
    """A mapping file (or preset name or flag) that cannot be used; `.problems` lists all."""

    what = "CSV mapping"


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Where each field of a mention is found in one kind of CSV file."""

    name: str
    title: str
    columns: dict[str, tuple[str, ...]]
    recognise: tuple[str, ...] = ()
    timezone_name: str = "UTC"
    day_first: bool = False
    date_formats: tuple[str, ...] = ()
    platform: Platform = Platform.OTHER
    platforms: dict[str, Platform] = field(default_factory=dict)
    url_template: str = ""  # a row's url from its cells when it has no url column
    escaped_text: bool = False  # the text cell is escaped as twarc-csv escapes it

    @property
    def assume(self) -> tzinfo:
        return zone(self.timezone_name)

    def platform_of(self, cell: str) -> Platform:
        name = cell.strip().casefold()
        if not name:
            return self.platform
        return self.platforms.get(name) or PLATFORM_NAMES.get(name) or Platform.OTHER

    def with_overrides(
        self,
        columns: dict[str, str] | None = None,
        timezone: str | None = None,
        day_first: bool | None = None,
        date_format: str | None = None,
        platform: str | None = None,
    ) -> ColumnMapping:
        """This mapping changed by command-line flags (each already checked by `parse_flag`)."""
        changed = replace(
            self, columns={**self.columns, **{k: (v,) for k, v in (columns or {}).items()}}
        )
        if timezone is not None:
            try:
                zone(timezone)
            except ValueError as exc:
                raise MappingError([Problem("--timezone", 0, "", str(exc))]) from None
            changed = replace(changed, timezone_name=timezone)
        if day_first is not None:
            changed = replace(changed, day_first=day_first)
        if date_format:
            changed = replace(changed, date_formats=(date_format, *changed.date_formats))
        if platform is not None:
            changed = replace(changed, platform=_platform(platform))
        return changed


def kind_of(cell: str) -> Kind:
    """An export's message type as our kind (`Direct Message` -> dm, `@Reply` -> reply)."""
    name = cell.strip().casefold()
    for word, kind in (
        ("direct", Kind.DM),
        ("dm", Kind.DM),
        ("private", Kind.DM),
        ("comment", Kind.COMMENT),
        ("repl", Kind.REPLY),
        ("review", Kind.REVIEW),
    ):
        if word in name:
            return kind
    return Kind.POST


@functools.cache
def preset_names() -> tuple[str, ...]:
    """The shipped presets, the most specific first and `generic` last (detection order)."""
    names = sorted(
        p.name.removesuffix(".yaml") for p in _preset_dir().iterdir() if p.name.endswith(".yaml")
    )
    return (*(n for n in names if n != "generic"), "generic")


@functools.cache  # read and checked once: every CSV file is tried against every preset
def preset(name: str) -> ColumnMapping:
    """The shipped preset `name`; `MappingError` naming the choices if there is none."""
    if name not in preset_names():
        raise MappingError(
            [Problem("--preset", 0, "", f"'{name}' is not one of {', '.join(preset_names())}")]
        )
    return load_mapping(preset_text(name), f"preset {name}", name)


def preset_text(name: str) -> str:
    return _preset_dir().joinpath(f"{name}.yaml").read_text(encoding="utf-8")


def load_mapping(text: str, file: str, name: str) -> ColumnMapping:
    """A mapping from YAML `text`; `MappingError` listing every problem with its line."""
    document, problems = load_yaml(text, file)
    if document is None:
        raise MappingError(problems)
    data = document.data
    if not isinstance(data, dict):
        raise MappingError([Problem(file, 1, "", "must be a YAML mapping of settings")])
    checker = _Checker(document, file, problems)
    for key in sorted(set(data) - _KEYS):
        checker.problem((str(key),), f"unknown setting (known: {', '.join(sorted(_KEYS))})")
    columns = checker.columns(data.get("columns"))
    mapping = ColumnMapping(
        name=name,
        title=checker.text(data, "title") or name,
        columns=columns,
        recognise=checker.names(data.get("recognise"), ("recognise",)),
        timezone_name=checker.timezone(data.get("timezone", "UTC")),
        day_first=checker.flag(data, "day_first"),
        date_formats=checker.names(data.get("date_formats"), ("date_formats",)),
        platform=checker.platform(data.get("platform", "other"), ("platform",)) or Platform.OTHER,
        platforms=checker.platforms(data.get("platforms")),
        url_template=checker.text(data, "url_template"),
        escaped_text=checker.flag(data, "escaped_text"),
    )
    if problems:
        raise MappingError(sorted(problems, key=lambda p: p.line))
    return mapping


def parse_flag(flag: str) -> tuple[str, str]:
    """`FIELD=HEADER` from `--column`; `MappingError` if the field is not one of ours."""
    field_name, sep, header = flag.partition("=")
    field_name = field_name.strip()
    if not sep or not header.strip():
        raise MappingError([Problem("--column", 0, "", f"'{flag}' must be FIELD=HEADER")])
    if field_name not in FIELDS:
        raise MappingError(
            [Problem("--column", 0, field_name, f"is not a field (fields: {', '.join(FIELDS)})")]
        )
    return field_name, header.strip()


def _platform(value: str) -> Platform:
    try:
        return Platform(value.strip().lower())
    except ValueError:
        choices = ", ".join(p.value for p in Platform)
        raise MappingError([Problem("--platform", 0, "", f"must be one of {choices}")]) from None


def _preset_dir() -> Traversable:
    return resources.files("crisis_console.core").joinpath("csv_presets")


class _Checker:
    """Validates the parts of one mapping document, collecting problems with their lines."""

    def __init__(self, document: YamlDocument, file: str, problems: list[Problem]) -> None:
        self.document, self.file, self.problems = document, file, problems

    def problem(self, path: tuple[str | int, ...], message: str) -> None:
        self.problems.append(
            Problem(self.file, self.document.line_of(path), ".".join(map(str, path)), message)
        )

    def text(self, data: dict[str, Any], key: str) -> str:
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            self.problem((key,), "must be a text")
            return ""
        return value or ""

    def flag(self, data: dict[str, Any], key: str) -> bool:
        value = data.get(key, False)
        if not isinstance(value, bool):
            self.problem((key,), "must be true or false")
            return False
        return value

    def names(self, value: Any, path: tuple[str | int, ...]) -> tuple[str, ...]:
        if value is None:
            return ()
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str | int) and str(v).strip() for v in items):
            self.problem(path, "must be a header or a list of headers")
            return ()
        return tuple(str(v).strip() for v in items)

    def columns(self, value: Any) -> dict[str, tuple[str, ...]]:
        if not isinstance(value, dict):
            self.problem(("columns",), "must map our fields to headers (columns: {text: Message})")
            return {}
        columns: dict[str, tuple[str, ...]] = {}
        for key, headers in value.items():
            if key not in FIELDS:
                self.problem(("columns", str(key)), f"is not a field (fields: {', '.join(FIELDS)})")
                continue
            columns[key] = self.names(headers, ("columns", key))
        if "text" not in columns:
            self.problem(("columns",), "must name the column that holds the text (text: ...)")
        return columns

    def timezone(self, value: Any) -> str:
        try:
            zone(str(value))
        except ValueError as exc:
            self.problem(("timezone",), str(exc))
        return str(value)

    def platform(self, value: Any, path: tuple[str | int, ...]) -> Platform | None:
        try:
            return Platform(str(value).strip().lower())
        except ValueError:
            self.problem(path, f"must be one of {', '.join(p.value for p in Platform)}")
            return None

    def platforms(self, value: Any) -> dict[str, Platform]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(("platforms",), "must map an export's names to ours ({Twitter: x})")
            return {}
        named = {
            str(k).strip().casefold(): self.platform(v, ("platforms", str(k)))
            for k, v in value.items()
        }
        return {k: v for k, v in named.items() if v is not None}
