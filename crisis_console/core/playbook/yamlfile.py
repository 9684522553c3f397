"""Reads YAML with the line of every node (the one module that imports PyYAML).

Problems in hand-edited files must name their line, so `load_yaml` returns the data and a
map from each path (a tuple of keys and list indexes) to its 1-based line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from crisis_console.core.errors import Problem

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class YamlDocument:
    data: Any
    lines: dict[Path, int]
    # For a document merged from several files: top-level key -> the file it came from.
    origins: dict[str, str] = field(default_factory=dict)

    def line_of(self, path: Path) -> int:
        """The line of `path`, or of its nearest ancestor that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)

    def file_of(self, path: Path, default: str) -> str:
        return self.origins.get(str(path[0]), default) if path else default

    def overlay(self, base: YamlDocument, base_file: str, skip: str) -> YamlDocument:
        """This document's top-level sections over `base`'s: a section here replaces the
        base's whole. Lines and files stay those of wherever each section came from."""
        mine = {k: v for k, v in self.data.items() if k != skip}
        data = {**{k: v for k, v in base.data.items() if k != skip}, **mine}
        lines = {p: n for p, n in base.lines.items() if p and p[0] not in mine}
        lines.update({p: n for p, n in self.lines.items() if p and p[0] != skip})
        lines[()] = self.lines.get((), 1)
        origins = {k: base.origins.get(k, base_file) for k in data if k not in mine}
        return YamlDocument(data, lines, origins)


def load_yaml(text: str, file: str) -> tuple[YamlDocument | None, list[Problem]]:
    """Parse `text`; on a syntax error return no document and the problem with its line."""
    # libyaml's parser where PyYAML has it: the same nodes with their lines, ten times as
    # fast (every process reads the playbook as it starts).
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument({}, {(): 1}), []
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        return None, [Problem(file, line, "", f"not valid YAML: {exc.problem or exc}")]
    except yaml.YAMLError as exc:
        return None, [Problem(file, 0, "", f"not valid YAML: {exc}")]
    finally:
        loader.dispose()
    lines: dict[Path, int] = {}
    problems: list[Problem] = []
    _record_lines(node, (), lines, problems, file, set())
    if any(p.message.startswith(_ALIAS) for p in problems):
        return None, problems  # its data may be exponentially large: never walk it
    return YamlDocument(data, lines), problems


# A node met twice is an alias (`*name`): a few lines of them nest into millions of nodes
# ("billion laughs"), and a hand-edited file has no need of them.
_ALIAS = "a YAML alias (*name) is not allowed here"


def _record_lines(
    node: yaml.Node,
    path: Path,
    lines: dict[Path, int],
    problems: list[Problem],
    file: str,
    visited: set[int],
) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.CollectionNode):
        if id(node) in visited:
            problems.append(Problem(file, node.start_mark.line + 1, dotted(path), _ALIAS))
            return
        visited.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                # PyYAML keeps the last duplicate silently; a PR lead would not expect that.
                problems.append(
                    Problem(
                        file, key_node.start_mark.line + 1, dotted(path + (key,)), "duplicate key"
                    )
                )
            seen.add(key)
            _record_lines(value_node, path + (key,), lines, problems, file, visited)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, path + (index,), lines, problems, file, visited)


def dotted(path: Path) -> str:
    """`routing.rules[2].queue` for a path."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out
