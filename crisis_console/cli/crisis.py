"""The crisis commands: level, checklist, harm alarms and the timers, from a shell.

crisis-console crisis status
crisis-console crisis raise LEVEL --reason TEXT     (pr, lead)
crisis-console crisis lower LEVEL --reason TEXT     (pr, lead)
crisis-console alarms [--all]  |  alarms ack MENTION_KEY
crisis-console checklist       |  checklist tick STEP_ID
crisis-console tick            run every timer once (for cron)
crisis-console reclassify MENTION_KEY [--urgency U] [--category C] [--sentiment S] [--note T]
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import IO, Any

from crisis_console.core.crisis.crisis_state import CrisisState
from crisis_console.core.errors import CrisisConsoleError
from crisis_console.core.models import Category, SentimentLabel, Urgency
from crisis_console.core.service import ConsoleService
from crisis_console.core.text import visible
from crisis_console.core.triage.corrections import Correction

COMMANDS = ("crisis", "alarms", "checklist", "tick", "reclassify")


def add_commands(commands: Any) -> None:
    crisis = commands.add_parser("crisis", help="show or change the crisis level")
    crisis_commands = crisis.add_subparsers(dest="crisis_command", required=True)
    crisis_commands.add_parser("status", help="the level, its checklist, open alarms, spikes")
    for verb in ("raise", "lower"):
        change = crisis_commands.add_parser(verb, help=f"{verb} the crisis level (pr, lead)")
        change.add_argument("level", type=int)
        change.add_argument("--reason", required=True, help="why: kept in the audit log")
    alarms = commands.add_parser("alarms", help="list or acknowledge risk-of-harm alarms")
    alarms.add_argument("--all", action="store_true", help="include acknowledged alarms")
    alarm_commands = alarms.add_subparsers(dest="alarm_command")
    ack = alarm_commands.add_parser("ack", help="acknowledge an alarm")
    ack.add_argument("key", help="the mention's key, e.g. x:123")
    checklist = commands.add_parser("checklist", help="the current level's checklist")
    checklist_commands = checklist.add_subparsers(dest="checklist_command")
    tick = checklist_commands.add_parser("tick", help="mark a step done (its owner role)")
    tick.add_argument("step")
    commands.add_parser("tick", help="run the timers once: alarms, SLA breaches, checklist, spikes")
    fix = commands.add_parser(
        "reclassify", help="correct a mention's urgency, category or sentiment (audited)"
    )
    fix.add_argument("key", help="the mention's key, e.g. x:123")
    fix.add_argument("--urgency", choices=[u.value for u in Urgency])
    fix.add_argument("--category", choices=[c.value for c in Category])
    fix.add_argument("--sentiment", choices=[s.value for s in SentimentLabel])
    fix.add_argument("--note", default="", help="why: kept with the correction")


def run(args: argparse.Namespace, service: ConsoleService, out: IO[str]) -> int:
    desk = service.crisis
    try:
        if args.command == "crisis" and args.crisis_command in ("raise", "lower"):
            current = desk.state().level
            rising = args.level > current
            if (args.crisis_command == "raise") != rising or args.level == current:
                raise CrisisConsoleError(
                    f"the level is {current}; '{args.crisis_command} {args.level}' would not "
                    f"{args.crisis_command} it"
                )
            desk.set_level(args.level, args.reason)
            print_status(service, out)
        elif args.command == "crisis":
            print_status(service, out)
        elif args.command == "alarms" and args.alarm_command == "ack":
            alarm = desk.acknowledge(args.key)
            out.write(f"acknowledged {alarm.key} by {alarm.acknowledged_by}\n")
        elif args.command == "alarms":
            for a in desk.alarms(open_only=not args.all):
                state = f"acknowledged by {a.acknowledged_by}" if not a.open else "OPEN"
                out.write(f"{a.key}  raised {_hm(a.raised_at)}  {state}  {visible(a.summary)}\n")
        elif args.command == "checklist" and args.checklist_command == "tick":
            step = desk.tick_step(args.step)
            out.write(f"ticked {step.id} ({step.title}) by {step.done_by}\n")
        elif args.command == "checklist":
            _print_steps(desk.state(), service.clock(), out)
        elif args.command == "reclassify":
            _reclassify(args, service, out)
        else:
            for line in service.timers.tick_all():
                out.write(line + "\n")
    except ValueError as exc:
        raise CrisisConsoleError(str(exc)) from exc
    return 0


def _reclassify(args: argparse.Namespace, service: ConsoleService, out: IO[str]) -> None:
    correction = Correction(
        Urgency(args.urgency) if args.urgency else None,
        Category(args.category) if args.category else None,
        SentimentLabel(args.sentiment) if args.sentiment else None,
        args.note,
    )
    stored = service.corrections.reclassify(args.key, correction)
    c, route = stored.triage.classification, stored.triage.route
    out.write(
        f"{stored.key}: {c.urgency.value}, {c.category.value}, {c.sentiment.label.value}; "
        f"queue {route.queue.value}{', escalated to the lead' if c.escalate else ''}\n"
    )
    out.write(f"  {visible(c.reasons[-1])}\n")


def _hm(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def print_status(service: ConsoleService, out: IO[str]) -> None:
    desk = service.crisis
    state, level = desk.state(), desk.current_level()
    out.write(f"level {state.level} ({level.name}){' — CRISIS MODE' if level.crisis else ''}\n")
    if state.since:
        out.write(f"since {_hm(state.since)} by {state.by}: {visible(state.reason)}\n")
    if level.crisis:
        allowed = ", ".join(level.templates)
        out.write(f"ordinary sending paused; templates allowed: {allowed}\n")
    _print_steps(state, service.clock(), out)
    count, oldest = desk.alarm_summary()
    since = f", the oldest raised {_hm(oldest.raised_at)}" if oldest is not None else ""
    out.write(f"{count} open harm alarm(s){since}\n")
    suggestion = service.timers.spike_suggestion()
    if suggestion is not None:
        out.write(f"SPIKE: consider level {suggestion.level} ({suggestion.level_name}): "
                  f"{'; '.join(suggestion.reasons)}. {suggestion.evidence()}\n")  # fmt: skip


def _print_steps(state: CrisisState, now: datetime, out: IO[str]) -> None:
    if not state.steps:
        out.write("no checklist at this level\n")
        return
    for s in state.steps:
        mark = "x" if s.done_at else ("!" if s.overdue(now) else " ")
        when = f"done {_hm(s.done_at)} by {s.done_by}" if s.done_at else f"due {_hm(s.due)}"
        if s.overdue(now):
            when += " OVERDUE"
        out.write(f"[{mark}] {s.id:<22} {s.owner.value:<8} {when}  {s.title}\n")
