# mypy: disable-error-code="arg-type,no-untyped-call"
# matplotlib takes datetimes and rc names it does not declare in its stubs; checked by tests.
"""Charts as SVG text for the HTML report (the one module that imports matplotlib).

Figures are made with `Figure` directly, never pyplot: no global figure state, no display.

SVG keeps the report one self-contained file that prints sharply to PDF. Text stays text
(`svg.fonttype: none`), so a browser's find and a test can read the labels. Labels may hold
names from the data; matplotlib is told never to read them as mathematics (`$…$`).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator, Sequence
from datetime import datetime

import matplotlib as mpl
import matplotlib.dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

STYLE = {
    "svg.fonttype": "none",
    "svg.hashsalt": "crisis-console",  # stable ids: the same report gives the same file
    "text.parse_math": False,
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
WIDTH, HEIGHT = 7.5, 2.6  # inches: the width of an A4 page's text


def _svg(figure: Figure) -> str:
    out = io.StringIO()
    figure.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = out.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog and doctype: inlined in HTML


@contextlib.contextmanager
def _figure(height: float = HEIGHT) -> Iterator[tuple[Figure, Axes]]:
    """A figure of the page's width with one set of axes, drawn in the report's style."""
    with mpl.rc_context(STYLE):
        figure = Figure(figsize=(WIDTH, height))
        yield figure, figure.subplots()


def _mentions_over_time(axes: Axes, title: str) -> None:
    """Mentions (whole numbers, from 0) against time, with concise dates."""
    axes.set_ylabel("mentions")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(bottom=0)
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(axes.xaxis.get_major_locator()))
    axes.set_title(title, loc="left")


def volume_chart(
    starts: Sequence[datetime], volume: Sequence[int], negative_share: Sequence[float], title: str
) -> str:
    """Mentions per interval (line) and the negative share (line, right axis)."""
    with _figure() as (figure, axes):
        line = axes.plot(starts, volume, color="#1f4e79", linewidth=1.6, label="mentions")
        _mentions_over_time(axes, title)
        axes.set_ylim(top=max(max(volume, default=0) * 1.25, 1))  # room for the legend
        share = axes.twinx()
        # An interval without mentions has no share: a gap, not a fall to 0%.
        shares = [
            s * 100 if v else float("nan") for s, v in zip(negative_share, volume, strict=True)
        ]
        dashed = share.plot(
            starts,
            shares,
            color="#c0392b",
            linewidth=1.2,
            linestyle="--",
            marker=".",
            label="negative %",
        )
        share.set_ylabel("negative %")
        share.set_ylim(0, 125)
        share.set_yticks([0, 25, 50, 75, 100])
        axes.legend(handles=line + dashed, loc="upper center", ncols=2, frameon=False)
        return _svg(figure)


def lines_chart(starts: Sequence[datetime], series: dict[str, Sequence[int]], title: str) -> str:
    """One line per named series (mentions per interval), with a legend."""
    with _figure() as (figure, axes):
        for name, values in series.items():
            axes.plot(starts, values, linewidth=1.3, label=name)
        _mentions_over_time(axes, title)
        axes.legend(frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
        return _svg(figure)


def bar_chart(
    names: Sequence[str],
    medians: Sequence[float],
    p90s: Sequence[float],
    title: str,
    unit: str = "minutes",
) -> str:
    """Paired horizontal bars: median and p90 for each name."""
    with _figure(max(1.2, 0.35 * len(names) + 0.8)) as (figure, axes):
        rows = range(len(names))
        axes.barh([r + 0.2 for r in rows], medians, height=0.4, color="#1f4e79", label="median")
        axes.barh([r - 0.2 for r in rows], p90s, height=0.4, color="#9dc3e6", label="p90")
        axes.set_yticks(list(rows), list(names))
        axes.invert_yaxis()
        axes.set_xlabel(unit)
        axes.set_title(title, loc="left")
        axes.legend(frameon=False, loc="lower right")
        return _svg(figure)


def timeline_chart(
    starts: Sequence[datetime],
    volume: Sequence[int],
    events: Sequence[tuple[datetime, str, str]],
    title: str,
) -> str:
    """Volume as a line with each event as a marked vertical line (`(at, kind, label)`)."""
    colours = {"level": "#c0392b", "spike": "#e67e22", "holding": "#27ae60", "checklist": "#7f8c8d"}
    with _figure(HEIGHT + 0.6) as (figure, axes):
        axes.plot(starts, volume, color="#1f4e79", linewidth=1.4)
        _mentions_over_time(axes, title)
        top = max(volume, default=0) or 1
        for n, (at, kind, label) in enumerate(events):
            axes.axvline(at, color=colours.get(kind, "#95a5a6"), linewidth=1, alpha=0.8)
            axes.annotate(
                label,
                (mdates.date2num(at), top * (0.95 - 0.12 * (n % 4))),
                fontsize=7,
                rotation=0,
                xytext=(3, 0),
                textcoords="offset points",
                color=colours.get(kind, "#555"),
            )
        return _svg(figure)
