"""Reply templates: the shipped set, the sandbox, strict variables, and approval by hash."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from crisis_console.core.intake.ingest import Read, read_jsonl
from crisis_console.core.models import Category
from crisis_console.core.replies.templates import (
    RenderError,
    TemplateFileError,
    load_template,
    load_templates,
)
from tests.conftest import NOW, ROOT, ServiceFactory, jsonl, parsed, record

CONTEXT = {"author": "dan", "author_name": "Dan", "platform": "x", "brand": "Brightwell"}


def test_at_least_twenty_real_templates_ship_and_lint_clean() -> None:
    templates, problems = load_templates(ROOT / "templates")
    assert not problems and len(templates) >= 20
    for needed in (
        "ack-move-to-dm",
        "apology-fix",
        "delivery-delay",
        "refund-in-progress",
        "outage-acknowledged",
        "safety-stop-using",
        "data-exposure-ack",
        "holding-statement",
        "holding-statement-recall",
        "holding-statement-breach",
        "media-redirect",
        "thanks-praise",
        "self-harm-support",
    ):
        assert needed in templates
    assert not templates["self-harm-support"].auto_send
    assert "116 123" in templates["self-harm-support"].render(CONTEXT, {})
    assert templates["thanks-praise"].fits(
        Category.PRAISE, parsed(record("1", "x"))[0].mention.platform
    )


@pytest.mark.parametrize(
    "hostile",
    [
        "{{ 7*7 }}",
        "{% for x in range(3) %}boom{% endfor %}",
        "{{ ''.__class__.__mro__ }}",
        "[bold red]x[/]",
        "\x1b[31mred",
    ],
)
def test_outside_values_are_data_never_template_code(hostile: str) -> None:
    templates, _ = load_templates(ROOT / "templates")
    context = {**CONTEXT, "author_name": hostile}
    text = templates["question-answer"].render(context, {"answer": hostile})
    assert text.count(hostile) == 2  # the author's name and the variable, both verbatim
    assert "49" not in text and "boom" not in text.replace(hostile, "")


def test_required_and_unknown_variables_are_named() -> None:
    templates, _ = load_templates(ROOT / "templates")
    with pytest.raises(RenderError, match="required variable left empty: new_date"):
        templates["delivery-delay"].render(CONTEXT, {"new_date": "  "})
    with pytest.raises(RenderError, match="has no variable colour"):
        templates["delivery-delay"].render(CONTEXT, {"new_date": "Friday", "colour": "red"})


def test_the_sandbox_refuses_unsafe_template_code(tmp_path: Path) -> None:
    path = tmp_path / "evil.j2"
    path.write_text(
        "---\nid: evil\ntitle: Evil\nroles: [social]\nversion: 1\n---\n"
        "{{ author.__class__.__mro__[1].__subclasses__() }}\n"
    )
    with pytest.raises(RenderError, match=r"unsafe|access"):
        load_template(path).render(CONTEXT, {})


def test_a_broken_template_lists_every_problem_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.j2"
    path.write_text(
        "---\n"
        "id: not-broken\n"
        "title: Broken\n"
        "roles: [social, intern]\n"
        "version: 0\n"
        "variables:\n"
        "  author: {description: clashes}\n"
        "allow: [passport]\n"
        "---\n"
        "Hi {{ nme }}\n"
    )
    with pytest.raises(TemplateFileError) as caught:
        load_template(path)
    assert [(p.line, p.field) for p in caught.value.problems] == [
        (2, "id"),
        (4, "roles[1]"),
        (5, "version"),
        (7, "variables.author"),
        (8, "allow"),
        (10, "body"),
    ]
    assert "undeclared variable(s): nme" in caught.value.problems[-1].message


def test_an_edited_template_needs_approval_again(
    make_service: ServiceFactory, tmp_path: Path
) -> None:
    lead = make_service()
    lead.ingest(parsed_feed())
    desk = lead.replies
    assert "thanks-praise" not in {t.id for t in desk.choices("x:1")}
    desk.approve_template("thanks-praise")
    assert "thanks-praise" in {t.id for t in desk.choices("x:1")}
    copy = tmp_path / "thanks-praise.j2"
    shutil.copy(ROOT / "templates" / "thanks-praise.j2", copy)
    copy.write_text(copy.read_text().replace("lovely", "great"))
    desk.templates["thanks-praise"] = load_template(copy)
    assert not desk.template_approved(desk.templates["thanks-praise"])
    _, findings = desk.preview("x:1", "thanks-praise", {})
    assert any(f.code == "template" and f.severity == "block" for f in findings)


def parsed_feed() -> Iterator[Read]:
    return read_jsonl(jsonl(record("1", "Love the new range, thank you!", author="dan")), "f", NOW)
