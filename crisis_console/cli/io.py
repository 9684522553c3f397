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


class TerminalSafe:
    """Standard output while it is a terminal: every control, format and bidi character of
    what is written spelled out (`visible`), so that a mention's or an author's text can
    never move the cursor, recolour the screen or reverse what follows. A file or a pipe
    gets the bytes as they are."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(visible(text))

    def flush(self) -> None:
        self._stream.flush()

    def fileno(self) -> int:
        return self._stream.fileno()

    def isatty(self) -> bool:
        return True

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


@contextlib.contextmanager
def safe_terminal() -> Iterator[None]:
    """`sys.stdout` made `TerminalSafe` for the block, if it is a terminal."""
    if not sys.stdout.isatty():
        yield
        return
    real = sys.stdout
    sys.stdout = TerminalSafe(real)
    try:
        yield
    finally:
        sys.stdout = real


def check_out(out: Path, folder: Path) -> None:
    """Refuse `--out FILE` where writing it would do harm or cannot work: inside the data
    folder (a typo there would overwrite the audit log or the store: the archive, lost to
    one keystroke), on a folder, or in a folder that does not exist."""
    target, home = out.resolve(), folder.resolve()
    if target == home or home in target.parents:
        raise CrisisConsoleError(
            f"--out {out}: inside the data folder {folder}, where the store and the audit log "
            "live; write it somewhere else"
        )
    if target.is_dir():
        raise CrisisConsoleError(f"--out {out}: is a folder; name a file")
    if not target.parent.is_dir():
        raise CrisisConsoleError(f"--out {out}: there is no folder {target.parent}")
