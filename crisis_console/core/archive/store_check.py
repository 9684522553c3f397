"""The stored mentions checked against the audit chain: every stored mention must be what
its latest record in the chain says it is (`mention.ingested`, `.version` and `.deleted`
carry the whole stored mention), so a byte changed in a store's file or row is found, and
so is a mention the chain never logged, or one it logged that the store lost.

What is compared is what the post said and when: the mention as it arrived, its earlier
versions, when it was stored and when it was deleted. Its triage is left out, as a change
of crisis level routes it again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from crisis_console.core.actions import REPLAYED
from crisis_console.core.archive.audit import Audit
from crisis_console.core.archive.audit_verify import canonical
from crisis_console.core.models import StoredMention, stored_to_record

_COMPARED = ("mention", "history", "ingested_at", "deleted_at")
_SHOWN = 5  # mismatches named in the message; the count says how many in all


@dataclass(frozen=True, slots=True)
class StoreCheck:
    checked: int
    mismatched: list[str]  # "key: what is wrong"

    @property
    def ok(self) -> bool:
        return not self.mismatched

    def describe(self) -> str:
        if self.ok:
            return f"ok: {self.checked} stored mention(s) match the audit chain"
        shown = "; ".join(self.mismatched[:_SHOWN])
        more = len(self.mismatched) - _SHOWN
        return (
            f"{len(self.mismatched)} stored mention(s) differ from the audit chain "
            f"(changed outside crisis-console?): {shown}"
            + (f"; and {more} more" if more > 0 else "")
        )


def content_digest(record: Mapping[str, Any]) -> bytes:
    """A short digest of what a stored mention's record says (see the module docstring)."""
    return hashlib.sha256(canonical({k: record.get(k) for k in _COMPARED})).digest()[:12]


def check_store(
    audit: Audit,
    stored: Iterable[StoredMention],
    again: Callable[[list[str]], Mapping[str, StoredMention]],
) -> StoreCheck:
    """Compare every stored mention with its latest record in `audit`. A writer may be
    storing while this reads, so what differs is read again (`again(keys)`, after the chain
    is read once more) before it is reported."""
    logged = _logged(audit)
    seen: set[str] = set()
    suspects: list[str] = []
    checked = 0
    for mention in stored:
        checked += 1
        seen.add(mention.key)
        if logged.get(mention.key) != content_digest(stored_to_record(mention)):
            suspects.append(mention.key)
    missing = [key for key in logged if key not in seen]
    if not suspects and not missing:
        return StoreCheck(checked, [])
    logged = _logged(audit)
    now = again(suspects + missing)
    problems: list[str] = []
    for key in suspects + missing:
        found = now.get(key)
        if found is None:
            if key in logged:
                problems.append(f"{key}: in the audit chain, not in the store")
        elif key not in logged:
            problems.append(f"{key}: in the store, never in the audit chain")
        elif logged[key] != content_digest(stored_to_record(found)):
            problems.append(f"{key}: the stored text or times differ from the chain's")
    return StoreCheck(checked, problems)


def _logged(audit: Audit) -> dict[str, bytes]:
    """Each mention's latest digest in the chain, by key."""
    return {record["subject"]: content_digest(record["data"]) for record in audit.read(REPLAYED)}
