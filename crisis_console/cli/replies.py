"""The reply commands: templates, claims, replies and the approval queue, from a shell.

crisis-console templates list | lint | approve ID...
crisis-console claim MENTION [--release | --take-over]
crisis-console reply MENTION --template ID [--var NAME=VALUE ...] [--submit | --send]
crisis-console approvals [list] | approve ID | reject ID --comment TEXT
                         | edit ID --text TEXT | send ID
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import IO, Any

from crisis_console import config
from crisis_console.core.errors import CrisisConsoleError
from crisis_console.core.models import Role
from crisis_console.core.replies.policy import Finding
from crisis_console.core.replies.reply_model import Reply
from crisis_console.core.replies.templates import load_templates
from crisis_console.core.service import ConsoleService
from crisis_console.core.text import visible

COMMANDS = ("templates", "claim", "reply", "approvals", "team")


def add_commands(commands: Any) -> None:
    templates = commands.add_parser("templates", help="list, lint or approve reply templates")
    t_commands = templates.add_subparsers(dest="templates_command", required=True)
    t_commands.add_parser("list", help="every template, and whether its content is approved")
    t_commands.add_parser("lint", help="check every template file, listing every problem")
    approve = t_commands.add_parser("approve", help="approve templates' current content (pr, lead)")
    approve.add_argument("ids", nargs="+", metavar="ID")
    claim = commands.add_parser("claim", help="claim a mention before answering it")
    claim.add_argument("mention", help="the mention's key, e.g. x:123")
    claim.add_argument("--release", action="store_true", help="give the claim up")
    claim.add_argument("--take-over", action="store_true", help="take it from its holder (lead)")
    reply = commands.add_parser("reply", help="fill a template for a mention; preview by default")
    reply.add_argument("mention")
    reply.add_argument("--template", required=True, metavar="ID")
    reply.add_argument("--var", action="append", default=[], metavar="NAME=VALUE")
    how = reply.add_mutually_exclusive_group()
    how.add_argument("--submit", action="store_true", help="put it in the approval queue")
    how.add_argument("--send", action="store_true", help="send it now (social, lead)")
    approvals = commands.add_parser("approvals", help="the approval queue")
    a_commands = approvals.add_subparsers(dest="approvals_command")
    a_commands.add_parser("list", help="drafts waiting for approval or for a sender")
    for verb in ("approve", "send"):
        a_commands.add_parser(verb, help=f"{verb} a reply").add_argument("id")
    reject = a_commands.add_parser("reject", help="reject a draft with a comment")
    reject.add_argument("id")
    reject.add_argument("--comment", required=True)
    edit = a_commands.add_parser("edit", help="change a draft's wording (kept as a diff)")
    edit.add_argument("id")
    edit.add_argument("--text", required=True)
    _add_team(commands)


def _add_team(commands: Any) -> None:
    team = commands.add_parser("team", help="who may do what (changes: lead only, audited)")
    t_commands = team.add_subparsers(dest="team_command")
    t_commands.add_parser("list", help="every operator and their roles")
    add = t_commands.add_parser("set", help="put an operator on the team with these roles")
    add.add_argument("name")
    add.add_argument("roles", nargs="+", choices=[r.value for r in Role])
    t_commands.add_parser("remove", help="take an operator off the team").add_argument("name")
    t_commands.add_parser(
        "accept", help="take a team file changed by hand as the team (lead, audited)"
    )


def _run_team(args: argparse.Namespace, service: ConsoleService, out: IO[str]) -> int:
    if args.team_command == "set":
        service.change_team(args.name, [Role(r) for r in args.roles])
    elif args.team_command == "remove":
        service.change_team(args.name, None)
    elif args.team_command == "accept":
        accepted = service.accept_team()
        out.write("accepted: " + json.dumps(accepted) + "\n" if accepted else "nothing to accept\n")
    for name, roles in sorted(service.team().operators.items()):
        out.write(f"{name:<20} {', '.join(sorted(r.value for r in roles))}\n")
    return 0


def _variables(pairs: Sequence[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise CrisisConsoleError(f"--var takes NAME=VALUE, not '{pair}'")
        out[name.strip()] = value
    return out


def _findings(findings: Sequence[Finding], out: IO[str]) -> None:
    for f in findings:
        out.write(f"  {f.severity.upper()}: {visible(f.message)}\n")


def _show(reply: Reply, out: IO[str]) -> None:
    out.write(
        f"{reply.id}  {reply.status}  {reply.mention}  by {reply.author}"
        f"{'  sent by ' + reply.sent_by if reply.sent_by else ''}"
        f"{'  error: ' + reply.error if reply.error else ''}\n"
    )
    out.write(f"  {visible(reply.text)}\n")


def run_templates_lint(out: IO[str]) -> int:
    templates, problems = load_templates(config.shipped_dir("templates"))
    for problem in problems:
        out.write(f"{problem}\n")
    out.write(f"{len(templates)} template(s) ok, {len(problems)} problem(s)\n")
    return 2 if problems else 0


def run(args: argparse.Namespace, service: ConsoleService, out: IO[str]) -> int:
    desk = service.replies
    try:
        if args.command == "templates" and args.templates_command == "approve":
            for ident in args.ids:
                desk.approve_template(ident)
                out.write(f"approved {ident} ({desk.templates[ident].sha256[:12]})\n")
        elif args.command == "templates":
            for t in sorted(desk.templates.values(), key=lambda t: t.id):
                state = "approved" if desk.template_approved(t) else "NOT APPROVED"
                roles = ",".join(sorted(r.value for r in t.roles))
                out.write(f"{t.id:<26} v{t.version} {state:<13} {roles:<28} {t.title}\n")
        elif args.command == "team":
            return _run_team(args, service, out)
        elif args.command == "claim":
            if args.release:
                released = service.claims.release(args.mention)
                if released is None:
                    out.write(f"{args.mention} was not claimed: nothing to release\n")
                else:
                    out.write(f"released {args.mention} (held by {released.holder})\n")
            else:
                c = (service.claims.take_over if args.take_over else service.claims.claim)(
                    args.mention
                )
                out.write(f"{c.key} claimed by {c.holder} until {c.expires:%H:%M} UTC\n")
        elif args.command == "reply":
            variables = _variables(args.var)
            if args.submit or args.send:
                act = desk.submit if args.submit else desk.send
                reply = act(args.mention, args.template, variables)
                _show(reply, out)
                _findings(reply.findings, out)
                return 1 if reply.status == "failed" else 0
            text, findings = desk.preview(args.mention, args.template, variables)
            out.write(visible(text) + "\n")
            _findings(findings, out)
            return 1 if any(f.severity == "block" for f in findings) else 0
        else:
            return _run_approvals(args, service, out)
    except ValueError as exc:
        raise CrisisConsoleError(str(exc)) from exc
    return 0


def _run_approvals(args: argparse.Namespace, service: ConsoleService, out: IO[str]) -> int:
    desk = service.replies
    verb = args.approvals_command
    if verb == "approve":
        _show(desk.approve(args.id), out)
    elif verb == "reject":
        _show(desk.reject(args.id, args.comment), out)
    elif verb == "edit":
        _show(desk.edit(args.id, args.text), out)
    elif verb == "send":
        _show(desk.send_approved(args.id), out)
    else:
        for reply, late in desk.queue():
            _show(reply, out)
            if late:
                out.write("  LATE: older than the mention's response deadline\n")
            _findings(reply.findings, out)
    return 0
