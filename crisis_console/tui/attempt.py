"""Running one service call from the console (the service takes its own lock), and a refusal or a
mistake shown as an error toast rather than a crash."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import App
from textual.widget import Widget

from crisis_console.core.errors import CrisisConsoleError
from crisis_console.core.service import ConsoleService


def attempt(
    where: App[Any] | Widget,
    service: ConsoleService,
    what: str,
    action: Callable[[], object],
    timeout: float = 8,
) -> bool:
    """Run `action`; True if it went through, else the toast says why it could not `what`."""
    try:
        action()
    except (CrisisConsoleError, ValueError) as exc:
        where.notify(str(exc), title=f"Could not {what}", severity="error", timeout=timeout)
        return False
    return True
