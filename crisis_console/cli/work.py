"""Working mentions without replying, from a shell: one mention or many at once.

crisis-console assign KEY... --to NAME          a team member, or a queue (queue:NAME)
crisis-console unassign KEY...
crisis-console note KEY TEXT                    an internal note, never sent
crisis-console tag KEY... TAG [--remove]
crisis-console close KEY... --reason REASON [--comment TEXT]
crisis-console reopen KEY...
crisis-console worked KEY                       a mention's assignment, tags, closure, notes
crisis-console notices [--all]                  what was assigned to me

A KEY of `-` reads keys from standard input, one a line (a selection from a script). Each
key is checked on its own: a key refused is named on stderr, and the others go on. Exit
status (`status`): 0 every key done (or already so), 1 some refused, 3 every key refused.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import IO, Any

from crisis_console.cli import status
from crisis_console.cli.io import err
from crisis_console.core.service import ConsoleService
from crisis_console.core.text import visible
from crisis_console.core.work.model import CLOSE_REASONS, Outcome

COMMANDS = ("assign", "unassign", "note", "tag", "close", "reopen", "worked", "notices")
FROM_STDIN = "-"


def add_commands(commands: Any) -> None:
    keys_help = "mention keys (x:123 ...); - reads them from stdin, one a line"
    assign = commands.add_parser("assign", help="assign mentions to a team member or a queue")
    assign.add_argument("keys", nargs="+", metavar="KEY", help=keys_help)
    assign.add_argument("--to", required=True, metavar="NAME",
                        help="a team member's name, or a queue (queue:NAME if a member has "
                        "the queue's name)")  # fmt: skip
    commands.add_parser("unassign", help="take mentions' assignment back").add_argument(
        "keys", nargs="+", metavar="KEY", help=keys_help
    )
    note = commands.add_parser("note", help="add an internal note (never sent) to a mention")
    note.add_argument("key", metavar="KEY")
    note.add_argument("text", metavar="TEXT")
    tag = commands.add_parser("tag", help="tag mentions (free text, or the playbook's tags)")
    tag.add_argument("keys", nargs="+", metavar="KEY", help=keys_help)
    tag.add_argument("tag", metavar="TAG", help="e.g. refund-request (#Refund Request is the same)")
    tag.add_argument("--remove", action="store_true", help="untag them instead")
    close = commands.add_parser("close", help="close mentions without replying, with a reason")
    close.add_argument("keys", nargs="+", metavar="KEY", help=keys_help)
    close.add_argument("--reason", required=True, choices=CLOSE_REASONS)
    close.add_argument("--comment", default="", help="why, in a few words (kept, audited)")
    commands.add_parser("reopen", help="open closed mentions again").add_argument(
        "keys", nargs="+", metavar="KEY", help=keys_help
    )
    commands.add_parser(
        "worked", help="a mention's assignment, tags, closure and notes"
    ).add_argument("key", metavar="KEY")
    notices = commands.add_parser("notices", help="what was assigned to me, and mark it seen")
    notices.add_argument("--all", action="store_true", help="every notice kept, seen or not")


def run(args: argparse.Namespace, service: ConsoleService, out: IO[str]) -> int:
    desk = service.work
    if args.command == "note":
        note = desk.note(args.key, args.text)
        out.write(f"noted on {args.key} by {note.by} at {note.at:%Y-%m-%d %H:%M} UTC\n")
        return status.OK
    if args.command == "worked":
        return _show(service, args.key, out)
    if args.command == "notices":
        return _notices(service, args.all, out)
    keys = _keys(args.keys)
    if args.command == "assign":
        return _report(desk.assign(keys, args.to), f"assigned to {args.to}", out)
    if args.command == "unassign":
        return _report(desk.unassign(keys), "unassigned", out)
    if args.command == "tag" and args.remove:
        return _report(desk.untag(keys, args.tag), "untagged", out)
    if args.command == "tag":
        return _report(desk.tag(keys, args.tag), "tagged", out)
    if args.command == "close":
        return _report(desk.close(keys, args.reason, args.comment), f"closed ({args.reason})", out)
    return _report(desk.reopen(keys), "reopened", out)


def _keys(given: Sequence[str]) -> list[str]:
    keys: list[str] = []
    for key in given:
        keys += [line.strip() for line in sys.stdin if line.strip()] if key == FROM_STDIN else [key]
    return keys


def _report(outcome: Outcome, verb: str, out: IO[str]) -> int:
    for key, why in outcome.refused.items():
        err(f"crisis-console: refused: {key}: {why}")
    out.write(outcome.summary(verb) + "\n")
    if not outcome.refused:
        return status.OK
    return status.PARTLY if outcome.done or outcome.unchanged else status.REFUSED


def _show(service: ConsoleService, key: str, out: IO[str]) -> int:
    work = service.work.detail(key)
    a, c = work.assignment, work.closure
    if a is not None:
        where = " ".join(p for p in (a.person or "", f"(queue {a.queue})" if a.queue else "") if p)
        out.write(f"assigned: {where}, by {a.by} at {a.at:%Y-%m-%d %H:%M} UTC\n")
    if work.tags:
        out.write(f"tags: {', '.join(work.tags)}\n")
    if c is not None:
        comment = f": {visible(c.comment)}" if c.comment else ""
        out.write(f"closed: {c.reason}, by {c.by} at {c.at:%Y-%m-%d %H:%M} UTC{comment}\n")
    for note in work.notes:
        out.write(f"note by {note.by} at {note.at:%Y-%m-%d %H:%M} UTC:\n  {visible(note.text)}\n")
    if not (a or work.tags or c or work.notes):
        out.write(f"{key}: not worked on (no assignment, tag, closure or note)\n")
    return status.OK


def _notices(service: ConsoleService, every: bool, out: IO[str]) -> int:
    notices = service.work.notices(unseen=not every)
    for n in notices:
        more = f" and {n.count - len(n.keys)} more" if n.count > len(n.keys) else ""
        out.write(f"{n.at:%Y-%m-%d %H:%M} UTC  {n.by} assigned you {', '.join(n.keys)}{more}\n")
    if not notices:
        out.write("nothing new assigned to you\n" if not every else "no notices\n")
    elif not every:
        service.work.seen_notices(notices[-1].number)
    return status.OK
