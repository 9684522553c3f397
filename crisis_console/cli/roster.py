"""The team commands: who may do what, from a shell. Every change is the core service's to
check (lead only, but `init` on a team nobody is on yet) and to audit.

crisis-console team [list]
crisis-console team init                       the first run: make yourself the lead
crisis-console team set NAME ROLE... | remove NAME | accept
crisis-console team shared-logins [list]
crisis-console team shared-logins add LOGIN NAME...      LOGIN may act as NAME with --as
crisis-console team shared-logins remove LOGIN [NAME...]
"""

from __future__ import annotations

import argparse
import json
import shlex
from typing import IO, Any

from crisis_console.core.models import Role
from crisis_console.core.roster import Roster
from crisis_console.core.service import ConsoleService

COMMANDS = ("team",)
ROLES = ", ".join(r.value for r in Role)


def add_commands(commands: Any) -> None:
    team = commands.add_parser("team", help="who may do what (changes: lead only, audited)")
    t_commands = team.add_subparsers(dest="team_command")
    t_commands.add_parser("list", help="every operator and their roles")
    t_commands.add_parser(
        "init", help="the first run: make yourself the lead of a team nobody is on yet"
    )
    add = t_commands.add_parser("set", help="put an operator on the team with these roles")
    add.add_argument("name")
    add.add_argument("roles", nargs="+", choices=[r.value for r in Role])
    t_commands.add_parser("remove", help="take an operator off the team").add_argument("name")
    t_commands.add_parser(
        "accept", help="take a team file changed by hand as the team (lead, audited)"
    )
    shared = t_commands.add_parser(
        "shared-logins", help="which operators a shared terminal's login may act as with --as"
    )
    s_commands = shared.add_subparsers(dest="shared_command")
    s_commands.add_parser("list", help="every shared login and whom it may act as")
    allow = s_commands.add_parser("add", help="let LOGIN act as each NAME with --as (lead)")
    allow.add_argument("login", help="the shared terminal's account, e.g. ops-console")
    allow.add_argument("names", nargs="+", metavar="NAME", help="an operator on the team")
    stop = s_commands.add_parser(
        "remove", help="stop LOGIN acting as each NAME, or as anyone (lead)"
    )
    stop.add_argument("login")
    stop.add_argument("names", nargs="*", metavar="NAME")


def run(args: argparse.Namespace, service: ConsoleService, out: IO[str]) -> int:
    verb = args.team_command
    if verb == "init":
        _init(args, service, out)
        return 0
    if verb == "shared-logins":
        return _shared(args, service, out)
    if verb == "set":
        service.change_team(args.name, [Role(r) for r in args.roles])
    elif verb == "remove":
        service.change_team(args.name, None)
    elif verb == "accept":
        accepted = service.accept_team()
        out.write("accepted: " + json.dumps(accepted) + "\n" if accepted else "nothing to accept\n")
    _list(service.team(), out)
    return 0


def _list(team: Roster, out: IO[str]) -> None:
    for name, roles in sorted(team.operators.items()):
        out.write(f"{name:<20} {', '.join(sorted(r.value for r in roles))}\n")


def _init(args: argparse.Namespace, service: ConsoleService, out: IO[str]) -> None:
    team = service.team_setup.start()
    me = service.operator.name
    cli = "crisis-console" + (f" --data-dir {shlex.quote(args.data_dir)}" if args.data_dir else "")
    out.write(f"{me} is now the team's lead, its only member (audited)\n")
    _list(team, out)
    out.write(
        "Next:\n"
        f"  {cli} team set NAME ROLE...       put each colleague on the team, by their "
        f"login ({ROLES})\n"
        f"  {cli} templates approve ID...     approve the reply templates the team may "
        f"send ('{cli} templates list' shows them)\n"
        f"  {cli} ingest FILE                 bring mentions in (JSON Lines, CSV, Excel)\n"
        f"  {cli}                             open the console\n"
    )


def _shared(args: argparse.Namespace, service: ConsoleService, out: IO[str]) -> int:
    verb = args.shared_command
    if verb == "add":
        team = service.team_setup.share(args.login, args.names)
    elif verb == "remove":
        team = service.team_setup.unshare(args.login, args.names)
    else:
        team = service.team()
    if not team.shared_logins:
        out.write("no shared logins: nobody may act as another with --as\n")
    for login, names in sorted(team.shared_logins.items()):
        out.write(f"{login:<20} may act as {', '.join(sorted(names))}\n")
    return 0
