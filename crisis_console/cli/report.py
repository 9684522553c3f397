"""`crisis-console report`: how the team did in a window, and `report incident`: the timeline
of one crisis; as text, JSON or one self-contained HTML file."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from crisis_console.cli.audit import moment
from crisis_console.core.errors import CrisisConsoleError
from crisis_console.core.service import ConsoleService

FORMATS = ("text", "json", "html")
DEFAULT_DAYS = 7


def add_commands(commands: Any) -> None:
    report = commands.add_parser("report", help="response times, trends, or an incident timeline")
    report.add_argument(
        "kind", nargs="?", choices=["incident"], help="incident: the timeline of one crisis"
    )
    report.add_argument(
        "--from",
        dest="start",
        type=moment,
        metavar="ISO",
        help="from this time (default: 7 days before --to; for incident: the latest crisis)",
    )
    report.add_argument(
        "--to", dest="end", type=moment, metavar="ISO", help="up to this time (default: now)"
    )
    report.add_argument("--format", choices=FORMATS, default="text")
    report.add_argument(
        "--out", type=Path, metavar="FILE", help="file to write (default: standard output)"
    )


def run(args: argparse.Namespace, service: ConsoleService) -> int:
    now = service.clock()
    if args.start and args.end and args.end <= args.start:
        raise CrisisConsoleError("--to must be after --from")
    # Imported here so other commands never pay for loading the report renderers.
    from crisis_console.render import formats as report_formats
    from crisis_console.render import html as report_html

    if args.kind == "incident":
        # Without --from: the latest crisis, found in the audit log.
        incident = service.incident(args.start, args.end)
        window = (incident.start, incident.end)
        if args.format == "json":
            rendered = _json(report_formats.incident_dict(incident))
        elif args.format == "html":
            rendered = report_html.incident_html(incident, now)
        else:
            rendered = report_formats.incident_text(incident)
    else:
        end = args.end or now + timedelta(seconds=1)
        report = service.report(args.start or end - timedelta(days=DEFAULT_DAYS), end)
        window = (report.start, report.end)
        if args.format == "json":
            rendered = _json(report_formats.report_dict(report))
        elif args.format == "html":
            rendered = report_html.report_html(report, now)
        else:
            rendered = report_formats.report_text(report)
    destination = str(args.out) if args.out else "<stdout>"
    service.record_report(args.kind or "summary", *window, args.format, destination)
    if args.out is None:
        sys.stdout.write(rendered)
    else:
        args.out.write_text(rendered, encoding="utf-8")
        print(f"written to {args.out}", file=sys.stderr)
    return 0


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"
