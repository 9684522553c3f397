"""Playbook commands.

crisis-console playbook validate [PATH]   check a playbook, listing every problem (the
                                          templates its checklist steps name among them)
crisis-console playbook use NAME          put NAME (a shipped name or a path) in force for this
                                          store (lead only, audited with both hashes)
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import IO, Any

from crisis_console import config
from crisis_console.cli.wiring import open_service
from crisis_console.core.models import Clock
from crisis_console.core.playbook.in_force import SHOWN
from crisis_console.core.playbook.playbook_check import load_playbook
from crisis_console.core.replies.templates import load_templates

COMMANDS = ("playbook",)


def add_commands(commands: Any) -> None:
    playbook = commands.add_parser("playbook", help="work with playbooks")
    playbook_commands = playbook.add_subparsers(dest="playbook_command", required=True)
    validate = playbook_commands.add_parser(
        "validate", help="check a playbook, listing every problem"
    )
    validate.add_argument("path", nargs="?", help="playbook file (default: the active one)")
    use = playbook_commands.add_parser(
        "use", help="put a playbook in force for this store (lead only, audited)"
    )
    use.add_argument("name", help="a shipped playbook's name, or a path")


def run(args: argparse.Namespace, clock: Clock, db: str | None, out: IO[str]) -> int:
    folder = config.data_dir(args.data_dir)
    if args.playbook_command == "validate":
        return _validate(args, folder, out)
    playbook = load_playbook(config.playbook_path(args.name, folder=folder))
    with open_service(
        folder, playbook, clock, as_name=args.as_name, db=db, changing_playbook=True
    ) as service:
        before = service.playbooks.use()
    was = f"; it was '{before['id']}' ({before['sha256'][:SHOWN]})" if before else ""
    out.write(f"playbook '{playbook.id}' ({playbook.sha256[:SHOWN]}) is in force{was}\n")
    if not db:
        _remember(folder, args.name)
        out.write(f"{folder / config.SETTINGS_FILE}: playbook: {args.name}\n")
    return 0


def _remember(folder: Path, name: str) -> None:
    """`playbook: NAME` in the folder's settings, so every later command loads it; the
    file's other lines and comments are kept as they are."""
    path = folder / config.SETTINGS_FILE
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    line = f"playbook: {name}"
    if re.search(r"^playbook:.*$", text, flags=re.MULTILINE):
        text = re.sub(r"^playbook:.*$", line, text, count=1, flags=re.MULTILINE)
    else:
        text = (text if not text or text.endswith("\n") else text + "\n") + line + "\n"
    path.write_text(text, encoding="utf-8")


def _validate(args: argparse.Namespace, folder: Path, out: IO[str]) -> int:
    path = Path(args.path) if args.path else config.playbook_path(args.playbook, folder=folder)
    templates, _ = load_templates(config.shipped_dir("templates"))  # what its steps may name
    playbook = load_playbook(path, templates=set(templates))
    crisis = [str(level.number) for level in playbook.levels if level.crisis]
    steps = sum(len(level.checklist) for level in playbook.levels)
    counts = (
        f"{len(playbook.categories)} categories, {len(playbook.routing_rules)} routing rules, "
        f"{len(playbook.levels)} levels (crisis mode at {', '.join(crisis) or 'none'}), "
        f"{steps} checklist steps"
    )
    brand = playbook.brand
    if brand is not None:
        patterns = sum(len(found) for _, found in brand.harm)
        counts += (
            f"; brand terms: {len(brand.products)} products, {len(brand.recall_codes)} recall "
            f"codes, {patterns} harm patterns, {len(brand.slang)} slang words"
        )
    out.write(f"{path}: ok — '{playbook.title}' version {playbook.version}, {counts}\n")
    return 0
