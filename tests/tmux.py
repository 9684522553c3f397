"""The real console in a real terminal: tmux panes driven with send-keys and read with
capture-pane, as a person at the keyboard would see them."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable


def tmux(*args: str) -> str:
    done = subprocess.run(
        ["tmux", *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "TERM": "xterm-256color"},
    )
    return done.stdout.strip()


class Pane:
    """One terminal: keys in, the screen's text out."""

    def __init__(self, target: str) -> None:
        self.target = target

    def screen(self) -> str:
        out = subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", self.target],
            capture_output=True,
            text=True,
            check=False,
        )
        return out.stdout

    def keys(self, *keys: str) -> None:
        for key in keys:
            tmux("send-keys", "-t", self.target, key)
            time.sleep(0.15)

    def type(self, text: str) -> None:
        """Literal text: no word of it is read as a key name."""
        tmux("send-keys", "-t", self.target, "-l", text)
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


class Session:
    """A tmux session of `width` x `height`; each `pane` splits it, tiled."""

    def __init__(self, name: str, width: int = 120, height: int = 36) -> None:
        self.name, self.size = name, (str(width), str(height))
        self.panes: list[Pane] = []

    def pane(self, command: str) -> Pane:
        if not self.panes:
            width, height = self.size
            new = ("new-session", "-d", "-s", self.name, "-x", width, "-y", height)
            target = tmux(*new, "-P", "-F", "#{pane_id}", command)
        else:
            target = tmux("split-window", "-t", self.name, "-P", "-F", "#{pane_id}", command)
            tmux("select-layout", "-t", self.name, "tiled")
        self.panes.append(Pane(target))
        return self.panes[-1]

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], check=False, capture_output=True)
