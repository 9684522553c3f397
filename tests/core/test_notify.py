"""Notification sinks against real servers on 127.0.0.1: an HTTP webhook and SMTP."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from crisis_console.core.crisis.notify import (
    ConsoleSink,
    JsonlSink,
    Notification,
    Notifier,
    NotifyConfigError,
    SmtpSink,
    WebhookSink,
    load_sinks,
)
from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Role
from tests.conftest import NOW, ServiceFactory, jsonl, record

ALARM = Notification(
    "harm",
    "Risk of harm: acknowledge now",
    "safety from @sam: smoke",
    frozenset({Role.LEAD}),
    NOW,
    "x:1",
)


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()
        server.server_close()


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, Inbox]]:
    inbox = Inbox()
    with socket.socket() as probe:  # aiosmtpd checks its own port, so it cannot be 0
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


def test_webhook_posts_a_slack_shaped_body(webhook: tuple[str, list[dict[str, Any]]]) -> None:
    url, received = webhook
    WebhookSink(url).deliver(ALARM)
    [body] = received
    assert body["text"] == "*Risk of harm: acknowledge now*\nsafety from @sam: smoke"
    assert body["notification"]["kind"] == "harm" and body["notification"]["subject"] == "x:1"


def test_smtp_sends_an_email(smtp: tuple[int, Inbox]) -> None:
    port, inbox = smtp
    SmtpSink("127.0.0.1", port, "console@brand.example", ("lead@brand.example",)).deliver(ALARM)
    [message] = inbox.messages
    assert message["Subject"] == "[Crisis Console] Risk of harm: acknowledge now"
    assert message["To"] == "lead@brand.example"
    assert "safety from @sam: smoke" in message.get_payload()


def test_notifier_routes_by_role_and_a_broken_sink_stops_nothing(
    tmp_path: Path, webhook: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = webhook
    console = ConsoleSink()
    lead_file, pr_file = JsonlSink(tmp_path / "lead.jsonl"), JsonlSink(tmp_path / "pr.jsonl")
    dead = WebhookSink("http://127.0.0.1:9/nothing-listens-here", timeout=1)
    notifier = Notifier(
        console,
        [
            (frozenset({Role.LEAD}), dead),
            (frozenset({Role.LEAD}), lead_file),
            (frozenset({Role.PR}), pr_file),
            (frozenset({Role.LEAD, Role.PR}), WebhookSink(url)),
        ],
    )
    assert notifier.send(ALARM) == ["webhook"]  # the dead one failed; the others delivered
    assert list(console.received) == [ALARM]
    assert json.loads((tmp_path / "lead.jsonl").read_text())["title"] == ALARM.title
    assert not (tmp_path / "pr.jsonl").exists()
    assert len(received) == 1


def test_sinks_are_configured_per_role_with_every_problem_reported(tmp_path: Path) -> None:
    good = tmp_path / "notifications.yaml"
    good.write_text(
        "sinks:\n"
        "  - {kind: jsonl, path: alerts.jsonl, roles: [lead, pr]}\n"
        "  - {kind: webhook, url: 'http://127.0.0.1:8080/hook', roles: lead}\n"
        "  - {kind: smtp, host: 127.0.0.1, port: 2525, from: a@b.example,\n"
        "     to: [c@d.example], roles: [legal]}\n"
    )
    routes = load_sinks(good)
    assert [(sorted(r.value for r in roles), sink.name) for roles, sink in routes] == [
        (["lead", "pr"], "jsonl"),
        (["lead"], "webhook"),
        (["legal"], "smtp"),
    ]
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "sinks:\n"
        "  - {kind: pager, roles: [lead]}\n"
        "  - {kind: webhook, url: 'ftp://x', roles: [lead]}\n"
        "  - {kind: jsonl, path: a.jsonl}\n"
        "  - {kind: smtp, host: h, port: -1, from: a, to: [b], roles: [chef]}\n"
    )
    with pytest.raises(NotifyConfigError) as caught:
        load_sinks(bad)
    assert [(p.line, p.field) for p in caught.value.problems] == [
        (2, "sinks[0].kind"),
        (3, "sinks[1].url"),
        (4, "sinks[2].roles"),
        (5, "sinks[3].roles[0]"),
        (5, "sinks[3].roles"),
    ]


def test_the_log_line_spells_out_escape_sequences(caplog: pytest.LogCaptureFixture) -> None:
    hostile = Notification(
        "harm",
        "Risk of harm",
        "safety from @sam: \x1b]8;;http://evil\x1b\\smoke",
        ALARM.roles,
        NOW,
        "x:1",
    )
    Notifier(ConsoleSink()).send(hostile)
    assert "\x1b" not in caplog.text
    assert "safety from @sam: \\x1b]8;;http://evil\\x1b\\smoke" in caplog.text


def test_notifications_for_network_sinks_wait_in_a_durable_outbox_not_in_ingest(
    make_service: ServiceFactory, tmp_path: Path
) -> None:
    """Ingest queues the webhook's notification (no network call inside it); the outbox worker
    delivers it, a failing endpoint is tried again after a backoff, and the queue is on disk."""
    from crisis_console.core.replies.outbox import NotificationOutbox
    from crisis_console.core.store.buckets import BucketTable
    from tests.conftest import MovableClock

    received: list[dict[str, object]] = []
    failures = [1]  # the first request fails

    class Slack(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if failures[0]:
                failures[0] -= 1
                self.send_response(503)
            else:
                received.append(body)
                self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Slack)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        clock = MovableClock()
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        table = BucketTable(tmp_path / "notify_outbox")
        lead = make_service(clock=clock, sinks=[(frozenset({Role.LEAD}), WebhookSink(url))])
        lead.notifier.queue = NotificationOutbox(table, clock)
        harm = "The heater is sparking and smoking in my kid's room"
        lead.ingest(read_jsonl(jsonl(record("1", harm)), "f", NOW))
        assert received == [] and len(table) == 1  # queued, on disk, nothing sent yet
        lead.work_outbox()
        assert received == [] and len(BucketTable(tmp_path / "notify_outbox")) == 1
        lead.work_outbox()  # before its backoff: not tried again
        assert received == []
        clock.advance(1)
        lead.work_outbox()
        assert [r["notification"]["kind"] for r in received] == ["harm"]  # type: ignore[index]
        assert len(BucketTable(tmp_path / "notify_outbox")) == 0
    finally:
        server.shutdown()
        server.server_close()
