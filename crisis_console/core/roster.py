"""Who is acting and what they may do: the team file and the permission table.

The team file (`team.yaml` in the data folder) maps operator names — OS login names — to
roles. Someone not on it may read but change nothing. `lead` may do everything; `auditor`
only reads and exports. The service checks every action here; the console only reflects it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from crisis_console.core.errors import CrisisConsoleError, Problem
from crisis_console.core.models import Role
from crisis_console.core.yamlcheck import Checker
from crisis_console.core.yamlfile import load_yaml

TEAM_FILE = "team.yaml"


class RosterError(CrisisConsoleError):
    """The team file is broken; `.problems` lists every problem."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("team file refused:\n" + "\n".join(f"  {p}" for p in problems))


class PermissionDenied(CrisisConsoleError):
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


# Which roles may do what. `lead` is added to every entry below.
ACTIONS: dict[str, frozenset[Role]] = {
    "change_level": frozenset({Role.PR}),
    "acknowledge_alarm": frozenset({Role.PR, Role.SOCIAL}),
    "tick_checklist": frozenset(),  # only the step's owner role (and lead), checked by caller
}


def may(operator: Operator, action: str, also: frozenset[Role] = frozenset()) -> bool:
    """True when one of the operator's roles allows `action` (`also`: roles allowed here)."""
    if Role.LEAD in operator.roles:
        return True
    return bool(operator.roles & (ACTIONS.get(action, frozenset()) | also))


@dataclass(frozen=True, slots=True)
class Roster:
    operators: dict[str, frozenset[Role]]

    def operator(self, name: str) -> Operator:
        return Operator(name, self.operators.get(name, frozenset()))


def load_roster(path: Path) -> Roster:
    """The team file at `path`; no file means nobody is on the team yet (all read-only)."""
    if not path.exists():
        return Roster({})
    doc, problems = load_yaml(path.read_text(encoding="utf-8"), str(path))
    if doc is None:
        raise RosterError(problems)
    checker = Checker(doc, str(path), problems)
    checker.mapping((), {"operators"})
    operators: dict[str, frozenset[Role]] = {}
    for name in checker.mapping(("operators",)):
        roles = checker.enum_set(("operators", name), Role)
        if not roles:
            checker.fail(("operators", name), "needs at least one role")
        else:
            operators[str(name)] = roles
    if checker.problems:
        raise RosterError(checker.problems)
    return Roster(operators)


def write_roster(path: Path, operators: dict[str, list[Role]]) -> None:
    """Write a team file (used by the demo to put its operator on the team)."""
    lines = [
        "# Who may do what: OS login -> roles (social, pr, support, legal, lead, auditor)",
        "operators:",
    ]
    lines += [
        f"  {json.dumps(name)}: [{', '.join(r.value for r in roles)}]"  # JSON strings are YAML
        for name, roles in operators.items()
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
