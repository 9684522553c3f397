"""Routing comes from the playbook's rules, names the rule, and harm always goes to the lead."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from crisis_console.core.models import Platform, Role
from crisis_console.core.playbook.playbook import Playbook, RoutingRule
from crisis_console.core.playbook.playbook_check import load_playbook
from crisis_console.core.triage.routing import CRISIS_RULE, DEFAULT_RULE, HARM_RULE, Triager, route
from tests.conftest import ROOT, parsed, record


def triage(triager: Triager, text: str, **fields: object):  # type: ignore[no-untyped-def]
    [item] = parsed(record("1", text, **fields))
    return triager.triage(item.mention)


def test_rules_pick_queue_and_sla_from_the_playbook(triager: Triager, playbook: Playbook) -> None:
    legal = triage(triager, "My lawyer will be in touch about this")
    assert (legal.route.queue, legal.route.rule) == (Role.LEGAL, "legal threats to legal")
    assert legal.route.respond_within_minutes == playbook.sla_minutes[legal.classification.urgency]
    question = triage(triager, "How do I pause my subscription?")
    assert question.route.queue is Role.SUPPORT
    praise = triage(triager, "Love the new range, thank you!")
    assert (praise.route.queue, praise.route.rule) == (Role.SOCIAL, DEFAULT_RULE)


def test_harm_goes_to_the_lead_whatever_the_rules_say(triager: Triager, playbook: Playbook) -> None:
    grab_all = RoutingRule(name="everything to support", queue=Role.SUPPORT)
    greedy = dataclasses.replace(playbook, routing_rules=(grab_all,))
    t = triage(triager, "The kettle gave me an electric shock")
    r = route(t.mention, t.classification, greedy)
    assert (r.queue, r.escalate, r.rule) == (Role.LEAD, True, HARM_RULE)
    assert r.respond_within_minutes == playbook.sla_minutes[t.classification.urgency]


def test_conditions_on_platform_and_reach(triager: Triager, playbook: Playbook) -> None:
    rule = RoutingRule(
        name="big reddit posts",
        queue=Role.PR,
        min_followers=10_000,
        platforms=frozenset({Platform.REDDIT}),
    )
    custom = dataclasses.replace(playbook, routing_rules=(rule,))
    small = triage(triager, "Saw your van today", platform="reddit", followers=50)
    big = triage(triager, "Saw your van today", platform="reddit", followers=50_000)
    elsewhere = triage(triager, "Saw your van today", platform="x", followers=50_000)
    assert route(small.mention, small.classification, custom).queue is Role.SOCIAL
    assert route(big.mention, big.classification, custom).rule == "big reddit posts"
    assert route(elsewhere.mention, elsewhere.classification, custom).queue is Role.SOCIAL


ROUTING_TABLE = [
    # playbook, text, level, queue, rule
    (
        "general",
        "Worst service ever, still waiting for my refund",
        0,
        Role.SUPPORT,
        "questions and complaints to customer service",
    ),
    ("general", "Worst service ever, still waiting for my refund", 2, Role.PR, CRISIS_RULE),
    ("general", "My solicitor will be in touch", 0, Role.LEGAL, "legal threats to legal"),
    ("general", "The kettle gave me an electric shock", 2, Role.LEAD, HARM_RULE),
    ("general", "Love the new range, thank you!", 2, Role.SOCIAL, DEFAULT_RULE),
    (
        "product-recall",
        "Which batch numbers are affected by the issue?",
        0,
        Role.PR,
        "anything about the product's safety to PR",
    ),
    (
        "product-recall",
        "How do I pause my subscription?",
        0,
        Role.SUPPORT,
        "questions and complaints to customer service",
    ),
    (
        "data-breach",
        "How do I reset my password?",
        0,
        Role.SUPPORT,
        "questions and complaints to customer service",
    ),
    (
        "data-breach",
        "How do I reset my password?",
        1,
        Role.PR,
        "account and password worries to PR while the breach is open",
    ),
]


@pytest.mark.parametrize(("name", "text", "level", "queue", "rule"), ROUTING_TABLE)
def test_routing_table_of_the_shipped_playbooks(
    name: str, text: str, level: int, queue: Role, rule: str
) -> None:
    playbook = load_playbook(ROOT / "playbooks" / f"{name}.yaml")
    [item] = parsed(record("1", text))
    t = Triager(playbook).triage(item.mention, level=level)
    assert (t.route.queue, t.route.rule) == (queue, rule)
    assert t.route.respond_within_minutes == playbook.sla(t.classification.urgency, level)


def test_a_pr_lead_edits_a_rule_and_the_routing_changes(tmp_path: Path) -> None:
    original = (ROOT / "playbooks" / "general.yaml").read_text()
    edited = original.replace(
        "    - name: legal threats to legal\n      when: {category: legal}\n      queue: legal\n",
        "    - name: legal threats to PR first\n      when: {category: legal}\n      queue: pr\n",
    ).replace("  ack_minutes: 5", "  ack_minutes: 2")
    assert edited != original
    path = tmp_path / "general.yaml"
    path.write_text(edited)
    before = Triager(load_playbook(ROOT / "playbooks" / "general.yaml"))
    after_playbook = load_playbook(path)
    [item] = parsed(record("1", "My solicitor will be in touch"))
    assert before.triage(item.mention).route.queue is Role.LEGAL
    route = Triager(after_playbook).triage(item.mention).route
    assert (route.queue, route.rule) == (Role.PR, "legal threats to PR first")
    assert after_playbook.alarm_ack_minutes == 2


@pytest.mark.parametrize("name", ["general", "data-breach", "product-recall"])
def test_a_triage_routes_at_every_level_as_route_does(name: str) -> None:
    """`Triager` sorts the rules by level once and tries each rule once a mention; every
    level's queue and rule, and the chosen route, must still be exactly `route`'s."""
    book = load_playbook(ROOT / "playbooks" / f"{name}.yaml")
    triager = Triager(book)
    lines = (ROOT / "tests" / "data" / "devset.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines][:200]
    platforms = ["x", "reddit", "review", "tiktok"]
    levels = [level.number for level in book.levels]
    assert len(levels) > 1 and book.routing_rules
    for i, text in enumerate(texts):
        fields = {"platform": platforms[i % 4], "followers": (0, 5_000, 80_000)[i % 3]}
        [item] = parsed(record(str(i), text, verified=i % 7 == 0, **fields))
        for level in [*levels, max(levels) + 5]:
            got = triager.triage(item.mention, 0, level)
            c = got.classification
            expected = route(item.mention, c, book, level)
            at = tuple(
                (n, r.queue, r.rule) for n in levels for r in [route(item.mention, c, book, n)]
            )
            assert got.route == dataclasses.replace(expected, levels=at), (name, text, level)
