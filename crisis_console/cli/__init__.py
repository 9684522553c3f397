"""The command line and the composition root: the one place that builds and injects everything.

crisis-console [--data-dir DIR] [--playbook P]        open the console
crisis-console triage [FILE|-]                        classify + route to JSONL, no storage
crisis-console ingest FILE|- [FILE...]                triage and store, with an audit event each
crisis-console csv-presets [NAME]                     the CSV presets ingest recognises
crisis-console demo [--no-open]                       load the demo data and open the console
crisis-console playbook validate [PATH]               check a playbook, listing every problem
crisis-console playbook use NAME                      put a playbook in force for this store (lead)
crisis-console report [incident] [--from --to] [--format text|json|html] [--out FILE]
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import IO

from crisis_console import __version__, config, demo
from crisis_console.cli import audit as cli_audit
from crisis_console.cli import crisis as cli_crisis
from crisis_console.cli import db as cli_db
from crisis_console.cli import eval as cli_eval
from crisis_console.cli import ingest as cli_ingest
from crisis_console.cli import playbooks as cli_playbooks
from crisis_console.cli import replies as cli_replies
from crisis_console.cli import report as cli_report
from crisis_console.cli import roster as cli_roster
from crisis_console.cli import second_opinion as cli_second
from crisis_console.cli import serve as cli_serve
from crisis_console.cli import status, team
from crisis_console.cli import thread as cli_thread
from crisis_console.cli import triage as cli_triage
from crisis_console.cli import work as cli_work
from crisis_console.cli.ingest_jobs import WorkerSetup
from crisis_console.cli.io import STDIN, check_out, err, open_lines, safe_terminal, source_name
from crisis_console.cli.wiring import open_reader as open_reader
from crisis_console.cli.wiring import open_service as open_service
from crisis_console.core.errors import CrisisConsoleError, PlaybookError, Refused
from crisis_console.core.models import Clock, system_clock
from crisis_console.core.playbook.playbook import Playbook
from crisis_console.core.playbook.playbook_check import load_playbook
from crisis_console.core.service import ConsoleService
from crisis_console.core.triage.routing import Triager


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crisis-console",
        description="Triage social-media mentions and run crisis playbooks. "
        "With no command, opens the console.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--data-dir",
        help=f"data folder (default: ${config.HOME_ENV}, else your user data directory)",
    )
    parser.add_argument(
        "--playbook",
        help="playbook file, or the name of a shipped one "
        f"(default: ${config.PLAYBOOK_ENV}, else '{config.DEFAULT_PLAYBOOK}')",
    )
    parser.add_argument(
        "--db",
        metavar="URL",
        help="team mode: the PostgreSQL database (postgresql://you@host/name; default: "
        f"${config.DB_ENV}, else 'db:' in settings.yaml); without it, the data folder",
    )
    parser.add_argument(
        "--as",
        dest="as_name",
        metavar="NAME",
        help="act as another operator from a shared terminal, where team.yaml allows it",
    )
    parser.add_argument(
        "--second-opinion",
        action="store_true",
        help="judge what the word lists did not escalate again with the semantic model, "
        "in the background (needs its extra; or 'second_opinion: on' in settings.yaml)",
    )
    parser.add_argument(
        "--follow",
        type=Path,
        metavar="FILE",
        help="with the console: ingest new lines of this JSONL file as they arrive",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    triage = commands.add_parser("triage", help="classify and route mentions to JSONL on stdout")
    triage.add_argument("file", nargs="?", default=STDIN, help="JSONL file, or - for stdin")
    triage.add_argument("--level", type=int, default=0, help="route as at this crisis level")
    triage.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        help="worker processes (default: one a core for a file, none for a pipe, which is "
        "answered line by line)",
    )

    demo_cmd = commands.add_parser(
        "demo", help="load the demo data into its own folder and open it"
    )
    demo_cmd.add_argument(
        "--no-open", action="store_true", help="load only; do not open the console"
    )

    cli_ingest.add_commands(commands)
    cli_eval.add_commands(commands)
    cli_crisis.add_commands(commands)
    cli_replies.add_commands(commands)
    cli_work.add_commands(commands)
    cli_roster.add_commands(commands)
    cli_audit.add_commands(commands)
    cli_serve.add_commands(commands)
    cli_report.add_commands(commands)
    cli_thread.add_commands(commands)
    cli_db.add_commands(commands)

    cli_playbooks.add_commands(commands)
    cli_second.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None, clock: Clock = system_clock) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:  # the console: Textual owns the terminal
        return _commands(args, clock)
    with safe_terminal():
        return _commands(args, clock)


def _commands(args: argparse.Namespace, clock: Clock) -> int:
    try:
        if isinstance(getattr(args, "out", None), Path):
            check_out(args.out, config.data_dir(args.data_dir))
        if args.command == "triage":
            return run_triage(args, sys.stdout)
        if args.command == "ingest":
            return run_ingest(args, clock)
        if args.command == "demo":
            return run_demo(args, clock)
        if args.command == "csv-presets":
            return cli_ingest.run_presets(args, sys.stdout)
        if args.command == "eval" and args.file == cli_eval.EXPORT:
            folder = config.data_dir(args.data_dir)
            with open_reader(
                folder, _playbook(args), clock, as_name=args.as_name, db=_db(args, folder)
            ) as service:
                return cli_eval.export_corrections(args, service, sys.stdout)
        if args.command == "eval":
            return cli_eval.run_eval(args, _playbook(args), sys.stdout)
        if args.command == cli_second.COMMAND:
            with _judged_service(args, clock, config.data_dir(args.data_dir)) as service:
                return cli_second.run(service)
        if args.command == "audit":
            return cli_audit.run(args, clock, _db(args, config.data_dir(args.data_dir)))
        if args.command == "templates" and args.templates_command == "lint":
            return cli_replies.run_templates_lint(sys.stdout)
        # The commands that act as the operator on the store: each module runs its own.
        for commands in (cli_replies, cli_roster, cli_work, cli_crisis):
            if args.command in commands.COMMANDS:
                folder = config.data_dir(args.data_dir)
                with open_service(
                    folder, _playbook(args), clock, as_name=args.as_name, db=_db(args, folder)
                ) as service:
                    done: int = commands.run(args, service, sys.stdout)
                    return done
        if args.command in cli_playbooks.COMMANDS:
            db = _db(args, config.data_dir(args.data_dir))
            return cli_playbooks.run(args, clock, db, sys.stdout)
        if args.command in cli_db.COMMANDS:
            dsn = _db(args, config.data_dir(args.data_dir))
            return cli_db.run(args, dsn, sys.stdout)
        if args.command == "serve":
            return run_serve(args, clock)
        if args.command == "report":
            folder = config.data_dir(args.data_dir)
            with open_reader(
                folder, _playbook(args), clock, as_name=args.as_name, db=_db(args, folder)
            ) as service:
                return cli_report.run(args, service)
        if args.command == cli_thread.COMMAND:  # a reader: beside a running console too
            folder = config.data_dir(args.data_dir)
            with open_reader(
                folder, _playbook(args), clock, as_name=args.as_name, db=_db(args, folder)
            ) as service:
                return cli_thread.run(args, service, sys.stdout)
        return run_console(config.data_dir(args.data_dir), args, clock)
    # The exit statuses are `status`'s (README's "Exit status"): a refusal by a rule is 3
    # wherever it comes from, never the 2 of a command that could not run as given.
    except PlaybookError as exc:
        err(str(exc))
        return status.NOT_DONE
    except Refused as exc:
        err(f"crisis-console: refused: {exc}")
        return status.REFUSED
    except CrisisConsoleError as exc:
        err(f"crisis-console: {exc}")
        return status.NOT_DONE
    except KeyboardInterrupt:
        err("crisis-console: interrupted")  # (what was acknowledged before it stays so)
        return status.INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`... | head`): stop quietly, as a shell tool does.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return status.PARTLY
    except Exception as exc:
        if type(exc).__module__.split(".")[0] not in ("psycopg", "psycopg_pool"):
            raise
        # The team database said no (a grant missing, the server gone): say so, no traceback.
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        hint = " (see 'Team mode' in README.md for the grants)" if "permission" in reason else ""
        err(f"crisis-console: the team database refused: {reason}{hint}")
        return status.NOT_DONE


def _playbook(args: argparse.Namespace) -> Playbook:
    folder = (
        config.demo_dir(args.data_dir) if args.command == "demo" else config.data_dir(args.data_dir)
    )
    return load_playbook(config.playbook_path(args.playbook, folder=folder))


def run_triage(args: argparse.Namespace, out: IO[str]) -> int:
    triager = Triager(_playbook(args))
    with open_lines(args.file) as lines:
        jobs = cli_triage.auto_jobs(lines, args.jobs)
        source = source_name(args.file)
        return cli_triage.triage_lines(
            triager, lines, source, system_clock(), args.level, out, jobs
        )


def _db(args: argparse.Namespace, folder: Path) -> str | None:
    """Team mode's database, if one is named (`config.database`)."""
    return config.database(getattr(args, "db", None), folder)


