"""The README's two commands are the ones CI runs, so they cannot drift apart; and every
table in it renders as one table, each row with its header's cells."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_readme_has_exactly_two_commands_run_demo_and_run_tests() -> None:
    run, test = readme_commands()
    assert run.endswith("crisis-console demo")
    assert "'.[test,semantic]'" in test and test.endswith("python -m pytest")


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    _, test = readme_commands()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test in ci


def markdown_tables(text: str) -> list[list[tuple[int, str]]]:
    """Each table of a Markdown text outside code fences: its rows, with their line numbers.
    A blank line ends a table, so a table broken by one comes back as two."""
    tables: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] | None = None
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("|"):
            if current is None:
                current = []
                tables.append(current)
            current.append((number, line))
        else:
            current = None
    return tables


def cells(row: str) -> list[str]:
    """A row's cells as GitHub splits them: at every `|` not escaped as `\\|`, in code too."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", row.strip())[1:-1]]


def table_problems(text: str) -> list[str]:
    """Every way a table of `text` would not render as one table, by line."""
    problems = []
    for rows in markdown_tables(text):
        (first, header), *body = rows
        if not body or not all(re.fullmatch(r":?-{3,}:?", c) for c in cells(body[0][1])):
            problems.append(f"{first}: no header and --- row: a table split by a blank line?")
            continue
        width = len(cells(header))
        for number, row in rows:
            if not row.rstrip().endswith("|"):
                problems.append(f"{number}: the row is not closed with |")
            elif len(cells(row)) != width:
                problems.append(
                    f"{number}: {len(cells(row))} cells, the header has {width} "
                    "(a | inside a cell is written \\|)"
                )
    return problems


def test_every_readme_table_renders_as_one_table_with_its_header_s_cells() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(markdown_tables(text)) >= 10
    assert table_problems(text) == []


def test_the_table_check_finds_a_blank_line_a_stray_pipe_and_an_open_row() -> None:
    whole = "| a | b |\n| --- | --- |\n| `x\\|y` | 2 |\n| 3 | 4 |\n\n```\n| not | a | table\n```\n"
    assert table_problems(whole) == []
    assert table_problems(whole.replace("| 2 |\n", "| 2 |\n\n")) == [
        "5: no header and --- row: a table split by a blank line?"
    ]
    assert table_problems(whole.replace("\\|y", "|y")) == [
        "3: 3 cells, the header has 2 (a | inside a cell is written \\|)"
    ]
    assert table_problems(whole.replace("| 4 |", "| 4")) == ["4: the row is not closed with |"]
