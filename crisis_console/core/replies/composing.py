"""Replies being written: what an operator has typed in the composer and not yet submitted or
sent, kept in the store as they type, so that neither a quit, nor a crash, nor a closed
terminal loses it. Each operator's own: nobody else reads it, nothing is sent from it, and
it is not audited (it becomes a draft, and audited, when it is submitted or sent).

Stored in the state table `composing`, one record per operator and mention, on either
backend; the console discards it once the reply is submitted or sent, or the operator
clears the composer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from crisis_console.core.context import OperatorContext, synchronized

TABLE = "composing"
MAX_VALUE_CHARS = 2_000  # one variable: longer than any reply a platform takes
MAX_VARIABLES = 20


@dataclass(frozen=True, slots=True)
class Composing:
    """The composer's content for one mention: the template picked and what was typed."""

    key: str
    template_id: str
    variables: dict[str, str]
    saved_at: datetime

    @property
    def empty(self) -> bool:
        return not any(self.variables.values())


def _record_key(operator: str, key: str) -> str:
    # The unit separator never appears in a login name or a mention key.
    return f"{operator}\x1f{key}"


class ComposingDesk:
    """One operator's replies in the writing. `save` is cheap enough to call as they type
    (one record written); `mine` lists what they left unsent, for the console to offer."""

    def __init__(self, ctx: OperatorContext) -> None:
        self._ctx, self.lock = ctx, ctx.lock
        self._table = ctx.store.state.tables.table(TABLE)

    @property
    def _me(self) -> str:
        return self._ctx.operator.name

    @synchronized
    def save(self, key: str, template_id: str, variables: Mapping[str, str]) -> None:
        """Keep what is in the composer now; an empty composer keeps nothing."""
        kept = {
            str(name)[:100]: str(value)[:MAX_VALUE_CHARS]
            for name, value in list(variables.items())[:MAX_VARIABLES]
            if value
        }
        where = _record_key(self._me, key)
        if not kept:
            self._table.apply({}, [where])
            return
        record = {
            "operator": self._me,
            "key": key,
            "template": template_id,
            "variables": kept,
            "saved_at": self._ctx.clock().isoformat(),
        }
        self._table.apply({where: record})

    @synchronized
    def get(self, key: str) -> Composing | None:
        """What this operator left in the composer for this mention, if anything."""
        record = self._table.get(_record_key(self._me, key))
        return _composing(record) if record is not None else None

    @synchronized
    def discard(self, key: str) -> None:
        self._table.apply({}, [_record_key(self._me, key)])

    @synchronized
    def mine(self) -> list[Composing]:
        """Every reply this operator left unsent, oldest first. Reads the table, which holds
        only replies in the writing (each is removed once submitted or sent)."""
        found = [_composing(r) for _, r in self._table if r.get("operator") == self._me]
        return sorted(found, key=lambda c: c.saved_at)


def _composing(record: Mapping[str, object]) -> Composing:
    variables = record.get("variables")
    return Composing(
        str(record["key"]),
        str(record["template"]),
        {str(k): str(v) for k, v in variables.items()} if isinstance(variables, dict) else {},
        datetime.fromisoformat(str(record["saved_at"])),
    )
