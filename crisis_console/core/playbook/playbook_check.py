"""Reading a playbook file: every problem found in one pass, or a whole `Playbook`."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Collection
from pathlib import Path
from typing import Any

from crisis_console.core.errors import PlaybookError, Problem
from crisis_console.core.models import Category, Platform, Role, SentimentLabel, Urgency
from crisis_console.core.playbook.brand import check_brand
from crisis_console.core.playbook.playbook import (
    NOTIFY_KINDS,
    CategoryRule,
    ChecklistStep,
    Level,
    Playbook,
    RoleMatrix,
    RoutingRule,
    SpikeRules,
    Triggers,
    step_template_problem,
)
from crisis_console.core.playbook.yamlcheck import Checker
from crisis_console.core.playbook.yamlfile import Path as YamlPath
from crisis_console.core.playbook.yamlfile import YamlDocument, load_yaml
from crisis_console.core.work.model import WorkError, normalise_tag

_TOP_KEYS = {
    "extends",
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
    "levels",
    "roles",
    "spike",
    "alarm",
    "confidential_terms",
    "embargoed_terms",
    "brand",
    "tags",
}
_WHEN_KEYS = {
    "category",
    "urgency",
    "sentiment",
    "platform",
    "escalate",
    "min_followers",
    "keywords",
    "levels",
}
_LEVEL_KEYS = {"level", "name", "crisis", "templates", "sla_minutes", "checklist", "triggers",
               "disclaimer"}  # fmt: skip


def load_playbook(
    path: Path, _extended_by: tuple[Path, ...] = (), templates: Collection[str] | None = None
) -> Playbook:
    """Read and validate the playbook at `path`; raise `PlaybookError` with every problem.
    `templates`: the template ids there are, to check those its checklist steps name."""
    file = str(path)
    doc = _document(path, _extended_by)
    checker = PlaybookChecker(doc, file, [])
    checker.known_templates = templates
    playbook = checker.playbook()
    if checker.problems or playbook is None:
        raise PlaybookError(checker.problems)
    digest = hashlib.sha256()
    for name in [file, *sorted(set(doc.origins.values()) - {file})]:  # it, then its bases
        digest.update(Path(name).read_bytes())
    return dataclasses.replace(playbook, sha256=digest.hexdigest())


def _document(path: Path, seen: tuple[Path, ...]) -> YamlDocument:
    """The playbook's YAML, laid over the playbook it `extends` (a path beside it), if any.
    A broken base is refused with its own problems, named in its own file."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlaybookError([Problem(file, 0, "", f"cannot read: {exc}")]) from exc
    doc, problems = load_yaml(text, file)
    if doc is None or problems:
        raise PlaybookError(problems)
    base_name = doc.data.get("extends") if isinstance(doc.data, dict) else None
    if base_name is None:
        return doc
    line = doc.line_of(("extends",))
    if not isinstance(base_name, str) or not base_name.strip():
        raise PlaybookError([Problem(file, line, "extends", "must name a playbook file")])
    base_path = (path.parent / base_name).resolve()
    if base_path in seen or base_path == path.resolve() or len(seen) > 3:
        raise PlaybookError(
            [Problem(file, line, "extends", "playbooks extend each other in a loop")]
        )
    if not base_path.is_file():
        raise PlaybookError(
            [Problem(file, line, "extends", f"no playbook {base_name} beside this one")]
        )
    chain = (*seen, path.resolve())
    load_playbook(base_path, chain)  # the base must stand on its own
    base = _document(base_path, chain)
    return doc.overlay(base, str(base_path), skip="extends")


