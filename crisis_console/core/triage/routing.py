"""Routing: a pure function of (mention, classification, playbook, level) -> queue, SLA,
escalation.

A mention that must escalate (risk of harm) goes to the lead whatever the rules say. At a
crisis level, negative mentions go to PR. Otherwise the playbook's rules are tried in order;
the first whose every condition holds wins, and its name is kept on the route so the console
and `triage` can say which rule matched.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

from crisis_console.core.models import (
    Category,
    Classification,
    Mention,
    Role,
    Route,
    SentimentLabel,
    Triage,
    Urgency,
)
from crisis_console.core.playbook.playbook import CategoryRule, Playbook, RoutingRule
from crisis_console.core.triage.classify import Classifier

DEFAULT_RULE = "default queue"
HARM_RULE = "risk of harm: straight to the lead"
CRISIS_RULE = "crisis mode: negative mentions to PR"


@lru_cache(maxsize=256)
def _keywords(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)")


def rule_matches(rule: RoutingRule, mention: Mention, c: Classification, level: int = 0) -> bool:
    """True when every condition the rule sets holds; an unset condition matches anything."""
    return (rule.levels is None or level in rule.levels) and _holds(rule, mention, c, None)


def _holds(rule: RoutingRule, mention: Mention, c: Classification, lowered: str | None) -> bool:
    """The rule's conditions but its levels; `lowered`: the text lower-cased, if at hand."""
    return (
        (rule.categories is None or c.category in rule.categories)
        and (rule.urgencies is None or c.urgency in rule.urgencies)
        and (rule.sentiments is None or c.sentiment.label in rule.sentiments)
        and (rule.platforms is None or mention.platform in rule.platforms)
        and (rule.escalate is None or c.escalate == rule.escalate)
        and (rule.min_followers is None or mention.followers >= rule.min_followers)
        and (
            rule.keywords is None
            or bool(_keywords(rule.keywords).search(lowered or mention.words.lower()))
        )
    )


def route(
    mention: Mention, classification: Classification, playbook: Playbook, level: int = 0
) -> Route:
    """Pick the queue and first-response SLA for a classified mention at a crisis level."""
    minutes = playbook.sla(classification.urgency, level)
    if classification.escalate:
        # Harm bypasses the queues: no rule may send it anywhere but the lead.
        return Route(Role.LEAD, minutes, True, HARM_RULE, sla_level=level)
    negative = classification.sentiment.label is SentimentLabel.NEGATIVE
    if playbook.level(level).crisis and negative:
        return Route(Role.PR, minutes, False, CRISIS_RULE, sla_level=level)
    for rule in playbook.routing_rules:
        if rule_matches(rule, mention, classification, level):
            return Route(rule.queue, minutes, False, rule.name, sla_level=level)
    return Route(playbook.default_queue, minutes, False, DEFAULT_RULE, sla_level=level)


class Triager:
    """Classifies and routes under one playbook: the pure heart of `triage` and ingest.

    A mention is routed at every level of the playbook on arrival (`Route.levels`). The
    levels are sorted here, once, into the rules each applies (most share one list), so a
    mention is run through each distinct list of rules once: the answers of `route` at
    every level, for a fraction of the work."""

    def __init__(self, playbook: Playbook) -> None:
        self.playbook = playbook
        self._classifier = Classifier(playbook)
        self._levels = tuple(level.number for level in playbook.levels)
        lists: dict[tuple[RoutingRule, ...], int] = {}
        # (level, whether it is a crisis, which list of rules applies at it)
        self._plan = tuple(
            (
                n,
                playbook.level(n).crisis,
                lists.setdefault(
                    tuple(r for r in playbook.routing_rules if r.levels is None or n in r.levels),
                    len(lists),
                ),
            )
            for n in self._levels
        )
        self._lists = tuple(lists)
        self._harm = tuple((n, Role.LEAD, HARM_RULE) for n in self._levels)
        self._minutes = {(u, n): playbook.sla(u, n) for u in Urgency for n in self._levels}

    def triage(self, mention: Mention, earlier_posts: int = 0, level: int = 0) -> Triage:
        """`earlier_posts`: how many posts the same author has made before this one;
        `level`: the crisis level in force."""
        classification = self._classifier.classify(mention, earlier_posts)
        return self.routed(mention, classification, level)

    def routed(self, mention: Mention, classification: Classification, level: int) -> Triage:
        """The mention so classified, routed at every level (`Route.levels`); its queue and
        SLA those of its urgency at `level`: the level in force when it arrived (for an edit
        or a person's correction of a stored one, `arrival_level`)."""
        if level not in self._levels:  # a level the playbook does not name: as `route` has it
            chosen = route(mention, classification, self.playbook, level)
            levels = tuple(
                (n, r.queue, r.rule)
                for n in self._levels
                for r in [route(mention, classification, self.playbook, n)]
            )
            return Triage(mention, classification, replace(chosen, levels=levels))
        levels = self._harm if classification.escalate else self._routed(mention, classification)
        queue, rule = next((q, r) for n, q, r in levels if n == level)
        minutes = self._minutes[classification.urgency, level]
        chosen = Route(queue, minutes, classification.escalate, rule, levels, level)
        return Triage(mention, classification, chosen)

    def arrival_level(self, triage: Triage) -> int:
        """The crisis level in force when a stored mention arrived, whose SLA it keeps through
        later level changes, edits and corrections. A route stored before that level was
        kept: the lowest level whose SLA for its urgency is the one it has (else 0)."""
        route = triage.route
        if route.sla_level is not None:
            return route.sla_level
        urgency, minutes = triage.classification.urgency, route.respond_within_minutes
        return next((n for n in self._levels if self._minutes[urgency, n] == minutes), 0)

    def rule_for(self, category: Category) -> CategoryRule | None:
        """The rule that puts a mention in `category` (its urgency, whether it escalates)."""
        return self._classifier.rule_for(category)

    def urgency_of(self, category: Category, tone: SentimentLabel) -> Urgency:
        """The urgency a mention of `category` said in `tone` carries: its rule's, else the
        playbook's for a post of that tone with no category term, else normal."""
        rule = self.rule_for(category)
        if rule is not None:
            return rule.urgency
        fallback, urgency = self.playbook.fallback[tone]
        return urgency if fallback is category else Urgency.NORMAL

    def _routed(self, mention: Mention, c: Classification) -> tuple[tuple[int, Role, str], ...]:
        """(level, queue, rule) of `route` at each of the playbook's levels, for a mention
        that does not escalate."""
        negative = c.sentiment.label is SentimentLabel.NEGATIVE
        lowered = mention.words.lower()
        answers: dict[int, tuple[Role, str]] = {}  # by list of rules
        levels: list[tuple[int, Role, str]] = []
        for n, crisis, rules in self._plan:
            if crisis and negative:
                levels.append((n, Role.PR, CRISIS_RULE))
                continue
            answer = answers.get(rules)
            if answer is None:
                answer = answers[rules] = next(
                    (
                        (r.queue, r.name)
                        for r in self._lists[rules]
                        if _holds(r, mention, c, lowered)
                    ),
                    (self.playbook.default_queue, DEFAULT_RULE),
                )
            levels.append((n, *answer))
        return tuple(levels)

    def reroute(self, triage: Triage, level: int) -> Triage:
        """The same mention and classification, routed again at another level."""
        chosen = route(triage.mention, triage.classification, self.playbook, level)
        return Triage(
            triage.mention, triage.classification, replace(chosen, levels=triage.route.levels)
        )
