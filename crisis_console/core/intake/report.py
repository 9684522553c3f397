"""What an ingest did, as its caller is told: counts, and every rejected record."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from crisis_console.core.errors import Notice, Problem


@dataclass(slots=True)
class IngestReport:
    """What one ingest did: counts, and every rejected record with its source and line."""

    new: int = 0
    updated: int = 0
    duplicates: int = 0
    deleted: int = 0
    problems: list[Problem] = field(default_factory=list)
    # What the input told that is not a post (replies a platform left out): never rejected.
    notices: list[Notice] = field(default_factory=list)
    # Stored live and not escalated, new or edited: what a second opinion may judge again.
    unescalated: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.problems)

    def add(self, other: IngestReport) -> None:
        """Count `other` in too: one report for an ingest done in parts."""
        self.new += other.new
        self.updated += other.updated
        self.duplicates += other.duplicates
        self.deleted += other.deleted
        self.problems += other.problems
        self.notices += other.notices
        self.unescalated += other.unescalated

    def summary(self) -> str:
        return (
            f"{self.new} new, {self.updated} updated, {self.deleted} deleted, "
            f"{self.duplicates} duplicate(s), {self.rejected} rejected"
        )


Progress = Callable[[IngestReport], None]
