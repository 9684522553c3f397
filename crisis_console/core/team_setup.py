"""A team's own set-up: its first lead (`team init`), and the shared terminals whose login
may act as named operators with `--as` (`shared_logins`). Each change is audited, and so is
each refusal.

Who runs it is the operator the composition root resolved: the account the process runs as
(never an environment variable), or in team mode the database login.
"""

from __future__ import annotations

from collections.abc import Collection

from crisis_console.core.actions import Action, Permission
from crisis_console.core.context import OperatorContext, synchronized
from crisis_console.core.errors import CrisisConsoleError, Refused
from crisis_console.core.models import Role
from crisis_console.core.roster import Roster, RosterBook
from crisis_console.core.roster_watch import WatchedRoster

NO_SHARED_IN_TEAM_MODE = (
    "in team mode each operator connects as their own database login and --as is refused: "
    "there are no shared logins to set"
)


class TeamSetup:
    """The team's first lead and its shared logins, for one operator's session."""

    def __init__(self, ctx: OperatorContext, roster: RosterBook | None) -> None:
        self._ctx, self._roster, self.lock = ctx, roster, ctx.lock

    def _book(self) -> RosterBook:
        if self._roster is None:
            raise CrisisConsoleError("this service was opened without a team to change")
        return self._roster

    @synchronized
    def start(self) -> Roster:
        """Make the operator the lead of a team nobody is on yet (the first run of a new
        folder). Refused, and audited, once anyone is on it: from then on its lead changes
        it (`team set`). (In team mode `db init` has made the schema's owner lead already.)"""
        book, me = self._book(), self._ctx.me
        team = book.load()
        if team.operators:
            leads = sorted(n for n, roles in team.operators.items() if Role.LEAD in roles)
            who = f"lead: {', '.join(leads)}" if leads else "none of them lead"
            why = (
                f"{book.where} already has a team of {len(team.operators)} ({who}); "
                "a lead puts you on it with 'crisis-console team set NAME ROLE...'"
            )
            self._ctx.record(Action.REFUSED, "team", action="init_team", reason=why)
            raise Refused(why)
        # The audit record first, as for every roster change (`ConsoleService.change_team`).
        self._ctx.record(
            Action.ROSTER_CHANGED,
            f"operator:{me}",
            before=[],
            after=[Role.LEAD.value],
            where=book.where,
            first_lead=True,
        )
        return book.change(me, [Role.LEAD])

    @synchronized
    def share(self, login: str, names: Collection[str]) -> Roster:
        """Let the shared terminal's `login` act as each of `names` with `--as`, besides
        whom it may already (lead only, audited). Each name must be on the team."""
        return self._change_shared(login, names, adding=True)

    @synchronized
    def unshare(self, login: str, names: Collection[str] = ()) -> Roster:
        """Stop `login` acting as `names` (none: as anyone); lead only, audited."""
        return self._change_shared(login, names, adding=False)

    def _change_shared(self, login: str, names: Collection[str], adding: bool) -> Roster:
        self._ctx.require(Permission.CHANGE_ROSTER, f"login:{login}")
        book = self._book()
        if not isinstance(book, WatchedRoster):
            raise CrisisConsoleError(NO_SHARED_IN_TEAM_MODE)
        if not login.strip():
            raise CrisisConsoleError("a shared login needs a name: the account of the terminal")
        team = book.load()
        unknown = sorted(n for n in names if n not in team.operators)
        if adding and unknown:
            raise CrisisConsoleError(
                f"not on the team: {', '.join(unknown)} (put them on it first: "
                "'crisis-console team set NAME ROLE...')"
            )
        before = team.shared_logins.get(login, frozenset())
        if adding:
            after = before | frozenset(names)
        else:
            after = before - frozenset(names) if names else frozenset()
        if after == before:
            return team  # nothing changes, so nothing to record
        self._ctx.record(
            Action.SHARED_LOGINS_CHANGED,
            f"login:{login}",
            before=sorted(before),
            after=sorted(after),
            where=book.where,
        )
        return book.change_shared(login, after)
