"""Counts over time for reports: mentions and negatives per five-minute slot, counted as the
mentions pass, then gathered into buckets sized by the span they cover.

A report's series follow the span of its data, not of its window: the buckets run from the
one holding the first post in the window to the one holding the last, sized so that span
makes about 24 to 48 points (`BUCKETS`: 5, 15 or 60 minutes, 6 hours, a day, a week). Six
hours of posts in a 7-day window are 24 buckets of 15 minutes, not one day's point. Each
bucket starts on a round time of its size (UTC: :00, :15, …; 00:00, 06:00, …; a Monday for a
week), so the first and last may reach outside the window, which alone decides what counts.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

SLOT = timedelta(minutes=5)  # the finest bucket; every bucket size is a whole number of them
EPOCH = datetime(2000, 1, 3, tzinfo=UTC)  # a Monday at midnight: where round times start
BUCKETS = (
    (timedelta(hours=4), timedelta(minutes=5)),
    (timedelta(hours=12), timedelta(minutes=15)),
    (timedelta(days=2), timedelta(hours=1)),
    (timedelta(days=12), timedelta(hours=6)),
    (timedelta(days=60), timedelta(days=1)),
)  # (the longest span, the bucket size for it)
WEEK = timedelta(weeks=1)


def share_of(part: int, whole: int) -> float:
    """`part` ÷ `whole`, 0 for an empty whole (no mentions: no negative share)."""
    return part / whole if whole else 0.0


@dataclass(frozen=True, slots=True)
class Counts:
    """Mentions and how many of them were negative."""

    volume: int
    negative: int

    @property
    def negative_share(self) -> float:
        return share_of(self.negative, self.volume)


@dataclass(frozen=True, slots=True)
class Bucket(Counts):
    """The counts of one interval of a time series."""

    start: datetime


def bucket_for(span: timedelta) -> timedelta:
    """The bucket size for a span of time: about 24 to 48 points on a chart."""
    return next((size for limit, size in BUCKETS if span <= limit), WEEK)


def per(size: timedelta) -> str:
    """A bucket size as charts say it after "per": `5 min`, `hour`, `6 h`, `day`, `week`."""
    minutes = int(size.total_seconds() // 60)
    for unit, name in ((7 * 24 * 60, "week"), (24 * 60, "day")):
        if minutes % unit == 0:
            return name if minutes == unit else f"{minutes // unit} {name}s"
    if minutes % 60 == 0:
        return "hour" if minutes == 60 else f"{minutes // 60} h"
    return f"{minutes} min"


def slot_of(at: datetime) -> int:
    """The five-minute slot a time falls in (counted from `EPOCH`)."""
    return (at - EPOCH) // SLOT


def _round_down(at: datetime, size: timedelta) -> datetime:
    return EPOCH + ((at - EPOCH) // size) * size


@dataclass(frozen=True, slots=True)
class Frame:
    """The buckets a series is drawn in: `count` of `size`, the first starting at `start`."""

    start: datetime
    size: timedelta
    count: int

    @property
    def end(self) -> datetime:
        return self.start + self.count * self.size

    @classmethod
    def over(cls, start: datetime, end: datetime) -> Frame:
        """Buckets covering [start, end), sized by its length."""
        size = bucket_for(end - start)
        first = _round_down(start, size)
        return cls(first, size, max(math.ceil((end - first) / size), 1))

    @classmethod
    def of_slots(cls, slots: Counter[int], start: datetime, end: datetime) -> Frame:
        """Buckets from the first slot counted to the last, sized by the span between them;
        with none counted, buckets over the window [start, end)."""
        if not slots:
            return cls.over(start, end)
        first, last = EPOCH + min(slots) * SLOT, EPOCH + max(slots) * SLOT
        return cls.over(first, last + SLOT)


class Series:
    """Mentions and negatives per five-minute slot, counted as mentions pass (only the slots
    that have any are kept); `buckets` gathers them into a frame's buckets."""

    __slots__ = ("negatives", "totals")

    def __init__(self) -> None:
        self.totals: Counter[int] = Counter()
        self.negatives: Counter[int] = Counter()

    def add(self, slot: int, negative: bool) -> None:
        self.totals[slot] += 1
        if negative:
            self.negatives[slot] += 1

    def buckets(self, frame: Frame) -> list[Bucket]:
        """The counts in each of the frame's buckets (slots outside it are left out)."""
        totals, negatives = [0] * frame.count, [0] * frame.count
        offset, per = (frame.start - EPOCH) // SLOT, frame.size // SLOT
        for counts, into in ((self.totals, totals), (self.negatives, negatives)):
            for slot, n in counts.items():
                i = (slot - offset) // per
                if 0 <= i < frame.count:
                    into[i] += n
        return [
            Bucket(volume=total, negative=negative, start=frame.start + i * frame.size)
            for i, (total, negative) in enumerate(zip(totals, negatives, strict=True))
        ]
