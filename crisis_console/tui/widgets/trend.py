"""A sparkline with its axes: what it counts and per how long, the highest and lowest value
beside it (a sparkline spans from its lowest value to its highest, not from 0), and the times
of its first and last bucket below it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Sparkline, Static

from crisis_console.core.reports.series import per


def _when(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%m-%d %H:%M")


class Trend(Vertical):
    """A named sparkline with its value axis (the highest value level with its top, the
    lowest with its foot) and its time axis (the first bucket's start, the last one's end,
    UTC). `show` sets them all at once."""

    DEFAULT_CSS = """
    Trend { height: 5; width: 1fr; margin-right: 2; }
    Trend .trend-name { color: $text-muted; }
    Trend Horizontal { height: 3; }
    Trend .trend-scale { width: 7; height: 3; padding-right: 1; text-align: right;
                         color: $text-muted; }
    Trend Sparkline { width: 1fr; height: 3; margin: 0; }
    Trend .trend-times { height: 1; padding-left: 7; }
    Trend .trend-times Label { color: $text-muted; }
    Trend .trend-end { width: 1fr; text-align: right; }
    """

    def __init__(self, name: str, sparkline_id: str, value: Callable[[float], str]) -> None:
        """`name`: what it counts; `sparkline_id`: the sparkline's own id; `value`: how a
        value is written on its axis."""
        super().__init__()
        self.title, self.sparkline_id, self.value = name, sparkline_id, value

    def compose(self) -> ComposeResult:
        yield Label(self.title, classes="trend-name")
        with Horizontal():
            yield Static("", classes="trend-scale")
            yield Sparkline([], id=self.sparkline_id)
        with Horizontal(classes="trend-times"):
            yield Label("", classes="trend-start")
            yield Label("", classes="trend-end")

    def show(self, values: Sequence[float], start: datetime, size: timedelta) -> None:
        """`values` a bucket each, the first from `start`, each `size` long."""
        self.query_one(Sparkline).data = list(values)
        self.query_one(".trend-name", Label).update(Text(f"{self.title} per {per(size)}"))
        top, bottom = (max(values), min(values)) if values else (0.0, 0.0)
        scale = f"{self.value(top)}\n\n{self.value(bottom)}"
        self.query_one(".trend-scale", Static).update(Text(scale))
        self.query_one(".trend-start", Label).update(Text(_when(start)))
        end = start + len(values) * size
        self.query_one(".trend-end", Label).update(Text(f"{_when(end)} UTC"))
