"""The command line called in this process, as the `crisis-console` script calls it: `main`
with the arguments, its exit status (argparse's own for a usage error), and what it
printed. Faster than a subprocess; `test_cli.py` runs the real script."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from crisis_console.cli import main


@dataclass(frozen=True)
class Done:
    code: int
    out: str
    err: str


class Cli:
    """`cli(*argv)` runs one command; `audit(*options)` reads the audit log back through
    `audit export`, whichever backend the options name."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys

    def __call__(self, *argv: str) -> Done:
        self._capsys.readouterr()  # what came before is not this command's
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code if isinstance(exc.code, int) else 2
        captured = self._capsys.readouterr()
        return Done(code, captured.out, captured.err)

    def audit(self, *options: str) -> list[dict[str, Any]]:
        """Every record, oldest first (the export is itself audited after it is read)."""
        done = self(*options, "audit", "export", "--format", "jsonl")
        assert done.code == 0, done.err
        return [json.loads(line) for line in done.out.splitlines()]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(capsys)