def _judged_service(
    args: argparse.Namespace, clock: Clock, folder: Path
) -> AbstractContextManager[ConsoleService]:
    """`open_service` on `folder` as the command line asks, with the second opinion when it
    is on (`cli_second.judge_factory`)."""
    return open_service(
        folder,
        _playbook(args),
        clock,
        as_name=args.as_name,
        db=_db(args, folder),
        second_opinion=cli_second.judge_factory(args, folder),
    )


def run_ingest(args: argparse.Namespace, clock: Clock) -> int:
    cli_ingest.check(args)
    folder = config.data_dir(args.data_dir)
    db = _db(args, folder)
    if args.jobs > 1 and not db:
        raise CrisisConsoleError(
            "--jobs needs team mode (--db): a data folder takes one writer at a time"
        )
    playbook = _playbook(args)
    judge = cli_second.judge_factory(args, folder)
    with open_service(
        folder, playbook, clock, as_name=args.as_name, db=db, second_opinion=judge
    ) as service:
        service.require_ingest()  # before a file is read or a worker started
        workers = (
            WorkerSetup(args.jobs, folder, playbook, clock, db) if db and args.jobs > 1 else None
        )
        where = team.where(db) if db else str(folder)
        with cli_second.in_background(service):  # a followed file or a stream: as it comes
            code = cli_ingest.run(args, service, folder, where, workers)
        if judge is not None and workers is not None:
            err(f"second opinion: run `crisis-console {cli_second.COMMAND}` after a --jobs import")
        cli_second.drain(service)
        return code


