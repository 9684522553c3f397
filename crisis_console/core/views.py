"""Saved views: an operator's named inbox filters ("my critical", "legal review"), offered
in the console to apply in one step.

Each operator's own: nobody else reads them, and saving one changes nothing anyone else
sees, so any operator may (an auditor too) and it is not audited. Stored in the state table
`views`, one record per operator and name, on either backend. Built-in views are offered to
everyone, with nothing saved; a saved view of the same name takes its place until deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from crisis_console.core.context import OperatorContext, synchronized
from crisis_console.core.errors import CrisisConsoleError
from crisis_console.core.store.inbox import InboxFilter

TABLE = "views"
NAME_CHARS = 40
VIEWS_KEPT = 30  # saved views per operator at most (the built-in ones not counted)
MY_CRITICAL, LEGAL_REVIEW = "my critical", "legal review"
LEGAL_QUEUE = "legal"  # the shipped playbooks' queue for legal review


class ViewError(CrisisConsoleError):
    """A view that cannot be saved or deleted as asked (a bad name, too many views, no such
    view): nothing was written."""


class View(NamedTuple):
    """A named filter; unpacks as `(name, where)`."""

    name: str
    where: InboxFilter


def _record_key(operator: str, name: str) -> str:
    # The unit separator never appears in a login name, nor in a view's name (refused).
    return f"{operator}\x1f{name.casefold()}"


def check_name(name: str) -> str:
    """The name as kept: without spaces around it; 1 to `NAME_CHARS` printable characters
    (else `ViewError`). Names differ by more than case: "My critical" is "my critical"."""
    kept = " ".join(name.split())
    if not kept:
        raise ViewError("a view needs a name")
    if len(kept) > NAME_CHARS:
        raise ViewError(f"a view's name is at most {NAME_CHARS} characters: {kept[:NAME_CHARS]}…")
    if not kept.isprintable():
        raise ViewError(f"a view's name is printable characters only: {kept!r}")
    return kept


class ViewsDesk:
    """One operator's saved views, and the built-in ones. `my_queues()`: the queues of the
    operator's roles, what "my queue" shows (`ConsoleService.my_queues`)."""

    def __init__(self, ctx: OperatorContext, my_queues: Callable[[], frozenset[str]]) -> None:
        self._ctx, self.lock, self._my_queues = ctx, ctx.lock, my_queues
        self._table = ctx.store.state.tables.table(TABLE)

    @property
    def _me(self) -> str:
        return self._ctx.operator.name

    def built_in(self) -> list[View]:
        """Offered to everyone: my queue's critical mentions, and the legal queue."""
        critical = InboxFilter(
            queues=self._my_queues(), urgency=frozenset({"critical"}), claimed_by=self._me
        )
        return [
            View(MY_CRITICAL, critical),
            View(LEGAL_REVIEW, InboxFilter(queues=frozenset({LEGAL_QUEUE}))),
        ]

    @synchronized
    def save(self, name: str, where: InboxFilter) -> View:
        """Keep `where` under `name`, replacing this operator's view of that name (whatever
        its case). A new name beyond `VIEWS_KEPT` views is refused."""
        name = check_name(name)
        key = _record_key(self._me, name)
        if self._table.get(key) is None and len(self._mine()) >= VIEWS_KEPT:
            raise ViewError(
                f"{self._me} has {VIEWS_KEPT} saved views already: delete one to save another"
            )
        record = {
            "operator": self._me,
            "name": name,
            "filter": where.to_record(),
            "saved_at": self._ctx.clock().isoformat(),
        }
        self._table.apply({key: record})
        return View(name, where)

    @synchronized
    def all(self) -> list[View]:
        """The built-in views, then this operator's saved ones by name; a saved view takes
        the place of a built-in one of the same name."""
        saved = {v.name.casefold(): v for v in self._mine()}
        built = [saved.pop(v.name.casefold(), v) for v in self.built_in()]
        return built + sorted(saved.values(), key=lambda v: v.name.casefold())

    @synchronized
    def delete(self, name: str) -> None:
        """Forget this operator's saved view of that name (a built-in one of that name is
        offered again). One that was never saved is refused, built-in ones included."""
        name = " ".join(name.split())
        key = _record_key(self._me, name)
        if self._table.get(key) is None:
            built = {v.name.casefold() for v in self.built_in()}
            why = "is built in" if name.casefold() in built else "is not saved"
            raise ViewError(f"the view {name!r} {why}: nothing to delete")
        self._table.apply({}, [key])

    def _mine(self) -> list[View]:
        """This operator's saved views. Reads the table, which holds a few views each."""
        return [_view(r) for _, r in self._table if r.get("operator") == self._me]


def _view(record: Mapping[str, Any]) -> View:
    stored = record.get("filter")
    where = InboxFilter.from_record(stored) if isinstance(stored, Mapping) else InboxFilter()
    return View(str(record.get("name", "")), where)
