"""Building the service for a command: over the data folder's TinyDB store, or in team
mode over the team database (`team.py`). The one place, with `main`, where the parts are
made and injected."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from crisis_console import config
from crisis_console.cli import team
from crisis_console.cli.io import err
from crisis_console.core.actions import Action, Permission
from crisis_console.core.archive.audit import AUDIT_FILE, Audit, AuditEvent, AuditLog
from crisis_console.core.crisis.notify import NOTIFICATIONS_FILE, ConsoleSink, Notifier, load_sinks
from crisis_console.core.errors import CrisisConsoleError
from crisis_console.core.models import Clock
from crisis_console.core.playbook.playbook import Playbook
from crisis_console.core.replies.claims import DEFAULT_LEASE_MINUTES
from crisis_console.core.replies.outbox import NotificationOutbox
from crisis_console.core.replies.senders import OUTBOX_FILE, JsonlOutbox, Sender, WebhookSender
from crisis_console.core.replies.templates import LazyTemplates, ReplyTemplate, load_templates
from crisis_console.core.roster import TEAM_FILE, Operator, PermissionDenied, RosterBook, RosterFile
from crisis_console.core.roster_watch import WatchedRoster, describe
from crisis_console.core.service import ConsoleService, ReplySetup
from crisis_console.core.store.contract import MentionStore
from crisis_console.core.triage.routing import Triager
from crisis_console.core.triage.semantic import SemanticJudge

if TYPE_CHECKING:
    from crisis_console.core.store.store import TinyDBStore

LOG_FILE = "crisis-console.log"


def folder_store(folder: Path, read_only: bool = False) -> TinyDBStore:
    """The TinyDB store in `folder`. Its modules (and NumPy under them) load here, on first
    use, so that a console in team mode does not pay a tenth of a second at start for a
    backend it never opens."""
    from crisis_console.core.store.store import TinyDBStore

    return TinyDBStore(folder, read_only=read_only)


@contextlib.contextmanager
def open_service(
    folder: Path,
    playbook: Playbook,
    clock: Clock,
    console: ConsoleSink | None = None,
    as_name: str | None = None,
    db: str | None = None,
    changing_playbook: bool = False,
    second_opinion: Callable[[], SemanticJudge] | None = None,
) -> Iterator[ConsoleService]:
    """Build the service over the TinyDB store in `folder`, or in team mode over the
    database `db` (the folder then keeps only settings, notifications and the log): the
    operator from the team (or `--as`, where it allows), the notification sinks, the
    templates, the sender, the log file. Release the store afterwards. `playbook` must be
    the store's in force, unless `changing_playbook` (`playbook use`). `second_opinion`:
    the semantic judge's constructor, when it is on."""
    if db:
        with team.open_team_service(
            folder, playbook, clock, db, console, as_name, changing_playbook, second_opinion
        ) as service:
            yield service
        return
    store = folder_store(folder)
    try:
        _log_to(folder / LOG_FILE)
        audit = AuditLog(folder / AUDIT_FILE, seal=config.audit_seal(folder))
        if audit.set_aside is not None:
            err(f"audit log: an interrupted write's unfinished line moved to {audit.set_aside}")
        roster = WatchedRoster(RosterFile(folder / TEAM_FILE), store.state.roster)
        operator = _acting(roster, config.operator(), audit, clock, as_name)
        service = ConsoleService(
            store,
            audit,
            Triager(playbook),
            clock,
            operator,
            _notifier(folder, store, clock, console),
            _reply_setup(folder),
            roster,
            changing_playbook,
            second_opinion,
        )
        with _working(service, roster):
            yield service
    finally:
        store.close()


def _notifier(
    folder: Path, store: MentionStore, clock: Clock, console: ConsoleSink | None
) -> Notifier:
    # Webhooks, email and files hear from the outbox worker, never from ingest or a tick.
    queue = NotificationOutbox(store.state.tables.table("notify_outbox"), clock)
    return Notifier(console or ConsoleSink(), load_sinks(folder / NOTIFICATIONS_FILE), queue)