def run_serve(args: argparse.Namespace, clock: Clock) -> int:
    verifier = cli_serve.verifier(args)
    # Imported here so other commands never pay for loading aiohttp.
    from crisis_console.server import Receiver, serve

    folder = config.data_dir(args.data_dir)
    with _judged_service(args, clock, folder) as service:
        service.require_ingest()  # refused at the start, not at every sender's request
        print(f"receiving signed mentions on http://{args.host}:{args.port}/mentions", flush=True)
        print(f"into {folder}; GET /health answers while it runs; Ctrl+C stops", flush=True)
        with cli_second.in_background(service):
            serve(Receiver(service, verifier, args.max_body), args.host, args.port)
    return 0


def run_demo(args: argparse.Namespace, clock: Clock) -> int:
    # The demo is a folder of its own, reset each time: never a team's database, whatever
    # the environment or the settings name (its made-up harm posts would ring real alarms).
    if getattr(args, "db", None):
        raise CrisisConsoleError(
            "demo runs in a folder of its own, never a team database: drop --db"
        )
    playbook = _playbook(args)
    folder = config.demo_dir(args.data_dir)
    demo.prepare_folder(folder, config.operator())
    with open_service(folder, playbook, clock, db=None) as service:  # as the demo's lead
        report = service.ingest(demo.demo_records(config.demo_data_file(), clock()))
        for template_id in service.replies.templates:  # the demo's lead approves them all
            service.replies.approve_template(template_id)
        print(f"demo data: {report.summary()}")
        print(f"loaded into {folder} (reset on every `crisis-console demo`)")
        print(demo.try_the_roles(folder, service.operator.name))
        done = status.PARTLY if report.rejected else status.OK
        if not args.as_name:
            return done if args.no_open else _run_app(service, folder)
    # `--as NAME demo`: loaded by the lead above, then opened as NAME (audited as such).
    with open_service(folder, playbook, clock, as_name=args.as_name, db=None) as service:
        print(f"acting as {service.operator.describe()}")
        return done if args.no_open else _run_app(service, folder)


def run_console(folder: Path, args: argparse.Namespace, clock: Clock) -> int:
    with _judged_service(args, clock, folder) as service:
        return _run_app(service, folder, args.follow)


def _run_app(service: ConsoleService, folder: Path, follow_path: Path | None = None) -> int:
    # Imported here so headless commands never pay for loading Textual.
    from crisis_console.tui.app import CrisisConsoleApp

    # Replies leave through the outbox worker: the screen never waits on a network call.
    service.replies.deliver_now = False
    app = CrisisConsoleApp(service, str(folder), follow=follow_path)
    app.run()
    service.work_outbox()  # a reply approved just before quitting still goes out now
    # A console that crashed says so in its exit status (Textual has shown the traceback).
    return status.OK if not app.return_code else status.NOT_DONE
