"""Fixtures of the security tests."""

from __future__ import annotations

import pytest

from crisis_console.core.intake.ingest import read_jsonl
from tests.conftest import NOW, ServiceFactory, jsonl, record

LATE = "My delivery is three days late and nobody answers"


@pytest.fixture
def desk(make_service: ServiceFactory) -> ServiceFactory:
    """The factory, over a store with one complaint and every template approved."""
    lead = make_service(name="lee")
    lead.ingest(read_jsonl(jsonl(record("1", LATE, author="dan", author_name="Dan")), "f", NOW))
    for template_id in lead.replies.templates:
        lead.replies.approve_template(template_id)
    return make_service
