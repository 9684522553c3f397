"""The semantic second opinion from the command line: whether it is on (`--second-opinion`,
or `second_opinion: on` in the data folder's settings.yaml), the judge it builds, the pass
beside a long-running command (`in_background`: `serve`, `ingest --follow`, `ingest -`),
its progress on standard error, and `crisis-console second-opinion`, which judges every
stored post the word lists left (after a `--jobs` import, or a crash that lost the queue)."""

from __future__ import annotations

import argparse
import contextlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from crisis_console import config
from crisis_console.cli.io import err
from crisis_console.core.errors import CrisisConsoleError
from crisis_console.core.service import ConsoleService
from crisis_console.core.triage.embedding import missing
from crisis_console.core.triage.second_opinion import MAX_QUEUED, Progress
from crisis_console.core.triage.semantic import SemanticJudge

COMMAND = "second-opinion"
SETTING = "second_opinion"
_ON, _OFF = {"on", "true", "yes", "1"}, {"off", "false", "no", "0", ""}
_EVERY = 1_000  # posts judged between progress lines


def add_commands(commands: Any) -> None:
    commands.add_parser(
        COMMAND,
        help="judge every stored post the word lists did not escalate with the semantic "
        "second opinion (needs its extra), raising those that read as harm",
    )


def judge_factory(args: argparse.Namespace, folder: Path) -> Callable[[], SemanticJudge] | None:
    """The judge's constructor when the second opinion is on here, else None. On but not
    installed is refused, naming the extra: never silently the word lists alone."""
    asked = bool(getattr(args, "second_opinion", False)) or args.command == COMMAND
    if not asked:
        value = (config.setting(folder, SETTING) or "").strip().lower()
        if value not in _ON | _OFF:
            raise CrisisConsoleError(
                f"{folder / config.SETTINGS_FILE}: {SETTING}: must be on or off, not {value!r}"
            )
        if value in _OFF:
            return None
    reason = missing()
    if reason is None:
        return SemanticJudge
    if asked:
        raise CrisisConsoleError(reason)
    # On in the settings but not installed here: the word lists carry on alone (a crisis
    # desk is never shut for an optional extra), and this says so at every start.
    err(f"warning: {reason}; the word lists alone judge risk of harm here")
    return None


def drain(service: ConsoleService) -> None:
    """Judge what the service has queued, with a progress line every `_EVERY` posts."""
    desk = service.second_opinion
    total = desk.progress().pending
    if not total:
        return
    err(f"second opinion: judging {total:,} post(s) the word lists did not escalate")
    shown = [0]

    def told(p: Progress) -> None:
        if p.checked - shown[0] >= _EVERY or not p.pending:
            shown[0] = p.checked
            err(f"second opinion: {p.checked:,} of {total:,} judged, {p.raised:,} raised")

    desk.drain(told)
    if desk.progress().left:
        err(
            f"second opinion: {desk.progress().left:,} post(s) were not queued (more than "
            f"{MAX_QUEUED:,} waited); run `crisis-console {COMMAND}` to judge them"
        )


@contextlib.contextmanager
def in_background(service: ConsoleService) -> Iterator[None]:
    """The second pass on a thread of its own for the block (`serve`), when it is on."""
    if not service.second_opinion.enabled:
        yield
        return
    stop = threading.Event()

    def failed(exc: Exception) -> None:
        err(f"second opinion: {exc}; its posts are queued again")

    thread = threading.Thread(
        target=service.second_opinion.run_until,
        args=(stop, failed),
        name="second-opinion",
        daemon=True,
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


def run(service: ConsoleService) -> int:
    queued = service.second_opinion.submit_stored()
    if not queued:
        err("second opinion: nothing to judge (every post is escalated, deleted or not English)")
        return 0
    drain(service)
    return 0
