"""A folder's team file, held to the version last written by a lead's audited change or
acceptance. The store keeps that version (its sha256 and its contents); a file changed
behind crisis-console's back (`sed -i` makes someone lead) is not acted on: the team as last
accepted decides who may do what, until a lead accepts the file (`team accept`), which is
audited with the difference.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from crisis_console.core.errors import CrisisConsoleError
from crisis_console.core.models import Role
from crisis_console.core.roster import Roster, RosterFile, changed, shared_changed
from crisis_console.core.store.state_tables import Singleton


def _snapshot(roster: Roster, sha256: str) -> dict[str, Any]:
    return {
        "sha256": sha256,
        "operators": {n: sorted(r.value for r in roles) for n, roles in roster.operators.items()},
        "shared": {login: sorted(names) for login, names in roster.shared_logins.items()},
    }


def _roster(snapshot: dict[str, Any]) -> Roster:
    return Roster(
        {n: frozenset(Role(r) for r in roles) for n, roles in snapshot["operators"].items()},
        {login: frozenset(names) for login, names in snapshot["shared"].items()},
    )


def _has_lead(snapshot: dict[str, Any]) -> bool:
    return any(Role.LEAD.value in roles for roles in snapshot["operators"].values())


def difference(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Who was added, removed or given other roles, and which shared logins changed."""
    old, new = before["operators"], after["operators"]
    return {
        "added": {n: new[n] for n in sorted(set(new) - set(old))},
        "removed": {n: old[n] for n in sorted(set(old) - set(new))},
        "changed": {
            n: {"before": old[n], "after": new[n]}
            for n in sorted(set(old) & set(new))
            if old[n] != new[n]
        },
        "shared_before": before["shared"],
        "shared_after": after["shared"],
    }


class WatchedRoster:
    """`RosterBook` over a team file, held to its accepted version (see the module)."""

    def __init__(self, file: RosterFile, accepted: Singleton, read_only: bool = False) -> None:
        self._file, self._accepted, self._read_only = file, accepted, read_only

    @property
    def where(self) -> str:
        return self._file.where

    def _current(self) -> tuple[str, Roster | None, str]:
        """The file's hash, its roster (None when it does not parse), and why not."""
        path = self._file.path
        data = path.read_bytes() if path.exists() else b""
        try:
            return hashlib.sha256(data).hexdigest(), self._file.load(), ""
        except CrisisConsoleError as exc:
            return hashlib.sha256(data).hexdigest(), None, str(exc)

    def load(self) -> Roster:
        sha, roster, why = self._current()
        accepted = self._accepted.get()
        if accepted is None:  # the store's first sight of it: this is the team
            if roster is None:
                raise CrisisConsoleError(why)
            if not self._read_only:
                self._accepted.set(_snapshot(roster, sha))
            return roster
        if sha == accepted["sha256"] and roster is not None:
            return roster
        if roster is not None and not _has_lead(accepted):
            # Nobody could accept it: a team with no lead takes the file as it finds it.
            if not self._read_only:
                self._accepted.set(_snapshot(roster, sha))
            return roster
        return _roster(accepted)

    def pending(self) -> dict[str, Any] | None:
        """How the file differs from the team as accepted, or None when it does not."""
        sha, roster, why = self._current()
        accepted = self._accepted.get()
        if accepted is None or sha == accepted["sha256"]:
            return None
        if roster is not None and not _has_lead(accepted):
            return None  # taken as it is (`load`)
        if roster is None:
            return {"unreadable": why}
        return difference(accepted, _snapshot(roster, sha))

    def change(self, name: str, roles: Iterable[Role] | None) -> Roster:
        """A lead's change (checked and audited by the service): the file is written from
        the team as accepted, never from an edit nobody accepted."""
        self._file.write(changed(self.load(), name, roles))
        return self.accept_file()

    def change_shared(self, login: str, names: Iterable[str]) -> Roster:
        """A lead's change of whom the shared terminal's `login` may act as (checked and
        audited by the service), written from the team as accepted, as `change` is."""
        self._file.write(shared_changed(self.load(), login, names))
        return self.accept_file()

    def accept_file(self) -> Roster:
        """Take the file as it is now as the team (a lead's acceptance, audited by the
        service); a file that does not parse is refused."""
        sha, roster, why = self._current()
        if roster is None:
            raise CrisisConsoleError(f"{self.where} cannot be accepted: {why}")
        self._accepted.set(_snapshot(roster, sha))
        return roster


def describe(edited: dict[str, Any]) -> str:
    """The difference in a line: `maya: social -> lead; added sam (support)`."""
    if "unreadable" in edited:
        return f"it no longer reads: {edited['unreadable']}"
    parts = [
        f"{n}: {', '.join(c['before'])} -> {', '.join(c['after'])}"
        for n, c in edited["changed"].items()
    ]
    parts += [f"added {n} ({', '.join(r)})" for n, r in edited["added"].items()]
    parts += [f"removed {n}" for n in edited["removed"]]
    if edited["shared_before"] != edited["shared_after"]:
        parts.append("shared logins changed")
    return "; ".join(parts) or "its text changed"
