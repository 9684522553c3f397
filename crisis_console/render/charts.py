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
import math
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import matplotlib as mpl
import matplotlib.dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter

from crisis_console.core.reports.series import per

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


def _when(at: datetime, size: timedelta, whole: bool) -> str:
    """A tick's time (UTC): `whole` (the axis's two ends) with its date, the others short."""
    at = at.astimezone(UTC)
    if size >= timedelta(days=1):
        return at.strftime("%Y-%m-%d" if whole else "%m-%d")
    return at.strftime("%H:%M\n%Y-%m-%d" if whole else "%m-%d %H:%M" if at.hour == 0 else "%H:%M")


def _day(at: datetime) -> float:
    """A time as matplotlib's number of days (every x value here is one, never a datetime:
    bars, lines and limits then share one scale without unit converters)."""
    return float(mdates.date2num(at))


def _time_axis(axes: Axes, start: datetime, size: timedelta, count: int) -> None:
    """The time axis of `count` buckets of `size` from `start`: labelled at both ends (date
    and time, UTC) and at a few bucket boundaries between, and named with the bucket size."""
    axes.set_xlim(_day(start), _day(start + count * size))
    # Every `step` buckets (about six ticks), and the end; none crowding the end's label.
    step = max(math.ceil(count / 6), 1)
    marks = list(range(0, count, step))
    if len(marks) > 1 and count - marks[-1] < step / 2:
        marks.pop()
    ticks = [start + n * size for n in [*marks, count]]
    labels = [_when(t, size, i in (0, len(marks))) for i, t in enumerate(ticks)]
    axes.set_xticks([_day(t) for t in ticks], labels, fontsize=7)
    for label in axes.get_xticklabels()[1:-1]:
        label.set_color("#555")
    axes.set_xlabel(f"time (UTC), a bar per {per(size)}")


def _count_axis(axes: Axes, peak: int, room: float = 1.0) -> None:
    """Mentions per bucket from 0, with the highest marked on the axis (`room`: headroom
    above it, as a share, for a legend)."""
    top = max(peak, 1)
    axes.set_ylim(0, top * room)
    marks = sorted({0, top // 2, top} if top >= 4 else set(range(top + 1)))
    axes.yaxis.set_major_locator(FixedLocator(marks))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}"))
    axes.axhline(top, color="#bbb", linewidth=0.6, linestyle=":", zorder=0)


def _bars(
    axes: Axes, starts: Sequence[datetime], size: timedelta, heights: Sequence[int], **style: Any
) -> Any:
    """A bar a bucket, from its start to its end."""
    width = size / timedelta(days=1)
    x = [_day(at) for at in starts]
    return axes.bar(
        x, heights, width=width, align="edge", edgecolor="white", linewidth=0.4, **style
    )


def volume_chart(
    starts: Sequence[datetime],
    size: timedelta,
    volume: Sequence[int],
    negative_share: Sequence[float],
    title: str,
) -> str:
    """Mentions per bucket (bars) and the negative share (a line, right axis)."""
    with _figure() as (figure, axes):
        bars = _bars(axes, starts, size, volume, color="#1f4e79", label="mentions")
        _count_axis(axes, max(volume, default=0), room=1.3)  # room for the legend
        axes.set_ylabel(f"mentions per {per(size)}")
        _time_axis(axes, starts[0], size, len(starts))
        axes.set_title(title, loc="left")
        share = axes.twinx()
        # A bucket without mentions has no share: a gap, not a fall to 0%.
        middles = [_day(at + size / 2) for at in starts]
        shares = [
            s * 100 if v else float("nan") for s, v in zip(negative_share, volume, strict=True)
        ]
        line = share.plot(
            middles, shares, color="#c0392b", linewidth=1.2, marker=".", label="negative %"
        )
        share.set_ylabel("negative %")
        share.set_ylim(0, 130)
        share.set_yticks([0, 50, 100])
        axes.legend(handles=[bars, *line], loc="upper center", ncols=2, frameon=False)
        return _svg(figure)


def stacked_chart(
    starts: Sequence[datetime], size: timedelta, series: Mapping[str, Sequence[int]], title: str
) -> str:
    """Mentions per bucket as bars, stacked by series (a platform, a category), with a legend."""
    with _figure() as (figure, axes):
        below = [0] * len(starts)
        for name, values in series.items():
            _bars(axes, starts, size, values, bottom=below, label=name)
            below = [b + v for b, v in zip(below, values, strict=True)]
        _count_axis(axes, max(below, default=0))
        axes.set_ylabel(f"mentions per {per(size)}")
        _time_axis(axes, starts[0], size, len(starts))
        axes.set_title(title, loc="left")
        if series:  # no mentions in the window: no legend to draw
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
        median = axes.barh(
            [r + 0.2 for r in rows], medians, height=0.4, color="#1f4e79", label="median"
        )
        p90 = axes.barh([r - 0.2 for r in rows], p90s, height=0.4, color="#9dc3e6", label="p90")
        for bars in (median, p90):  # each value at its bar's end
            axes.bar_label(bars, fmt="%.1f", fontsize=7, padding=2)
        axes.set_xlim(0, max([*medians, *p90s, 1.0]) * 1.15)
        axes.set_yticks(list(rows), list(names))
        axes.invert_yaxis()
        axes.set_xlabel(unit)
        axes.set_title(title, loc="left")
        axes.legend(frameon=False, loc="lower right")
        return _svg(figure)


def timeline_chart(
    starts: Sequence[datetime],
    size: timedelta,
    volume: Sequence[int],
    events: Sequence[tuple[datetime, str, str]],
    title: str,
) -> str:
    """Mentions per bucket (bars) with each event as a marked vertical line
    (`(at, kind, label)`)."""
    colours = {"level": "#c0392b", "spike": "#e67e22", "holding": "#27ae60", "checklist": "#7f8c8d"}
    with _figure(HEIGHT + 0.6) as (figure, axes):
        _bars(axes, starts, size, volume, color="#9dc3e6")
        top = max(volume, default=0) or 1
        _count_axis(axes, top)
        axes.set_ylabel(f"mentions per {per(size)}")
        _time_axis(axes, starts[0], size, len(starts))
        axes.set_title(title, loc="left")
        for n, (at, kind, label) in enumerate(events):
            axes.axvline(_day(at), color=colours.get(kind, "#95a5a6"), linewidth=1, alpha=0.8)
            axes.annotate(
                label,
                (_day(at), top * (0.95 - 0.12 * (n % 4))),
                fontsize=7,
                rotation=0,
                xytext=(3, 0),
                textcoords="offset points",
                color=colours.get(kind, "#555"),
            )
        return _svg(figure)
