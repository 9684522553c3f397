"""A crisis playbook: the file a PR lead edits, as typed values.

It holds the classification vocabulary, the category -> urgency map, routing rules, SLAs per
urgency and crisis level, the levels with their triggers, templates and checklists, the role
matrix, confidential and embargoed terms, and the harm-alarm timer. `playbook_check.
load_playbook` reads and validates one, refusing it whole with every problem listed.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from crisis_console.core.models import Category, Platform, Role, SentimentLabel, Urgency

if TYPE_CHECKING:
    from crisis_console.core.playbook.brand import BrandTerms


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
    keywords: tuple[str, ...] | None = None  # any of these, as whole words
    levels: frozenset[int] | None = None  # crisis levels at which the rule applies


@dataclass(frozen=True, slots=True)
class Triggers:
    """What suggests moving to a level. Each part is optional; any one that fires suggests."""

    volume_sigma: float | None = None  # mentions per interval above mean + k·σ of the baseline
    negative_share_rise: float | None = None  # negative share above the baseline's, absolute
    keywords: tuple[str, ...] = ()
    keyword_min: int = 0  # this many mentions with one keyword in an interval


@dataclass(frozen=True, slots=True)
class ChecklistStep:
    id: str
    title: str
    owner: Role
    due_minutes: int  # after the level was raised
    every_minutes: int = 0  # repeats at this cadence (an update cadence), 0 = once
    # A reply template that does the step: a batch of it sent to every mention of the batch
    # ticks the step (`replies/batch.py`); "" = ticked by hand only.
    template: str = ""


@dataclass(frozen=True, slots=True)
class Level:
    number: int
    name: str
    crisis: bool  # pauses ordinary sending, restricts templates, routes negatives to PR
    templates: tuple[str, ...]  # template ids allowed at this level; ("*",) = any
    sla_minutes: dict[Urgency, int]  # overrides of the playbook's SLAs at this level
    checklist: tuple[ChecklistStep, ...]
    triggers: Triggers | None
    disclaimer: str = ""  # every reply at this level must contain it


@dataclass(frozen=True, slots=True)
class RoleMatrix:
    """Who owns the crisis, who approves replies, who hears about what."""

    owner: Role
    approvers: frozenset[Role]
    level_changers: frozenset[Role]
    notify: dict[str, frozenset[Role]]  # event kind (harm, sla_breach, level, spike) -> roles
    queue_owners: dict[Role, Role]  # an SLA breach in a queue escalates to its owner


@dataclass(frozen=True, slots=True)
class SpikeRules:
    interval_minutes: int
    baseline_intervals: int
    min_count: int  # an interval with fewer mentions is never a spike


def step_template_problem(
    template: str, allowed: tuple[str, ...], known: Collection[str] | None
) -> str:
    """Why a checklist step may not name `template` at a level that allows `allowed`
    templates (`known`: the template ids there are, None when not known), or ""."""
    if known is not None and template not in known:
        return f"no template '{template}' in templates/"
    if "*" not in allowed and template not in allowed:
        return f"'{template}' is not one of this level's templates"
    return ""


NOTIFY_KINDS = ("harm", "sla_breach", "level", "spike", "checklist")
_NORMAL = Level(0, "normal", False, ("*",), {}, (), None)


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
    levels: tuple[Level, ...] = ()
    roles: RoleMatrix | None = None
    spike: SpikeRules | None = None
    alarm_ack_minutes: int = 5
    confidential_terms: tuple[str, ...] = ()
    embargoed_terms: tuple[str, ...] = ()
    brand: BrandTerms | None = None  # the brand's own products, recall codes, patterns, slang
    tags: tuple[str, ...] = ()  # tags offered for mentions (`core/work`); any other may be given
    sha256: str = ""  # of its file's content (and its bases'): what a store records in force
    _by_number: dict[int, Level] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_number.update({level.number: level for level in self.levels})

    def level(self, number: int) -> Level:
        """The level with this number; an unknown number reads as the nearest one below."""
        below = [n for n in self._by_number if n <= number]
        return self._by_number[max(below)] if below else _NORMAL

    def sla(self, urgency: Urgency, level: int) -> int:
        """Minutes to the first response for this urgency at this level."""
        return self.level(level).sla_minutes.get(urgency, self.sla_minutes[urgency])

    def notified(self, kind: str) -> frozenset[Role]:
        if self.roles is None:
            return frozenset({Role.LEAD})
        return self.roles.notify.get(kind, frozenset({Role.LEAD}))