class PlaybookChecker(Checker):
    known_templates: Collection[str] | None = None

    def playbook(self) -> Playbook | None:
        self.mapping((), _TOP_KEYS)
        ident = self.typed(("id",), str)
        title = self.typed(("title",), str)
        version = self.typed(("version",), int)
        sentiment = self._sentiment()
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
        sla = self._sla(("sla_minutes",), required=True)
        levels = self._levels()
        roles = self._roles()
        spike = self._spike()
        if self.node(("alarm",)) is not None:
            self.mapping(("alarm",), {"ack_minutes"})
        ack = self.positive_int(("alarm", "ack_minutes"), required=False) or 5
        confidential = self.strings(("confidential_terms",), required=False)
        embargoed = self.strings(("embargoed_terms",), required=False)
        brand = check_brand(self)
        tags = self._tags()
        self._cross_check(rules, levels)
        if self.problems:
            return None
        return Playbook(
            id=ident,
            title=title,
            version=version,
            source=self.file,
            negative_below=sentiment[0],
            positive_above=sentiment[1],
            service_terms=sentiment[2],
            sarcasm_cues=sentiment[3],
            negations=negations,
            benign_phrases=benign,
            categories=categories,
            fallback=fallback,
            high_reach_followers=high_reach,
            viral_shares=viral_shares,
            repeat_author_posts=repeat_posts,
            routing_rules=rules,
            default_queue=default_queue,
            sla_minutes=sla,
            levels=levels,
            roles=roles,
            spike=spike,
            alarm_ack_minutes=ack,
            confidential_terms=confidential,
            embargoed_terms=embargoed,
            brand=brand,
            tags=tags,
        )

    def _sentiment(self) -> tuple[float, float, tuple[tuple[str, float], ...], tuple[str, ...]]:
        path: YamlPath = ("sentiment",)
        self.mapping(path, {"negative_below", "positive_above", "service_terms", "sarcasm_cues"})
        negative_below = self.typed(path + ("negative_below",), (int, float))
        positive_above = self.typed(path + ("positive_above",), (int, float))
        if None not in (negative_below, positive_above) and negative_below > positive_above:
            self.fail(path, "negative_below must not exceed positive_above")
        service_terms = self.weights(path + ("service_terms",))
        sarcasm_cues = self.strings(path + ("sarcasm_cues",), required=False)
        return float(negative_below or 0), float(positive_above or 0), service_terms, sarcasm_cues

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

    def _fallback(self) -> dict[SentimentLabel, tuple[Category, Urgency]]:
        self.mapping(("fallback",), {label.value for label in SentimentLabel})
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
            self.mapping(when, _WHEN_KEYS)
            keywords = self.strings(when + ("keywords",), required=False)
            rules.append(
                RoutingRule(
                    name=name or f"rule {i + 1}",
                    queue=queue or Role.SOCIAL,
                    categories=self.enum_set(when + ("category",), Category),
                    urgencies=self.enum_set(when + ("urgency",), Urgency),
                    sentiments=self.enum_set(when + ("sentiment",), SentimentLabel),
                    platforms=self.enum_set(when + ("platform",), Platform),
                    escalate=self.typed(when + ("escalate",), bool, required=False),
                    min_followers=self.typed(when + ("min_followers",), int, required=False),
                    keywords=keywords or None,
                    levels=self._ints(when + ("levels",)),
                )
            )
        return tuple(rules), default_queue

    def _ints(self, path: YamlPath) -> frozenset[int] | None:
        value = self.node(path)
        if value is None:
            return None
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in items):
            self.fail(path, "must be a level number or a list of them")
            return None
        return frozenset(items)

    def _sla(self, path: YamlPath, required: bool) -> dict[Urgency, int]:
        if not required and self.node(path) is None:
            return {}
        self.mapping(path, {u.value for u in Urgency})
        out: dict[Urgency, int] = {}
        for urgency in Urgency:
            minutes = self.positive_int(path + (urgency.value,), required)
            if minutes is not None:
                out[urgency] = minutes
        return out

    def _levels(self) -> tuple[Level, ...]:
        items = self.typed(("levels",), list, required=False) or []
        out: list[Level] = []
        for i in range(len(items)):
            path: YamlPath = ("levels", i)
            self.mapping(path, _LEVEL_KEYS)
            number = self.typed(path + ("level",), int)
            name = self.typed(path + ("name",), str)
            crisis = self.typed(path + ("crisis",), bool, required=False) or False
            templates = self._template_ids(path + ("templates",))
            sla = self._sla(path + ("sla_minutes",), required=False)
            checklist = self._checklist(path + ("checklist",), templates)
            triggers = self._triggers(path + ("triggers",))
            disclaimer = self.typed(path + ("disclaimer",), str, required=False) or ""
            if number is not None and name is not None:
                out.append(
                    Level(number, name, crisis, templates, sla, checklist, triggers, disclaimer)
                )
        numbers = [level.number for level in out]
        if items and numbers != sorted(set(numbers)):
            self.fail(("levels",), "level numbers must be unique and in rising order")
        if items and 0 not in numbers:
            self.fail(("levels",), "a level 0 (normal) is required")
        return tuple(out)

    def _template_ids(self, path: YamlPath) -> tuple[str, ...]:
        value = self.node(path)
        if value is None or value == "*":
            return ("*",)
        return self.strings(path)

    def _checklist(self, path: YamlPath, allowed: tuple[str, ...]) -> tuple[ChecklistStep, ...]:
        items = self.typed(path, list, required=False) or []
        steps: list[ChecklistStep] = []
        ids: set[str] = set()
        for i in range(len(items)):
            step: YamlPath = path + (i,)
            self.mapping(step, {"id", "step", "owner", "due_minutes", "every_minutes", "template"})
            ident = self.typed(step + ("id",), str)
            title = self.typed(step + ("step",), str)
            owner = self.enum(step + ("owner",), Role)
            due = self.positive_int(step + ("due_minutes",))
            every = self.positive_int(step + ("every_minutes",), required=False) or 0
            template = self.typed(step + ("template",), str, required=False) or ""
            why = template and step_template_problem(template, allowed, self.known_templates)
            if why:
                self.fail(step + ("template",), why)
            if ident in ids:
                self.fail(step + ("id",), f"'{ident}' is used twice in this checklist")
            ids.add(ident)
            if ident and title and owner and due:
                steps.append(ChecklistStep(ident, title, owner, due, every, template))
        return tuple(steps)

    def _triggers(self, path: YamlPath) -> Triggers | None:
        if self.node(path) is None:
            return None
        self.mapping(path, {"volume_sigma", "negative_share_rise", "keywords", "keyword_min"})
        sigma = self.typed(path + ("volume_sigma",), (int, float), required=False)
        rise = self.typed(path + ("negative_share_rise",), (int, float), required=False)
        if rise is not None and not 0 < rise < 1:
            self.fail(path + ("negative_share_rise",), "must be between 0 and 1 (a share)")
        keywords = self.strings(path + ("keywords",), required=False)
        keyword_min = self.positive_int(path + ("keyword_min",), required=bool(keywords)) or 0
        return Triggers(sigma, rise, keywords, keyword_min)

    def _roles(self) -> RoleMatrix | None:
        path: YamlPath = ("roles",)
        if self.node(path) is None:
            return None
        self.mapping(path, {"owner", "approvers", "level_changers", "notify", "queue_owners"})
        owner = self.enum(path + ("owner",), Role) or Role.PR
        approvers = self.enum_set(path + ("approvers",), Role) or frozenset({Role.LEAD})
        changers = self.enum_set(path + ("level_changers",), Role) or frozenset(
            {Role.PR, Role.LEAD}
        )
        self.mapping(path + ("notify",), set(NOTIFY_KINDS))
        notify = {
            k: self.enum_set(path + ("notify", k), Role) or frozenset({Role.LEAD})
            for k in NOTIFY_KINDS
        }
        owners_raw: dict[str, Any] = self.mapping(path + ("queue_owners",), {r.value for r in Role})
        queue_owners = {
            Role(queue): self.enum(path + ("queue_owners", queue), Role) or Role.LEAD
            for queue in owners_raw
            if queue in {r.value for r in Role}
        }
        return RoleMatrix(owner, approvers, changers, notify, queue_owners)

    def _spike(self) -> SpikeRules | None:
        path: YamlPath = ("spike",)
        if self.node(path) is None:
            return None
        self.mapping(path, {"interval_minutes", "baseline_intervals", "min_count"})
        interval = self.positive_int(path + ("interval_minutes",)) or 15
        baseline = self.positive_int(path + ("baseline_intervals",)) or 8
        if baseline < 3:
            self.fail(path + ("baseline_intervals",), "needs at least 3 intervals to be a baseline")
        minimum = self.positive_int(path + ("min_count",)) or 1
        return SpikeRules(interval, baseline, minimum)

    def _tags(self) -> tuple[str, ...]:
        """The tags offered for mentions (optional), each written as a tag is stored
        (`normalise_tag`: `refund-request`, not `Refund request`), each once."""
        found: list[str] = []
        for i, tag in enumerate(self.typed(("tags",), list, required=False) or []):
            try:
                normal = normalise_tag(tag) if isinstance(tag, str) else None
            except WorkError as exc:
                self.fail(("tags", i), str(exc))
                continue
            if normal is None:
                self.fail(("tags", i), "must be a text")
            elif normal != tag:
                self.fail(("tags", i), f"write it as {normal!r}, as tags are kept")
            elif normal in found:
                self.fail(("tags", i), "is listed twice")
            else:
                found.append(normal)
        return tuple(found)

    def _cross_check(self, rules: tuple[RoutingRule, ...], levels: tuple[Level, ...]) -> None:
        """Mistakes only visible across sections: a rule for a level that does not exist."""
        numbers = {level.number for level in levels}
        for i, rule in enumerate(rules):
            unknown = sorted((rule.levels or frozenset()) - numbers) if levels else []
            if unknown:
                self.fail(
                    ("routing", "rules", i, "when", "levels"),
                    f"no such level {unknown}; levels are {sorted(numbers)}",
                )
