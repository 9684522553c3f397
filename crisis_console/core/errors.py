"""The exceptions the core raises. Every one carries a message a person can act on.

    CrisisConsoleError
    ├── FileRefused        a hand-edited file has problems; `.problems` lists every one
    │   ├── PlaybookError, RosterError, TemplateFileError, NotifyConfigError
    ├── Refused            a rule said no, and the refusal is audited (the CLI exits 3)
    │   ├── PermissionDenied   the operator's roles do not allow it
    │   ├── ClaimConflict      someone else holds the mention
    │   └── PolicyBlocked      the outgoing policy guard found something that blocks the reply
    ├── StoreError
    │   └── StoreLocked    another console or ingest holds the data folder
    └── AuditError         the audit log cannot be read or appended

Bad *input records* are not exceptions: ingest yields `IngestProblem` values beside the good
records, so one bad line never stops the others.
"""

from __future__ import annotations

from dataclasses import dataclass


class CrisisConsoleError(Exception):
    """Base of every error the core raises on purpose."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a file: where, which field, and what."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


@dataclass(frozen=True, slots=True)
class Notice:
    """Not a record, and not a rejected one: something an input says that the user must be
    told, such as replies a platform left out of its answer."""

    source: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.message}"


class Refused(CrisisConsoleError):
    """A rule refused the action: the operator's roles, another's claim, the policy guard, a
    reply that may not go out as it stands, a team that exists already. The refusal has
    been audited; the message says why (and, for roles, which roles may)."""


class FileRefused(CrisisConsoleError):
    """A hand-edited file (playbook, team, template, notification settings) was refused whole;
    `.problems` lists every problem, each with its file, line and field."""

    what = "file"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{self.what} refused, {len(problems)} problem(s):\n{lines}")


class PlaybookError(FileRefused):
    """The playbook was refused; nothing of it was loaded."""

    what = "playbook"


class StoreError(CrisisConsoleError):
    """The store cannot be opened, read or written."""


class StoreLocked(StoreError):
    """Another process holds the data folder."""


class AuditError(CrisisConsoleError):
    """The audit log cannot be read or appended."""
