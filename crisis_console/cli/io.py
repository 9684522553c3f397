"""What every command shares for input and output: files or standard input, and messages on
stderr with untrusted text made visible."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from crisis_console.core.errors import CrisisConsoleError
from crisis_console.core.text import visible

STDIN = "-"


def err(message: str) -> None:
    print(visible(message), file=sys.stderr)


@contextlib.contextmanager
def open_lines(name: str) -> Iterator[IO[bytes]]:
    """The file `name` (or standard input for `-`) in binary, one line per iteration."""
    if name == STDIN:
        yield sys.stdin.buffer
        return
    try:
        handle = Path(name).open("rb")  # noqa: SIM115 - closed by the `with` below
    except OSError as exc:
        raise CrisisConsoleError(f"cannot read {name}: {exc.strerror}") from exc
    with handle:
        yield handle


def source_name(name: str) -> str:
    return "<stdin>" if name == STDIN else name
