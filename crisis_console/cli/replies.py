"""The reply commands: templates, claims, replies and the approval queue, from a shell.

crisis-console templates list | lint | approve ID...
crisis-console claim MENTION [--release | --take-over]
crisis-console reply MENTION --template ID [--var NAME=VALUE ...] [--submit | --send]
crisis-console reply KEY... [--batch] --template ID [--var ...] --submit | --send
crisis-console approvals [list] | approve ID | reject ID --comment TEXT
                         | edit ID --text TEXT | send ID
                         | batch ID | approve-batch ID | reject-batch ID --comment TEXT
                         | send-batch ID

More than one KEY (or `--batch`, or `-`: keys from standard input, one a line) answers them
all as one batch, approved once (`core/replies/batch.py`). A key refused is named on stderr
and the others go on: exit 0 every key answered, 1 some refused, 3 all of them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import IO, Any

from crisis_console import config
from crisis_console.cli import status
from crisis_console.cli.io import err
from crisis_console.core.errors import CrisisConsoleError
from crisis_console.core.replies.batch_model import SEND, SUBMIT, Batch, BatchResult
from crisis_console.core.replies.policy import Finding
from crisis_console.core.replies.reply_model import Reply
from crisis_console.core.replies.templates import load_templates
from crisis_console.core.service import ConsoleService
from crisis_console.core.text import visible

COMMANDS = ("templates", "claim", "reply", "approvals")


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
    reply.add_argument(
        "mentions",
        nargs="+",
        metavar="KEY",
        help="a mention's key; more than one, or -, answers them as one batch",
    )
    batch_help = "answer the keys as one batch, approved once (with --submit or --send)"
    reply.add_argument("--batch", action="store_true", help=batch_help)
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
    a_commands.add_parser("batch", help="a batch's mentions and replies").add_argument("id")
    for verb in ("approve", "send"):
        helped = f"{verb} every reply of a batch waiting for it"
        a_commands.add_parser(f"{verb}-batch", help=helped).add_argument("id")
    reject_batch = a_commands.add_parser("reject-batch", help="reject a whole batch")
    reject_batch.add_argument("id")
    reject_batch.add_argument("--comment", required=True)


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
            keys = _keys(args.mentions)
            if args.batch or len(keys) > 1 or args.mentions != keys:
                return _answer(args, service, keys, variables, out)
            if args.submit or args.send:
                act = desk.submit if args.submit else desk.send
                reply = act(keys[0], args.template, variables)
                _show(reply, out)
                _findings(reply.findings, out)
                return 1 if reply.status == "failed" else 0
            text, findings = desk.preview(keys[0], args.template, variables)
            out.write(visible(text) + "\n")
            _findings(findings, out)
            return 1 if any(f.severity == "block" for f in findings) else 0
        else:
            return _run_approvals(args, service, out)
    except ValueError as exc:
        raise CrisisConsoleError(str(exc)) from exc
    return 0


def _keys(given: Sequence[str]) -> list[str]:
    keys: list[str] = []
    for key in given:
        keys += [line.strip() for line in sys.stdin if line.strip()] if key == "-" else [key]
    return keys


def _answer(
    args: argparse.Namespace,
    service: ConsoleService,
    keys: list[str],
    variables: dict[str, str],
    out: IO[str],
) -> int:
    if not (args.submit or args.send):
        raise CrisisConsoleError("a batch is submitted (--submit) or sent (--send), not previewed")
    how = SUBMIT if args.submit else SEND
    result = service.batches.answer(keys, args.template, variables, how)
    return _batch_report(result, "answered", out)


def _batch_report(result: BatchResult, verb: str, out: IO[str]) -> int:
    """The batch's id and what became of its keys; each refusal on stderr. 0: every key
    went through; 1: some did; 3: none."""
    for key, why in result.refused.items():
        err(f"crisis-console: refused: {key}: {why}")
    out.write(f"batch {result.batch or '(none made)'}: {result.summary(verb)}\n")
    for step in result.ticked:
        out.write(f"checklist step ticked: {step}\n")
    if not result.refused:
        return status.OK
    return status.PARTLY if result.replies else status.REFUSED


def _show_batch(batch: Batch, out: IO[str], keys: bool = False) -> None:
    counts = ", ".join(f"{n} {s}" for s, n in sorted(batch.counts.items()))
    out.write(
        f"batch {batch.id}  {batch.template}  by {batch.author}"
        f"  {batch.created_at:%Y-%m-%d %H:%M} UTC  {counts}  ({batch.state})\n"
    )
    if batch.late:
        out.write("  LATE: a reply is older than its mention's response deadline\n")
    if keys:
        for key, reply_id in batch.replies.items():
            out.write(f"  {key}  {batch.statuses[reply_id]}  {reply_id}\n")
        for key, why in batch.refused.items():
            out.write(f"  {key}  not in the batch: {visible(why)}\n")


def _run_approvals(args: argparse.Namespace, service: ConsoleService, out: IO[str]) -> int:
    desk, batches = service.replies, service.batches
    verb = args.approvals_command
    if verb == "batch":
        _show_batch(batches.get(args.id), out, keys=True)
    elif verb == "approve-batch":
        return _batch_report(batches.approve(args.id), "approved", out)
    elif verb == "reject-batch":
        return _batch_report(batches.reject(args.id, args.comment), "rejected", out)
    elif verb == "send-batch":
        return _batch_report(batches.send(args.id), "sent", out)
    elif verb == "approve":
        _show(desk.approve(args.id), out)
    elif verb == "reject":
        _show(desk.reject(args.id, args.comment), out)
    elif verb == "edit":
        _show(desk.edit(args.id, args.text), out)
    elif verb == "send":
        _show(desk.send_approved(args.id), out)
    else:
        singles, open_batches = batches.queue()
        for reply, late in singles:
            _show(reply, out)
            if late:
                out.write("  LATE: older than the mention's response deadline\n")
            _findings(reply.findings, out)
        for batch in open_batches:
            _show_batch(batch, out)
    if verb in ("approve", "reject", "send"):  # the last reply of a batch closes it
        for step in batches.settle([args.id]):
            out.write(f"checklist step ticked: {step}\n")
    return 0
