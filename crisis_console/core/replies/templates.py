"""Reply templates (the one module that imports jinja2): metadata, sandboxed rendering, and
approval bound to content.

A template is a file in `templates/`: YAML front matter between `---` lines, then a Jinja
body. It is rendered in Jinja's sandbox with StrictUndefined. Everything from outside — the
mention's text, the author's name, the operator's variables — is passed as data and never
parsed as template code, so `{{ 7*7 }}` in a post stays literal. A template is usable only
while an approval exists for the sha256 of its current content.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from crisis_console.core.errors import CrisisConsoleError, FileRefused, Problem
from crisis_console.core.models import Category, Platform, Role
from crisis_console.core.playbook.yamlcheck import Checker
from crisis_console.core.playbook.yamlfile import load_yaml

# Names every template may use without declaring them: facts about the mention.
CONTEXT_NAMES = frozenset({"author", "author_name", "platform", "brand"})
PERSONAL_DATA_KINDS = frozenset({"order_number", "street_address"})
MAX_TEXT = 20_000  # characters any value in a template may grow to: far past any platform
MAX_POWER = 64  # the largest exponent `**` may take
MAX_BITS = 4_096  # and the largest number it may make


class _ReplySandbox(ImmutableSandboxedEnvironment):
    """Jinja's sandbox, with the sizes a reply can reach capped: a template (written by
    staff, but perhaps carelessly, or by someone who wants the console to hang) cannot ask
    for `'x' * 10**8`, `9 ** 9 ** 9` or a loop of a billion steps (`_no_loops` refuses
    loops and macros at load; the range cap is Jinja's own, lowered)."""

    intercepted_binops = frozenset({"*", "**"})
    MAX_RANGE = 1_000

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        ints = isinstance(left, int) and isinstance(right, int)
        if (
            operator == "**"
            and ints
            and (right > MAX_POWER or left.bit_length() * right > MAX_BITS)
        ):
            raise SecurityError(f"a number above 2**{MAX_BITS} is not allowed in a template")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                sized = isinstance(seq, str | list | tuple) and isinstance(times, int)
                if sized and len(seq) * times > MAX_TEXT:
                    raise SecurityError(f"a value longer than {MAX_TEXT:,} characters")
        return super().call_binop(context, operator, left, right)


_ENV = _ReplySandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


class TemplateFileError(FileRefused):
    what = "template"


class RenderError(CrisisConsoleError):
    """A template could not be filled; the message names the variable."""


@dataclass(frozen=True, slots=True)
class Variable:
    name: str
    description: str
    required: bool


@dataclass(frozen=True, slots=True)
class ReplyTemplate:
    id: str
    title: str
    categories: frozenset[Category]  # empty = any
    roles: frozenset[Role]
    levels: frozenset[int] | None  # None = any level the playbook allows it at
    platforms: frozenset[Platform]  # empty = any
    version: int
    variables: tuple[Variable, ...]
    allow: frozenset[str]  # personal-data kinds the template may contain (order_number...)
    auto_send: bool  # False: a person must always review (self-harm responses)
    body: str
    sha256: str
    source: str

    def fits(self, category: Category, platform: Platform, role: Role | None = None) -> bool:
        return (
            (not self.categories or category in self.categories)
            and (not self.platforms or platform in self.platforms)
            and (role is None or role in self.roles or role is Role.LEAD)
        )

    def render(self, context: Mapping[str, str], variables: Mapping[str, str]) -> str:
        """Fill the body. A required variable left empty, or an unknown one, is named."""
        declared = {v.name for v in self.variables}
        unknown = sorted(set(variables) - declared)
        if unknown:
            raise RenderError(f"template '{self.id}' has no variable {', '.join(unknown)}")
        missing = [
            v.name
            for v in self.variables
            if v.required and not str(variables.get(v.name, "")).strip()
        ]
        if missing:
            raise RenderError(f"required variable left empty: {', '.join(missing)}")
        values: dict[str, Any] = {v.name: "" for v in self.variables}
        values.update({k: str(v) for k, v in variables.items()})
        values.update({k: str(v) for k, v in context.items()})
        try:
            text = _ENV.from_string(self.body).render(values).strip()
        except TemplateError as exc:
            raise RenderError(f"template '{self.id}': {exc}") from exc
        if len(text) > MAX_TEXT:
            raise RenderError(f"template '{self.id}' gave more than {MAX_TEXT:,} characters")
        return text


def best_first(
    templates: list[ReplyTemplate],
    category: Category,
    platform: Platform,
    level: int,
    text: str = "",
) -> list[ReplyTemplate]:
    """The composer's order: a template written for this very category comes first; among
    those, one whose title shares more words with the post (`text`: "delivery" for a late
    delivery), then one written for fewer categories, for this platform, for this crisis
    level. A template for anything comes after those that name the case; ties by title."""
    said = _stems(text)  # "delayed" and "delay" share a stem; short words say little

    def rank(t: ReplyTemplate) -> tuple[bool, int, int, bool, bool, str]:
        shared = len(_stems(t.title) & said)
        return (
            category not in t.categories,
            -shared,
            len(t.categories),
            platform not in t.platforms,
            t.levels is None or level not in t.levels,
            t.title.casefold(),
        )

    return sorted(templates, key=rank)


def _stems(text: str) -> set[str]:
    return {word[:5] for word in re.findall(r"[a-z]{4,}", text.casefold())}


def approval_record(template: ReplyTemplate, by: str, at: datetime) -> dict[str, Any]:
    """What the store keeps of one approval of a template's content."""
    return {"id": template.id, "version": template.version, "sha256": template.sha256,
            "by": by, "at": at.isoformat()}  # fmt: skip


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_template(path: Path) -> ReplyTemplate:
    """Parse and check one template file; every problem is reported at once."""
    file = str(path)
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n") or "\n---\n" not in text[4:]:
        raise TemplateFileError(
            [Problem(file, 1, "", "must start with front matter between --- lines")]
        )
    head, body = text[4:].split("\n---\n", 1)
    body_line = head.count("\n") + 4  # the opening ---, the front matter, the closing ---
    doc, problems = load_yaml(head, file)
    if doc is None:
        raise TemplateFileError(problems)
    # Front-matter lines are counted from the first line of the file, after the opening ---.
    doc.lines.update({p: n + 1 for p, n in doc.lines.items()})
    check = Checker(doc, file, problems)
    keys = {
        "id",
        "title",
        "categories",
        "roles",
        "levels",
        "platforms",
        "version",
        "variables",
        "allow",
        "auto_send",
    }
    check.mapping((), keys)
    ident = check.typed(("id",), str)
    if ident is not None and ident != path.stem:
        check.fail(("id",), f"must match the file name '{path.stem}'")
    title = check.typed(("title",), str)
    categories = check.enum_set(("categories",), Category) or frozenset()
    roles = check.enum_set(("roles",), Role)
    if not roles:
        check.fail(("roles",), "name the roles that may use this template")
    levels = _levels(check)
    platforms = check.enum_set(("platforms",), Platform) or frozenset()
    version = check.positive_int(("version",))
    variables = _variables(check)
    allow = frozenset(check.strings(("allow",), required=False))
    for kind in sorted(allow - PERSONAL_DATA_KINDS):
        check.fail(("allow",), f"'{kind}' is not one of {sorted(PERSONAL_DATA_KINDS)}")
    auto_send = check.typed(("auto_send",), bool, required=False)
    try:
        parsed = _ENV.parse(body)
        used = meta.find_undeclared_variables(parsed)
        for node in parsed.find_all((nodes.For, nodes.Macro, nodes.CallBlock)):
            check.problems.append(
                Problem(
                    file,
                    body_line + node.lineno - 1,
                    "body",
                    "a reply template fills in blanks: no loops or macros",
                )
            )
    except TemplateSyntaxError as exc:
        problems_line = body_line + (exc.lineno or 1) - 1
        check.problems.append(
            Problem(file, problems_line, "body", f"not valid Jinja: {exc.message}")
        )
        used = set()
    undeclared = sorted(used - {v.name for v in variables} - CONTEXT_NAMES)
    if undeclared:
        check.problems.append(
            Problem(
                file, body_line, "body", f"uses undeclared variable(s): {', '.join(undeclared)}"
            )
        )
    if check.problems:
        raise TemplateFileError(check.problems)
    assert ident is not None and title is not None and roles and version is not None
    return ReplyTemplate(
        ident,
        title,
        categories,
        roles,
        levels,
        platforms,
        version,
        variables,
        allow,
        auto_send is not False,
        body.strip(),
        content_hash(text),
        file,
    )


def _levels(check: Checker) -> frozenset[int] | None:
    value = check.node(("levels",))
    if value is None or value == "*":
        return None
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in items):
        check.fail(("levels",), "must be * or a list of level numbers")
        return None
    return frozenset(items)


