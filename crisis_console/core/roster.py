"""Who is acting and what they may do: the team file and the permission table.

The team file (`team.yaml` in the data folder) maps operator names — OS login names — to
roles. Someone not on it may read but change nothing. `lead` may do everything; `auditor`
only reads and exports. The service checks every action here; the console only reflects it.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from crisis_console.core.actions import Permission
from crisis_console.core.errors import FileRefused, Refused
from crisis_console.core.models import Role
from crisis_console.core.permissions import BASE
from crisis_console.core.playbook.yamlcheck import Checker
from crisis_console.core.playbook.yamlfile import load_yaml


def process_account() -> str:
    """The name of the account this process runs as, from its effective uid. `USER`,
    `LOGNAME` and the rest of the environment are the caller's to set, so they never say
    who someone is."""
    try:
        import pwd  # POSIX only: the console is for Unix hosts, reached over SSH
    except ImportError:  # pragma: no cover - no uid to trust on Windows
        return getpass.getuser()
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:  # an account the password database does not list
        return f"uid:{os.geteuid()}"


TEAM_FILE = "team.yaml"


class RosterError(FileRefused):
    """The team file is broken; `.problems` lists every problem."""

    what = "team file"


class PermissionDenied(Refused):
    """The operator's roles do not allow the action. The refusal has been audited."""


@dataclass(frozen=True, slots=True)
class Operator:
    name: str
    roles: frozenset[Role]

    @property
    def known(self) -> bool:
        return bool(self.roles)

    def describe(self) -> str:
        roles = ", ".join(sorted(r.value for r in self.roles)) or "read-only: not on the team"
        return f"{self.name} ({roles})"


def may(operator: Operator, action: Permission, also: frozenset[Role] = frozenset()) -> bool:
    """True when one of the operator's roles allows `action` at an ordinary level, or is
    among `also` (the level's, from `permissions.allowed`)."""
    if Role.LEAD in operator.roles:
        return True
    return bool(operator.roles & (BASE.get(action, frozenset()) | also))


@dataclass(frozen=True, slots=True)
class Roster:
    operators: dict[str, frozenset[Role]]
    # A shared terminal's login -> the operators who may act from it with `--as NAME`.
    shared_logins: dict[str, frozenset[str]] = field(default_factory=dict)

    def operator(self, name: str) -> Operator:
        return Operator(name, self.operators.get(name, frozenset()))

    def acting(self, login: str, as_name: str | None) -> Operator:
        """Who is acting: the login, or `as_name` where the team file allows it for that login."""
        if as_name is None or as_name == login:
            return self.operator(login)
        if as_name not in self.shared_logins.get(login, frozenset()):
            raise PermissionDenied(
                f"login {login} may not act as {as_name}: the team file's shared_logins does "
                "not allow it"
            )
        return self.operator(as_name)


def load_roster(path: Path) -> Roster:
    """The team file at `path`; no file means nobody is on the team yet (all read-only)."""
    if not path.exists():
        return Roster({})
    doc, problems = load_yaml(path.read_text(encoding="utf-8"), str(path))
    if doc is None:
        raise RosterError(problems)
    checker = Checker(doc, str(path), problems)
    checker.mapping((), {"operators", "shared_logins"})
    operators: dict[str, frozenset[Role]] = {}
    for name in checker.mapping(("operators",)):
        roles = checker.enum_set(("operators", name), Role)
        if not roles:
            checker.fail(("operators", name), "needs at least one role")
        else:
            operators[str(name)] = roles
    shared: dict[str, frozenset[str]] = {}
    if checker.node(("shared_logins",)) is not None:
        for login in checker.mapping(("shared_logins",)):
            names = checker.strings(("shared_logins", login))
            unknown = [n for n in names if n not in operators]
            if unknown:
                checker.fail(("shared_logins", login), f"not on the team: {', '.join(unknown)}")
            shared[str(login)] = frozenset(names)
    if checker.problems:
        raise RosterError(checker.problems)
    return Roster(operators, shared)


def write_roster(
    path: Path, operators: Mapping[str, Iterable[Role]], shared: Mapping[str, Iterable[str]] = {}
) -> None:
    """Write a team file (the demo's, and every change a lead makes)."""
    lines = [
        "# Who may do what: OS login -> roles (social, pr, support, legal, lead, auditor)",
        "operators:",
    ]
    lines += [
        f"  {json.dumps(name)}: [{', '.join(sorted(r.value for r in roles))}]"  # JSON is YAML
        for name, roles in operators.items()
    ]
    if shared:
        lines.append("# A shared terminal's login -> who may act from it with --as NAME")
        lines.append("shared_logins:")
        lines += [
            f"  {json.dumps(login)}: {json.dumps(sorted(names))}" for login, names in shared.items()
        ]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)


def changed(roster: Roster, name: str, roles: Iterable[Role] | None) -> Roster:
    """`roster` with `name` given these roles (None: taken off the team, and out of every
    shared login's list)."""
    operators = dict(roster.operators)
    if roles is None:
        operators.pop(name, None)
    else:
        operators[name] = frozenset(roles)
    shared = {
        login: frozenset(n for n in names if n in operators)
        for login, names in roster.shared_logins.items()
    }
    return Roster(operators, shared)


def shared_changed(roster: Roster, login: str, names: Iterable[str]) -> Roster:
    """`roster` with the shared terminal's `login` allowed to act as exactly `names` with
    `--as` (none: taken out of `shared_logins`)."""
    shared = dict(roster.shared_logins)
    allowed = frozenset(names)
    if allowed:
        shared[login] = allowed
    else:
        shared.pop(login, None)
    return Roster(dict(roster.operators), shared)


def change_roster(path: Path, name: str, roles: Iterable[Role] | None) -> Roster:
    """Give `name` these roles (None: take them off the team); the file is rewritten whole."""
    new = changed(load_roster(path), name, roles)
    write_roster(path, new.operators, new.shared_logins)
    return load_roster(path)


class RosterBook(Protocol):
    """Where the team is kept: a team file in a folder (`RosterFile`), the `roster` table in
    team mode (`PgRoster`)."""

    @property
    def where(self) -> str:
        """For messages: the file, or the database."""
        ...

    def load(self) -> Roster: ...
    def change(self, name: str, roles: Iterable[Role] | None) -> Roster: ...


@dataclass(frozen=True)
class RosterFile:
    """The team file of a data folder."""

    path: Path

    @property
    def where(self) -> str:
        return str(self.path)

    def load(self) -> Roster:
        return load_roster(self.path)

    def change(self, name: str, roles: Iterable[Role] | None) -> Roster:
        return change_roster(self.path, name, roles)

    def write(self, roster: Roster) -> None:
        write_roster(self.path, roster.operators, roster.shared_logins)
