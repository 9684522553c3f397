"""The console's screens."""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widget import Widget


def still_shown(screen: Screen[Any], widget: type[Widget] | str) -> bool:
    """Whether a worker's result can still be shown on `screen`: the console did not close
    while the worker ran. A closing console detaches the screen, or (as a test's shutdown
    does) first removes its widgets while the screen stays attached: then `widget` is gone."""
    return screen.is_attached and bool(screen.query(widget))
