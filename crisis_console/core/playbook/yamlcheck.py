"""Checking hand-edited YAML against the shape we expect, collecting every problem.

`Checker` walks a parsed `YamlDocument`: each accessor returns a typed value, or records a
`Problem` (file, line, dotted field, message) and returns a harmless default, so one pass
reports every mistake at once. Subclasses build the finished object only if none was found.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from crisis_console.core.errors import Problem
from crisis_console.core.playbook.yamlfile import Path as YamlPath
from crisis_console.core.playbook.yamlfile import YamlDocument, dotted

E = TypeVar("E", bound=StrEnum)


class Checker:
    """Walks the parsed YAML, building typed values and recording every problem."""

    def __init__(self, doc: YamlDocument, file: str, problems: list[Problem]) -> None:
        self.doc, self.file, self.problems = doc, file, list(problems)

    def fail(self, path: YamlPath, message: str) -> None:
        file = self.doc.file_of(path, self.file)
        self.problems.append(Problem(file, self.doc.line_of(path), dotted(path), message))

    def node(self, path: YamlPath) -> Any:
        value: Any = self.doc.data
        for part in path:
            if isinstance(part, int):
                value = value[part] if isinstance(value, list) and part < len(value) else None
            else:
                value = value.get(part) if isinstance(value, dict) else None
        return value

    def typed(self, path: YamlPath, kind: type | tuple[type, ...], required: bool = True) -> Any:
        value = self.node(path)
        if value is None:
            if required:
                self.fail(path, "is required")
            return None
        # bool is an int in Python; a `true` where a number belongs is still a mistake.
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            self.fail(path, f"must be {_kind_name(kind)}, not true/false")
            return None
        if not isinstance(value, kind):
            self.fail(path, f"must be {_kind_name(kind)}")
            return None
        return value

    def mapping(self, path: YamlPath, allowed: set[str] | None = None) -> dict[str, Any]:
        value = self.typed(path, dict)
        if value is None:
            return {}
        mapping: dict[str, Any] = value
        for key in mapping:
            if allowed is not None and key not in allowed:
                self.fail(path + (str(key),), f"unknown field (expected one of {sorted(allowed)})")
        return mapping

    def enum(self, path: YamlPath, enum: type[E]) -> E | None:
        value = self.typed(path, str)
        if value is None:
            return None
        try:
            return enum(value)
        except ValueError:
            self.fail(path, f"'{value}' is not one of {[e.value for e in enum]}")
            return None

    def strings(self, path: YamlPath, required: bool = True) -> tuple[str, ...]:
        items = self.typed(path, list, required)
        out = []
        for i, item in enumerate(items or []):
            if isinstance(item, bool):
                # YAML reads bare no/yes/on/off as true/false: the commonest playbook slip.
                self.fail(path + (i,), "must be a text; put quotes around no/yes/on/off")
            elif not isinstance(item, str) or not item.strip():
                self.fail(path + (i,), "must be a non-empty text")
            else:
                out.append(item.strip().lower())
        return tuple(out)

    def enum_set(self, path: YamlPath, enum: type[E]) -> frozenset[E] | None:
        value = self.node(path)
        if value is None:
            return None
        items = value if isinstance(value, list) else [value]
        out: set[E] = set()
        for i, item in enumerate(items):
            item_path = path + (i,) if isinstance(value, list) else path
            try:
                out.add(enum(item))
            except ValueError:
                self.fail(item_path, f"'{item}' is not one of {[e.value for e in enum]}")
        return frozenset(out)

    def weights(self, path: YamlPath) -> tuple[tuple[str, float], ...]:
        """A mapping of term -> weight in VADER's valence units (its "bad" is -2.5)."""
        out: list[tuple[str, float]] = []
        if self.node(path) is None:
            return ()  # optional
        for term in self.mapping(path):
            weight = self.typed(path + (term,), (int, float))
            if weight is not None and not -4 <= weight <= 4:
                self.fail(path + (term,), "must be between -4 and 4, like VADER's own weights")
            elif weight is not None and str(term).strip():
                out.append((str(term).strip().lower(), float(weight)))
        return tuple(out)

    def positive_int(self, path: YamlPath, required: bool = True) -> int | None:
        value = self.typed(path, int, required)
        if value is not None and value <= 0:
            self.fail(path, "must be a positive whole number")
            return None
        return value  # type: ignore[no-any-return]


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a text", int: "a whole number", float: "a number", bool: "true or false",
             list: "a list", dict: "a mapping of fields"}  # fmt: skip
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(dict.fromkeys(names.get(k, k.__name__) for k in kinds))
