"""Routing: a pure function of (mention, classification, playbook) -> queue, SLA, escalation.

Rules are tried in the playbook's order; the first whose every condition holds wins and its
name is kept on the route, so the console and `triage` can say which rule matched. A mention
that must escalate (risk of harm) goes to the lead whatever the rules say.
"""

from __future__ import annotations

from crisis_console.core.classify import Classifier
from crisis_console.core.models import Classification, Mention, Role, Route, Triage
from crisis_console.core.playbook import Playbook, RoutingRule

DEFAULT_RULE = "default queue"
HARM_RULE = "risk of harm: straight to the lead"


def rule_matches(rule: RoutingRule, mention: Mention, c: Classification) -> bool:
    """True when every condition the rule sets holds; an unset condition matches anything."""
    return (
        (rule.categories is None or c.category in rule.categories)
        and (rule.urgencies is None or c.urgency in rule.urgencies)
        and (rule.sentiments is None or c.sentiment.label in rule.sentiments)
        and (rule.platforms is None or mention.platform in rule.platforms)
        and (rule.escalate is None or c.escalate == rule.escalate)
        and (rule.min_followers is None or mention.followers >= rule.min_followers)
    )


def route(mention: Mention, classification: Classification, playbook: Playbook) -> Route:
    """Pick the queue and first-response SLA for a classified mention."""
    minutes = playbook.sla_minutes[classification.urgency]
    if classification.escalate:
        # Harm bypasses the queues: no rule may send it anywhere but the lead.
        return Route(Role.LEAD, minutes, True, HARM_RULE)
    for rule in playbook.routing_rules:
        if rule_matches(rule, mention, classification):
            return Route(rule.queue, minutes, False, rule.name)
    return Route(playbook.default_queue, minutes, False, DEFAULT_RULE)


class Triager:
    """Classifies and routes under one playbook: the pure heart of `triage` and ingest."""

    def __init__(self, playbook: Playbook) -> None:
        self.playbook = playbook
        self._classifier = Classifier(playbook)

    def triage(self, mention: Mention, earlier_posts: int = 0) -> Triage:
        """`earlier_posts`: how many posts the same author has made before this one."""
        classification = self._classifier.classify(mention, earlier_posts)
        return Triage(mention, classification, route(mention, classification, self.playbook))
