"""Loads and validates a playbook file, collecting every problem before refusing it.

A playbook is YAML a PR lead edits. It holds the classification vocabulary (terms per
category, harmless idioms, negations, reach thresholds, sentiment cut-offs), the
category -> urgency map, routing rules and SLAs. `load_playbook` either returns a whole
`Playbook` or raises `PlaybookError` listing every problem with its file, line and field;
it never half-loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from crisis_console.core.errors import PlaybookError, Problem
from crisis_console.core.models import Category, Platform, Role, SentimentLabel, Urgency
from crisis_console.core.yamlfile import Path as YamlPath
from crisis_console.core.yamlfile import YamlDocument, dotted, load_yaml

E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class CategoryRule:
    """Terms that put a mention in `category`, and the urgency that category carries."""

    category: Category
    urgency: Urgency
    escalate: bool
    terms: tuple[str, ...]
    # The tones in which the category applies: praise said in a negative tone is not praise
    # ("thanks for the delay"), and a complaint term in a positive post is a resolved one.
    tones: frozenset[SentimentLabel] = frozenset(SentimentLabel)
    # Added to the sentiment (VADER units) when this category is chosen: a safety report is
    # negative even when written calmly.
    sentiment_weight: float = 0.0


@dataclass(frozen=True, slots=True)
class RoutingRule:
    """`when` conditions (all must hold; an absent one matches anything) -> `queue`."""

    name: str
    queue: Role
    categories: frozenset[Category] | None = None
    urgencies: frozenset[Urgency] | None = None
    sentiments: frozenset[SentimentLabel] | None = None
    platforms: frozenset[Platform] | None = None
    escalate: bool | None = None
    min_followers: int | None = None


@dataclass(frozen=True, slots=True)
class Playbook:
    id: str
    title: str
    version: int
    source: str
    negative_below: float
    positive_above: float
    service_terms: tuple[tuple[str, float], ...]
    sarcasm_cues: tuple[str, ...]
    negations: tuple[str, ...]
    benign_phrases: tuple[str, ...]
    categories: tuple[CategoryRule, ...]
    fallback: dict[SentimentLabel, tuple[Category, Urgency]]
    high_reach_followers: int
    viral_shares: int
    repeat_author_posts: int
    routing_rules: tuple[RoutingRule, ...]
    default_queue: Role
    sla_minutes: dict[Urgency, int]


def load_playbook(path: Path) -> Playbook:
    """Read and validate the playbook at `path`; raise `PlaybookError` with every problem."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlaybookError([Problem(file, 0, "", f"cannot read: {exc}")]) from exc
    doc, problems = load_yaml(text, file)
    if doc is None:
        raise PlaybookError(problems)
    checker = _Checker(doc, file, problems)
    playbook = checker.playbook()
    if checker.problems:
        raise PlaybookError(checker.problems)
    assert playbook is not None
    return playbook


_TOP_KEYS = {
    "id",
    "title",
    "version",
    "sentiment",
    "vocabulary",
    "categories",
    "fallback",
    "reach",
    "routing",
    "sla_minutes",
}
_RULE_WHEN_KEYS = {"category", "urgency", "sentiment", "platform", "escalate", "min_followers"}