@contextlib.contextmanager
def _working(service: ConsoleService, roster: RosterBook) -> Iterator[ConsoleService]:
    """Recover, resume sends a crash cut short, hand the service over; afterwards, deliver
    what was queued and mark the store applied."""
    if not service.operator.known and not service.team().operators:
        err(
            f"note: nobody is on the team yet ({roster.where}): 'crisis-console team init' "
            f"makes {service.operator.name} its lead"
        )
    elif not service.operator.known:
        err(f"note: {service.operator.name} is not on the team ({roster.where}): read-only")
    edited = service.team_edited()
    if edited is not None:
        err(
            f"warning: {roster.where} was changed outside crisis-console ({describe(edited)}); "
            "the team as last accepted decides who may do what until a lead runs 'team accept'"
        )
    if service.playbooks.adopt():
        err(f"note: playbook '{service.playbook.id}' is now this store's (a lead changes it)")
    recovered = service.recover()
    if recovered:
        err(f"recovered {recovered} mention(s) logged before an interruption but not stored")
    service.replies.resume_sending()
    try:
        yield service
    finally:
        service.second_opinion.close()  # no raise after the store closes
    service.work_outbox()  # what the command queued goes out before it ends
    service.mark_applied()  # the next start reads the log from here, not from further back


def _acting(
    roster: RosterBook, login: str, audit: Audit, clock: Clock, as_name: str | None
) -> Operator:
    """The operator `login` is on the team (or `--as`, where it allows); a refused `--as`
    and a granted one are both audited."""
    try:
        operator = roster.load().acting(login, as_name)
    except PermissionDenied as exc:
        audit.append(
            [
                AuditEvent(
                    Action.REFUSED,
                    f"operator:{as_name}",
                    login,
                    clock(),
                    {"action": Permission.ACT_AS, "reason": str(exc)},
                )
            ]
        )
        raise
    if as_name and as_name != login:
        audit.append([AuditEvent(Action.IDENTITY_AS, f"operator:{as_name}", login, clock(), {})])
    return operator


@contextlib.contextmanager
def open_reader(
    folder: Path,
    playbook: Playbook,
    clock: Clock,
    as_name: str | None = None,
    db: str | None = None,
) -> Iterator[ConsoleService]:
    """A service that only reads the folder (and appends to the audit log, which takes its
    own turn-taking lock), so it works beside an open console: for reports. In team mode,
    the database's service (every process may write there)."""
    if db:
        with team.open_team_service(folder, playbook, clock, db, None, as_name) as service:
            yield service
        return
    if not (folder / AUDIT_FILE).exists():
        raise CrisisConsoleError(f"no data in {folder} (nothing has been ingested there)")
    store = folder_store(folder, read_only=True)
    try:
        audit = AuditLog(folder / AUDIT_FILE, repair=False, seal=config.audit_seal(folder))
        roster = WatchedRoster(RosterFile(folder / TEAM_FILE), store.state.roster, read_only=True)
        operator = _acting(roster, config.operator(), audit, clock, as_name)
        service = ConsoleService(store, audit, Triager(playbook), clock, operator)
        service.recover()  # in memory: what the writer acknowledged since its last checkpoint
        yield service
    finally:
        store.close()


def _reply_setup(folder: Path) -> ReplySetup:
    """Templates from the shipped folder, the sender and the brand from settings.yaml."""

    def templates() -> dict[str, ReplyTemplate]:
        found, problems = load_templates(config.shipped_dir("templates"))
        for problem in problems:
            err(f"template left out: {problem}")
        return found

    url = config.setting(folder, "reply_webhook")
    sender: Sender = WebhookSender(url) if url else JsonlOutbox(folder / OUTBOX_FILE)
    brand = config.setting(folder, "brand") or "the team"
    lease = config.setting(folder, "claim_lease_minutes") or str(DEFAULT_LEASE_MINUTES)
    if not lease.isdigit() or int(lease) <= 0:
        raise CrisisConsoleError(
            f"{folder / config.SETTINGS_FILE}: claim_lease_minutes must be a positive whole number"
        )
    return ReplySetup(LazyTemplates(templates), sender, brand, int(lease))


def _log_to(path: Path) -> None:
    """Notifications and sink failures go to a log file in the data folder, one line each."""
    logger = logging.getLogger("crisis_console")
    if not any(getattr(h, "baseFilename", None) == str(path) for h in logger.handlers):
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
