"""Turning domain values into Rich `Text` for the screen. Never parses markup.

Everything from outside goes through `core.text.visible` and into `Text(...)` objects, which
Textual shows as they are: `[bold red]` in a mention is shown as those characters.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from crisis_console.core.models import Platform, SentimentLabel, Urgency
from crisis_console.core.text import one_line, visible

URGENCY_STYLE = {
    Urgency.CRITICAL: ("CRIT", "bold white on red"),
    Urgency.HIGH: ("HIGH", "bold black on dark_orange"),
    Urgency.NORMAL: ("NORM", "black on steel_blue1"),
    Urgency.LOW: ("LOW", "white on grey37"),
}
SENTIMENT_STYLE = {
    SentimentLabel.NEGATIVE: "bold red",
    SentimentLabel.NEUTRAL: "grey62",
    SentimentLabel.POSITIVE: "green",
}
PLATFORM_SHORT = {
    Platform.X: "X", Platform.FACEBOOK: "FB", Platform.INSTAGRAM: "IG", Platform.TIKTOK: "TT",
    Platform.YOUTUBE: "YT", Platform.REDDIT: "RDT", Platform.LINKEDIN: "IN",
    Platform.MASTODON: "MAS", Platform.BLUESKY: "BSK", Platform.REVIEW: "REV",
    Platform.OTHER: "OTH",
}  # fmt: skip


def level_badge(number: int, name: str, crisis: bool) -> Text:
    """The crisis level for the status line: empty at level 0, loud from level 1 on."""
    if number <= 0:
        return Text()
    style = "bold white on red" if crisis else "bold black on dark_orange"
    badge = Text().append(f" LEVEL {number} {visible(name).upper()} ", style=style)
    if crisis:
        badge.append(" ordinary sending paused", style="bold")
    return badge.append("  ·  ", style="dim")


def plain(text: str) -> Text:
    """Untrusted text, shown literally."""
    return Text(visible(text))


def snippet(text: str, width: int) -> Text:
    return Text(one_line(text, width), no_wrap=True, overflow="ellipsis")


def urgency_badge(urgency: Urgency) -> Text:
    label, style = URGENCY_STYLE[urgency]
    return Text(f"{label:^4}", style=style)


def sentiment_badge(label: SentimentLabel, compound: float) -> Text:
    return Text(f"{compound:+.2f}", style=SENTIMENT_STYLE[label])


def reach(followers: int, verified: bool) -> Text:
    if followers >= 1_000_000:
        count = f"{followers / 1_000_000:.1f}M"
    elif followers >= 10_000:
        count = f"{followers // 1000}k"
    elif followers >= 1000:
        count = f"{followers / 1000:.1f}k"
    else:
        count = str(followers)
    text = Text(count)
    if verified:
        text.append("✓", style="bold cyan")
    return text


def duration(minutes: int) -> str:
    """A short, rounded-down span: 45m, 3h, 2d."""
    if minutes < 60:
        return f"{minutes}m"
    if minutes < 48 * 60:
        return f"{minutes // 60}h"
    return f"{minutes // (24 * 60)}d"


def due(deadline: datetime, now: datetime) -> Text:
    """Time left to the first-response deadline; red once it has passed."""
    seconds = (deadline - now).total_seconds()
    if seconds < 0:
        return Text(f"-{duration(int(-seconds // 60))}", style="bold red")
    return Text(duration(int(seconds // 60)), style="yellow" if seconds < 15 * 60 else "")


def timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
