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
    Classification,
    Mention,
    Role,
    Route,
    SentimentLabel,
    Triage,
)
from crisis_console.core.playbook.playbook import Playbook, RoutingRule
from crisis_console.core.triage.classify import Classifier

DEFAULT_RULE = "default queue"
HARM_RULE = "risk of harm: straight to the lead"
CRISIS_RULE = "crisis mode: negative mentions to PR"


@lru_cache(maxsize=256)
def _keywords(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)")


def rule_matches(rule: RoutingRule, mention: Mention, c: Classification, level: int = 0) -> bool:
    """True when every condition the rule sets holds; an unset condition matches anything."""
    return (
        (rule.levels is None or level in rule.levels)
        and (rule.categories is None or c.category in rule.categories)
        and (rule.urgencies is None or c.urgency in rule.urgencies)
        and (rule.sentiments is None or c.sentiment.label in rule.sentiments)
        and (rule.platforms is None or mention.platform in rule.platforms)
        and (rule.escalate is None or c.escalate == rule.escalate)
        and (rule.min_followers is None or mention.followers >= rule.min_followers)
        and (rule.keywords is None or bool(_keywords(rule.keywords).search(mention.text.lower())))
    )


def route(
    mention: Mention, classification: Classification, playbook: Playbook, level: int = 0
) -> Route:
    """Pick the queue and first-response SLA for a classified mention at a crisis level."""
    minutes = playbook.sla(classification.urgency, level)
    if classification.escalate:
        # Harm bypasses the queues: no rule may send it anywhere but the lead.
        return Route(Role.LEAD, minutes, True, HARM_RULE)
    negative = classification.sentiment.label is SentimentLabel.NEGATIVE
    if playbook.level(level).crisis and negative:
        return Route(Role.PR, minutes, False, CRISIS_RULE)
    for rule in playbook.routing_rules:
        if rule_matches(rule, mention, classification, level):
            return Route(rule.queue, minutes, False, rule.name)
    return Route(playbook.default_queue, minutes, False, DEFAULT_RULE)


class Triager:
    """Classifies and routes under one playbook: the pure heart of `triage` and ingest."""

    def __init__(self, playbook: Playbook) -> None:
        self.playbook = playbook
        self._classifier = Classifier(playbook)
        self._levels = tuple(level.number for level in playbook.levels)

    def triage(self, mention: Mention, earlier_posts: int = 0, level: int = 0) -> Triage:
        """`earlier_posts`: how many posts the same author has made before this one;
        `level`: the crisis level in force."""
        classification = self._classifier.classify(mention, earlier_posts)
        chosen = route(mention, classification, self.playbook, level)
        levels = tuple(
            (n, r.queue, r.rule)
            for n in self._levels
            for r in [chosen if n == level else route(mention, classification, self.playbook, n)]
        )
        return Triage(mention, classification, replace(chosen, levels=levels))

    def reroute(self, triage: Triage, level: int) -> Triage:
        """The same mention and classification, routed again at another level."""
        chosen = route(triage.mention, triage.classification, self.playbook, level)
        return Triage(
            triage.mention, triage.classification, replace(chosen, levels=triage.route.levels)
        )