class _Checker:
    """Walks the parsed YAML, building typed values and recording every problem."""

    def __init__(self, doc: YamlDocument, file: str, problems: list[Problem]) -> None:
        self.doc, self.file, self.problems = doc, file, list(problems)

    def fail(self, path: YamlPath, message: str) -> None:
        self.problems.append(Problem(self.file, self.doc.line_of(path), dotted(path), message))

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

    def playbook(self) -> Playbook | None:
        self.mapping((), _TOP_KEYS)
        ident = self.typed(("id",), str)
        title = self.typed(("title",), str)
        version = self.typed(("version",), int)
        self.mapping(
            ("sentiment",), {"negative_below", "positive_above", "service_terms", "sarcasm_cues"}
        )
        negative_below = self.typed(("sentiment", "negative_below"), (int, float))
        positive_above = self.typed(("sentiment", "positive_above"), (int, float))
        if (
            negative_below is not None
            and positive_above is not None
            and negative_below > positive_above
        ):
            self.fail(("sentiment",), "negative_below must not exceed positive_above")
        service_terms = self._weights(("sentiment", "service_terms"))
        sarcasm_cues = self.strings(("sentiment", "sarcasm_cues"), required=False)
        self.mapping(("vocabulary",), {"negations", "benign_phrases"})
        negations = self.strings(("vocabulary", "negations"))
        benign = self.strings(("vocabulary", "benign_phrases"))
        categories = self._categories()
        fallback = self._fallback()
        self.mapping(("reach",), {"high_followers", "viral_shares", "repeat_author_posts"})
        high_reach = self.typed(("reach", "high_followers"), int)
        # Optional: 0 turns the rule off.
        viral_shares = self.typed(("reach", "viral_shares"), int, required=False) or 0
        repeat_posts = self.typed(("reach", "repeat_author_posts"), int, required=False) or 0
        rules, default_queue = self._routing()
        sla = self._sla()
        if self.problems:
            return None
        return Playbook(
            id=ident, title=title, version=version, source=self.file,
            negative_below=float(negative_below), positive_above=float(positive_above),
            service_terms=service_terms, sarcasm_cues=sarcasm_cues,
            negations=negations, benign_phrases=benign, categories=categories,
            fallback=fallback, high_reach_followers=high_reach, viral_shares=viral_shares,
            repeat_author_posts=repeat_posts, routing_rules=rules,
            default_queue=default_queue, sla_minutes=sla,
        )  # fmt: skip

    def _categories(self) -> tuple[CategoryRule, ...]:
        items = self.typed(("categories",), list) or []
        out: list[CategoryRule] = []
        seen: set[Category] = set()
        for i in range(len(items)):
            path: YamlPath = ("categories", i)
            self.mapping(
                path, {"category", "urgency", "escalate", "terms", "tones", "sentiment_weight"}
            )
            category = self.enum(path + ("category",), Category)
            urgency = self.enum(path + ("urgency",), Urgency)
            escalate = self.typed(path + ("escalate",), bool, required=False) or False
            tones = self.enum_set(path + ("tones",), SentimentLabel) or frozenset(SentimentLabel)
            weight = self.typed(path + ("sentiment_weight",), (int, float), required=False) or 0
            terms = self.strings(path + ("terms",))
            if category in seen:
                self.fail(path + ("category",), f"'{category}' is listed twice")
            if category is not None and urgency is not None:
                seen.add(category)
                out.append(CategoryRule(category, urgency, escalate, terms, tones, float(weight)))
        return tuple(out)

    def _weights(self, path: YamlPath) -> tuple[tuple[str, float], ...]:
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

    def _fallback(self) -> dict[SentimentLabel, tuple[Category, Urgency]]:
        labels = {label.value for label in SentimentLabel}
        self.mapping(("fallback",), labels)
        out: dict[SentimentLabel, tuple[Category, Urgency]] = {}
        for label in SentimentLabel:
            path: YamlPath = ("fallback", label.value)
            self.mapping(path, {"category", "urgency"})
            category = self.enum(path + ("category",), Category)
            urgency = self.enum(path + ("urgency",), Urgency)
            if category is not None and urgency is not None:
                out[label] = (category, urgency)
        return out

    def _routing(self) -> tuple[tuple[RoutingRule, ...], Role]:
        self.mapping(("routing",), {"default_queue", "rules"})
        default_queue = self.enum(("routing", "default_queue"), Role) or Role.SOCIAL
        items = self.typed(("routing", "rules"), list) or []
        rules: list[RoutingRule] = []
        for i in range(len(items)):
            path: YamlPath = ("routing", "rules", i)
            self.mapping(path, {"name", "when", "queue"})
            name = self.typed(path + ("name",), str)
            queue = self.enum(path + ("queue",), Role)
            when = path + ("when",)
            self.mapping(when, _RULE_WHEN_KEYS)
            rule = RoutingRule(
                name=name or f"rule {i + 1}",
                queue=queue or Role.SOCIAL,
                categories=self.enum_set(when + ("category",), Category),
                urgencies=self.enum_set(when + ("urgency",), Urgency),
                sentiments=self.enum_set(when + ("sentiment",), SentimentLabel),
                platforms=self.enum_set(when + ("platform",), Platform),
                escalate=self.typed(when + ("escalate",), bool, required=False),
                min_followers=self.typed(when + ("min_followers",), int, required=False),
            )
            rules.append(rule)
        return tuple(rules), default_queue

    def _sla(self) -> dict[Urgency, int]:
        self.mapping(("sla_minutes",), {u.value for u in Urgency})
        out: dict[Urgency, int] = {}
        for urgency in Urgency:
            minutes = self.typed(("sla_minutes", urgency.value), int)
            if minutes is not None and minutes <= 0:
                self.fail(("sla_minutes", urgency.value), "must be a positive number of minutes")
            elif minutes is not None:
                out[urgency] = minutes
        return out


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a text", int: "a whole number", float: "a number", bool: "true or false",
             list: "a list", dict: "a mapping of fields"}  # fmt: skip
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(dict.fromkeys(names.get(k, k.__name__) for k in kinds))
