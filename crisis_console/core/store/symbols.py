"""Small code <-> name tables for the directory's columns: platform, category, queue pattern."""

from __future__ import annotations

from collections.abc import Sequence

TABLES = ("platform", "category", "pattern")


class Symbols:
    """Small code <-> name tables (platform, category, queue pattern). Codes are appended,
    never reused, so stored rows keep their meaning; `unsaved` is what the file lacks."""

    def __init__(self) -> None:
        self.names: dict[str, list[str]] = {t: [] for t in TABLES}
        self._codes: dict[str, dict[str, int]] = {t: {} for t in TABLES}
        self.unsaved: list[tuple[str, str]] = []

    def load(self, pairs: Sequence[Sequence[str]]) -> None:
        for table, name in pairs:
            self._add(table, name)

    def code(self, table: str, name: str) -> int:
        found = self._codes[table].get(name)
        if found is None:
            found = self._add(table, name)
            self.unsaved.append((table, name))
        return found

    def known(self, table: str, name: str) -> int | None:
        return self._codes[table].get(name)

    def _add(self, table: str, name: str) -> int:
        codes = self._codes[table]
        if name not in codes:
            codes[name] = len(self.names[table])
            self.names[table].append(name)
        return codes[name]
