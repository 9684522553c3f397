"""The real console in a real terminal: tmux panes driven with send-keys and read with
capture-pane, as a person at the keyboard would see them.

Each `Session` runs its own tmux server (`tmux -L NAME`, no tmux.conf), started from the
test's process: its panes get the test's environment (its home and configuration folders),
never that of a tmux server someone else started, and the test touches nobody else's
sessions. A pane that exits stays on screen, dead, so a crash's traceback and exit status
can be read.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

QUIT_ASKS = "Quit the console?"  # the dialog `q` opens while work would be left undone


def tmux(socket: str, *args: str) -> str:
    """A tmux command to the server on `socket`, which starts without anyone's tmux.conf."""
    done = subprocess.run(
        ["tmux", "-L", socket, "-f", os.devnull, *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "TERM": "xterm-256color"},
    )
    return done.stdout.strip()


class Pane:
    """One terminal: keys in, the screen's text out."""

    def __init__(self, target: str, socket: str) -> None:
        self.target, self.socket = target, socket

    def screen(self) -> str:
        out = subprocess.run(
            ["tmux", "-L", self.socket, "capture-pane", "-p", "-t", self.target],
            capture_output=True,
            text=True,
            check=False,
        )
        return out.stdout

    def keys(self, *keys: str) -> None:
        for key in keys:
            tmux(self.socket, "send-keys", "-t", self.target, key)
            time.sleep(0.15)

    def type(self, text: str) -> None:
        """Literal text: no word of it is read as a key name."""
        tmux(self.socket, "send-keys", "-t", self.target, "-l", text)
        time.sleep(0.15)

    def wait_until(self, shows: Callable[[str], bool], what: str, seconds: float = 30) -> str:
        """The screen once `shows` holds for it; else fail, with `what` and the screen."""
        deadline = time.time() + seconds
        while time.time() < deadline:
            shown = self.screen()
            if shows(shown):
                return shown
            time.sleep(0.2)
        raise AssertionError(f"{what}; the screen was:\n{self.screen()}")

    def wait_for(self, text: str, seconds: float = 30) -> str:
        return self.wait_until(lambda s: text in s, f"{text!r} never appeared", seconds)

    def wait_gone(self, text: str, seconds: float = 30) -> str:
        return self.wait_until(lambda s: text not in s, f"{text!r} never went", seconds)

    def wait_for_row(self, row: str, text: str, seconds: float = 30) -> str:
        """Until a line holding `row` holds `text` too."""
        return self.wait_until(
            lambda s: any(row in line and text in line for line in s.splitlines()),
            f"no line with {row!r} showed {text!r}",
            seconds,
        )

    def typing_in(self, field: str) -> bool:
        """Whether the terminal's cursor is on the line showing `field` (a text field's
        placeholder or text): Textual keeps it, hidden, at the focused field's cursor."""
        row = int(self.show("#{cursor_y}"))
        lines = self.screen().splitlines()
        return row < len(lines) and field in lines[row]

    def wait_typing_in(self, field: str, seconds: float = 30) -> None:
        """Until the focus is in the text field showing `field`. Wait for it after a key
        that moves the focus, before typing: Textual runs a key's binding after printable
        keys queued behind it (textual#6605), so text typed at once, on a busy machine,
        can land in the widget the focus is leaving."""
        what = f"the focus never went to {field!r}"
        self.wait_until(lambda _: self.typing_in(field), what, seconds)

    def show(self, form: str) -> str:
        """One of tmux's formats for this pane, e.g. `#{pane_dead}`."""
        return tmux(self.socket, "display-message", "-p", "-t", self.target, form)

    def exit_status(self) -> int | None:
        """The command's exit status once it has ended; None while it runs."""
        dead, _, status = self.show("#{pane_dead} #{pane_dead_status}").partition(" ")
        return int(status or 0) if dead == "1" else None

    def wait_exit(self, seconds: float = 30) -> str:
        """Until the command has ended, which must be with status 0 and no traceback on the
        screen (a console that crashed may still exit 0); the last screen."""
        deadline = time.time() + seconds
        while (status := self.exit_status()) is None:
            if time.time() > deadline:
                raise AssertionError(f"still running after {seconds} s:\n{self.screen()}")
            time.sleep(0.2)
        shown = self.screen()
        assert status == 0 and "Traceback" not in shown, f"exit status {status}:\n{shown}"
        return shown

    def quit(self, asks: bool = True) -> None:
        """`q`, and `y` to the question the console asks first (`asks`: it must ask, for
        work is left undone; else it must not); then until it has ended."""
        self.keys("q")
        if asks:
            self.wait_for(QUIT_ASKS)
            self.keys("y")
        self.wait_exit()


class Session:
    """A tmux server of its own with one window of `width` x `height`; each `pane` splits
    it, tiled. A context manager: the server ends with the block."""

    def __init__(self, name: str, width: int = 120, height: int = 36) -> None:
        self.name, self.size = name, (str(width), str(height))
        self.panes: list[Pane] = []
        self.socket_path = ""

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def pane(self, command: str) -> Pane:
        if not self.panes:
            width, height = self.size
            new = ("new-session", "-d", "-s", self.name, "-x", width, "-y", height)
            # A shell first, then the command in its place: the window keeps a pane that
            # ends from the first moment, however soon the command ends.
            target = tmux(self.name, *new, "-P", "-F", "#{pane_id}")
            self.socket_path = tmux(self.name, "display-message", "-p", "#{socket_path}")
            tmux(self.name, "set-option", "-w", "-t", target, "remain-on-exit", "on")
            tmux(self.name, "respawn-pane", "-k", "-t", target, command)
        else:
            split = ("split-window", "-t", self.name, "-P", "-F", "#{pane_id}")
            target = tmux(self.name, *split, command)
            tmux(self.name, "select-layout", "-t", self.name, "tiled")
        self.panes.append(Pane(target, self.name))
        return self.panes[-1]

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.name, "kill-server"], check=False, capture_output=True)
        if self.socket_path:  # the server leaves it behind
            Path(self.socket_path).unlink(missing_ok=True)
