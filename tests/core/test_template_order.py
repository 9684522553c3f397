"""The composer's templates, best first (issue 18, feature 8), over the shipped templates."""

from __future__ import annotations

from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Category, Platform
from crisis_console.core.replies.templates import best_first
from tests.conftest import NOW, ServiceFactory, jsonl, record


def test_the_template_that_names_the_case_comes_first(make_service: ServiceFactory) -> None:
    lead = make_service(name="lee")
    lead.ingest(read_jsonl(jsonl(
        record("late", "My delivery is three days late and I'm still waiting", author="dan"),
        record("broke", "The kettle arrived damaged, the lid is cracked", author="eve"),
    ), "feed", NOW))  # fmt: skip
    for template_id in lead.replies.templates:
        lead.replies.approve_template(template_id)
    late = [t.id for t in lead.replies.choices("x:late")]
    broke = [t.id for t in lead.replies.choices("x:broke")]
    assert late[0] == "delivery-delay" and broke[0] == "damaged-item"
    assert sorted(late) == sorted(broke)  # the same templates fit: only the order differs


def test_category_then_platform_then_level(make_service: ServiceFactory) -> None:
    templates = list(make_service().replies.templates.values())
    ranked = best_first(templates, Category.COMPLAINT, Platform.X, 0)
    fits = [Category.COMPLAINT in t.categories for t in ranked]
    assert fits == sorted(fits, reverse=True)  # every complaint template before the rest
    named = [t for t in ranked if Category.COMPLAINT in t.categories]  # no words to share
    assert [len(t.categories) for t in named] == sorted(len(t.categories) for t in named)
