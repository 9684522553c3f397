"""Notifications: what the console tells people, and the sinks that carry it.

A `Notification` names the roles it is for. `Notifier` hands it to every sink configured for
one of those roles; a sink that fails is logged and the others still deliver, so one broken
webhook never silences an alarm. Sinks: the console itself (always on), a JSONL file, an HTTP
webhook (a Slack-compatible JSON body) and email over SMTP, configured per role in
`notifications.yaml` in the data folder.
"""

from __future__ import annotations

import json
import logging
import smtplib
import urllib.request
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

from crisis_console.core.errors import FileRefused
from crisis_console.core.models import Role
from crisis_console.core.playbook.yamlcheck import Checker
from crisis_console.core.playbook.yamlfile import Path as YamlPath
from crisis_console.core.playbook.yamlfile import load_yaml
from crisis_console.core.text import visible

NOTIFICATIONS_FILE = "notifications.yaml"
KEEP_RECEIVED = 1_000
log = logging.getLogger("crisis_console.notify")


@dataclass(frozen=True, slots=True)
class Notification:
    kind: str  # harm, sla_breach, level, spike, checklist
    title: str
    body: str
    roles: frozenset[Role]
    at: datetime
    subject: str = ""  # the mention key, alarm id or level it is about

    def record(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "title": self.title,
            "body": self.body,
            "at": self.at.isoformat(),
            "roles": sorted(r.value for r in self.roles),
            "subject": self.subject,
        }

    @classmethod
    def from_record(cls, r: dict[str, Any]) -> Notification:
        roles = frozenset(Role(role) for role in r["roles"])
        at = datetime.fromisoformat(r["at"])
        return cls(r["kind"], r["title"], r["body"], roles, at, r["subject"])


class Sink(Protocol):
    name: str

    def deliver(self, notification: Notification) -> None:
        """Deliver or raise; the notifier logs a failure and carries on."""


@dataclass
class ConsoleSink:
    """Keeps notifications for the console, and calls `listener` (the app) on each."""

    name: str = "console"
    # The latest only: a crisis raises thousands, and a console runs for days.
    received: deque[Notification] = field(default_factory=lambda: deque(maxlen=KEEP_RECEIVED))
    listener: Callable[[Notification], None] | None = None

    def deliver(self, notification: Notification) -> None:
        self.received.append(notification)
        if self.listener is not None:
            self.listener(notification)


@dataclass
class JsonlSink:
    path: Path
    name: str = "jsonl"

    def deliver(self, notification: Notification) -> None:
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(notification.record(), ensure_ascii=False) + "\n")