def _variables(check: Checker) -> tuple[Variable, ...]:
    if check.node(("variables",)) is None:
        return ()
    out = []
    for name in check.mapping(("variables",)):
        path = ("variables", name)
        check.mapping(path, {"description", "required"})
        description = check.typed(path + ("description",), str)
        required = check.typed(path + ("required",), bool, required=False)
        if str(name) in CONTEXT_NAMES:
            check.fail(path, f"'{name}' is given by the mention; pick another name")
        out.append(Variable(str(name), description or "", bool(required)))
    return tuple(out)


class LazyTemplates(MutableMapping[str, "ReplyTemplate"]):
    """Templates loaded the first time one is asked for: a command that drafts no reply
    (`crisis status`, `tick`, an ingest) never parses the template files."""

    def __init__(self, load: Callable[[], Mapping[str, ReplyTemplate]]) -> None:
        self._load = load
        self._found: dict[str, ReplyTemplate] | None = None

    def _all(self) -> dict[str, ReplyTemplate]:
        if self._found is None:
            self._found = dict(self._load())
        return self._found

    def __getitem__(self, template_id: str) -> ReplyTemplate:
        return self._all()[template_id]

    def __setitem__(self, template_id: str, template: ReplyTemplate) -> None:
        self._all()[template_id] = template

    def __delitem__(self, template_id: str) -> None:
        del self._all()[template_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def load_templates(folder: Path) -> tuple[dict[str, ReplyTemplate], list[Problem]]:
    """Every template in `folder`; a broken one is left out and its problems returned."""
    found: dict[str, ReplyTemplate] = {}
    problems: list[Problem] = []
    for path in sorted(folder.glob("*.j2")):
        try:
            template = load_template(path)
        except TemplateFileError as exc:
            problems.extend(exc.problems)
            continue
        found[template.id] = template
    return found, problems