@dataclass
class WebhookSink:
    """POSTs `{"text": ..., "notification": {...}}`: Slack's incoming-webhook shape, plus data."""

    url: str
    timeout: float = 5.0
    name: str = "webhook"

    def deliver(self, notification: Notification) -> None:
        body = {
            "text": f"*{notification.title}*\n{notification.body}",
            "notification": notification.record(),
        }
        request = urllib.request.Request(  # noqa: S310 - the URL comes from the team's own config
            self.url,
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            if response.status >= 300:
                raise OSError(f"webhook answered {response.status}")


@dataclass
class SmtpSink:
    host: str
    port: int
    sender: str
    to: tuple[str, ...]
    timeout: float = 10.0
    name: str = "smtp"

    def deliver(self, notification: Notification) -> None:
        message = EmailMessage()
        message["Subject"] = f"[Crisis Console] {notification.title}"
        message["From"] = self.sender
        message["To"] = ", ".join(self.to)
        message.set_content(f"{notification.body}\n\n{notification.at.isoformat()}")
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.send_message(message)


class NotificationQueue(Protocol):
    """Where notifications for the network sinks wait (durably) to be delivered off the
    caller's thread: `core.outbox.NotificationOutbox`."""

    def put(self, notification: Notification, sink: str) -> None: ...


@dataclass
class Notifier:
    """Routes each notification to the sinks for its roles; `console` hears everything.

    With a `queue`, the other sinks (webhook, email, file) are not called here: the
    notification is queued for each, durably, and delivered by the outbox worker
    (`ConsoleService.work_outbox`), so ingest and the timers never wait on the network."""

    console: ConsoleSink
    routes: Sequence[tuple[frozenset[Role], Sink]] = ()
    queue: NotificationQueue | None = None

    def send(self, notification: Notification) -> list[str]:
        """Deliver (or queue) everywhere it should go; return the names of the sinks that
        failed."""
        # The log is read with `cat` and `tail`: a quoted post must not drive the terminal.
        title, body = visible(notification.title), visible(notification.body)
        log.warning("%s: %s — %s", notification.kind, title, body)
        failed = [] if self.deliver(self.console, notification) else [self.console.name]
        for i, (roles, sink) in enumerate(self.routes):
            if not roles & notification.roles:
                continue
            if self.queue is not None:
                self.queue.put(notification, _sink_key(i, sink))
            elif not self.deliver(sink, notification):
                failed.append(sink.name)
        return failed

    def deliver(self, sink: Sink, notification: Notification) -> bool:
        """One delivery; a failure is logged, never raised (the other sinks must deliver)."""
        try:
            sink.deliver(notification)
        except Exception as exc:  # any sink may fail, in any way
            log.error("notification sink %s failed: %s", sink.name, exc)
            return False
        return True

    def sink(self, key: str) -> Sink | None:
        """The sink a queued notification was for (None if the settings changed since)."""
        for i, (_, sink) in enumerate(self.routes):
            if _sink_key(i, sink) == key:
                return sink
        return None


def _sink_key(position: int, sink: Sink) -> str:
    return f"{position}:{sink.name}"


class NotifyConfigError(FileRefused):
    what = "notification settings"


def load_sinks(path: Path) -> list[tuple[frozenset[Role], Sink]]:
    """The sinks configured in `path` (none if it does not exist), each with its roles."""
    if not path.exists():
        return []
    doc, problems = load_yaml(path.read_text(encoding="utf-8"), str(path))
    if doc is None:
        raise NotifyConfigError(problems)
    check = Checker(doc, str(path), problems)
    check.mapping((), {"sinks"})
    routes: list[tuple[frozenset[Role], Sink]] = []
    for i in range(len(check.typed(("sinks",), list) or [])):
        sink_path: YamlPath = ("sinks", i)
        kind = check.typed(sink_path + ("kind",), str)
        roles = check.enum_set(sink_path + ("roles",), Role)
        if not roles:
            check.fail(sink_path + ("roles",), "name the roles this sink is for")
            continue
        sink = _sink(check, sink_path, kind, path.parent)
        if sink is not None:
            routes.append((roles, sink))
    if check.problems:
        raise NotifyConfigError(check.problems)
    return routes


def _sink(check: Checker, path: YamlPath, kind: Any, folder: Path) -> Sink | None:
    common = {"kind", "roles"}
    if kind == "jsonl":
        check.mapping(path, common | {"path"})
        file = check.typed(path + ("path",), str)
        return JsonlSink(folder / file) if file else None
    if kind == "webhook":
        check.mapping(path, common | {"url"})
        url = check.typed(path + ("url",), str)
        if url and not url.startswith(("http://", "https://")):
            check.fail(path + ("url",), "must start with http:// or https://")
            return None
        return WebhookSink(url) if url else None
    if kind == "smtp":
        check.mapping(path, common | {"host", "port", "from", "to"})
        host = check.typed(path + ("host",), str)
        port = check.positive_int(path + ("port",))
        sender = check.typed(path + ("from",), str)
        to = check.strings(path + ("to",))
        if host and port and sender and to:
            return SmtpSink(host, port, sender, to)
        return None
    if kind is not None:
        check.fail(path + ("kind",), f"'{kind}' is not one of jsonl, webhook, smtp")
    return None
