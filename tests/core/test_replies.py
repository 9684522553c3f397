"""Governed replies: the permission matrix, claims, the approval queue, and sending exactly
once through a real HTTP server that fails and retries."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from crisis_console.core.archive.audit import AUDIT_FILE, AuditLog
from crisis_console.core.errors import CrisisConsoleError
from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Role
from crisis_console.core.replies.claims import ClaimConflict
from crisis_console.core.replies.outbox import MAX_ATTEMPTS
from crisis_console.core.replies.reply_model import SENDING, PolicyBlocked
from crisis_console.core.replies.senders import WebhookSender
from crisis_console.core.roster import PermissionDenied
from crisis_console.core.service import ConsoleService
from tests.conftest import NOW, MovableClock, ServiceFactory, jsonl, record

LATE = "My delivery is three days late and I'm still waiting"


@pytest.fixture
def desk(make_service: ServiceFactory) -> ServiceFactory:
    """The factory, over a store with one complaint and every template approved."""
    lead = make_service(name="lee")
    lead.ingest(read_jsonl(jsonl(record("1", LATE, author="dan", author_name="Dan")), "f", NOW))
    for template_id in lead.replies.templates:
        lead.replies.approve_template(template_id)
    return make_service


def actions(tmp_path: Path) -> list[tuple[str, str]]:
    return [(e["action"], e["actor"]) for e in AuditLog(tmp_path / "data" / AUDIT_FILE).events()]


DELAY = {"new_date": "Thursday"}

# Every role against every action: who may, and who is refused (and audited).
MATRIX: dict[str, set[Role]] = {
    "claim": {Role.SOCIAL, Role.SUPPORT, Role.PR, Role.LEGAL, Role.LEAD},
    "submit": {Role.SOCIAL, Role.SUPPORT, Role.PR, Role.LEGAL, Role.LEAD},
    "send": {Role.SOCIAL, Role.LEAD},
    "approve_template": {Role.PR, Role.LEAD},
    "change_level": {Role.PR, Role.LEAD},
    "take_over": {Role.LEAD},
}


def attempt(service: ConsoleService, action: str) -> None:
    if action == "claim":
        service.claims.claim("x:1")
    elif action == "submit":
        service.replies.submit("x:1", "delivery-delay", DELAY)
    elif action == "send":
        service.replies.send("x:1", "delivery-delay", DELAY)
    elif action == "approve_template":
        service.replies.approve_template("thanks-praise")
    elif action == "change_level":
        service.crisis.set_level(1, "test")
    else:
        service.claims.take_over("x:1")


@pytest.mark.parametrize("action", sorted(MATRIX))
@pytest.mark.parametrize("role", list(Role))
def test_permission_matrix(desk: ServiceFactory, tmp_path: Path, action: str, role: Role) -> None:
    service = desk(role, name=f"op-{role.value}")
    if role in MATRIX[action]:
        attempt(service, action)
    else:
        with pytest.raises(PermissionDenied):
            attempt(service, action)
        assert ("refused", f"op-{role.value}") in actions(tmp_path)


def test_support_can_never_send_by_any_path(desk: ServiceFactory, tmp_path: Path) -> None:
    support = desk(Role.SUPPORT, name="sam")
    draft = support.replies.submit("x:1", "delivery-delay", DELAY)
    paths: list[Callable[[], object]] = [
        lambda: support.replies.send("x:1", "delivery-delay", DELAY),
        lambda: support.replies.send_approved(draft.id),
        lambda: support.replies.approve(draft.id),
    ]
    for path in paths:
        with pytest.raises(PermissionDenied):
            path()
    assert not (tmp_path / "outbox.jsonl").exists()


def test_claim_collision_release_and_take_over(desk: ServiceFactory, tmp_path: Path) -> None:
    clock = MovableClock()
    maya, sam = (
        desk(Role.SOCIAL, name="maya", clock=clock),
        desk(Role.SUPPORT, name="sam", clock=clock),
    )
    maya.claims.claim("x:1")
    with pytest.raises(ClaimConflict, match="claimed by maya"):
        sam.claims.claim("x:1")
    with pytest.raises(ClaimConflict):
        sam.replies.submit("x:1", "delivery-delay", DELAY)  # answering needs the claim
    clock.advance(31)  # the lease ran out
    assert sam.claims.claim("x:1").holder == "sam"
    with pytest.raises(PermissionDenied):
        maya.claims.release("x:1")  # only the holder or a lead
    lead = desk(name="lee", clock=clock)
    assert lead.claims.take_over("x:1").holder == "lee"
    assert ("claim.taken_over", "lee") in actions(tmp_path)


def test_draft_approve_and_send_once_with_every_step_audited(
    desk: ServiceFactory, tmp_path: Path
) -> None:
    sam, maya = desk(Role.SUPPORT, name="sam"), desk(Role.SOCIAL, name="maya")
    draft = sam.replies.submit("x:1", "delivery-delay", DELAY)
    assert draft.status == "pending" and "Hi Dan" in draft.text and "Thursday" in draft.text
    [(queued, late)] = maya.replies.queue()
    assert queued.id == draft.id and not late
    sent = maya.replies.approve(draft.id)
    assert (sent.status, sent.sent_by, sent.approvals) == ("sent", "maya", ("maya",))
    [line] = (tmp_path / "outbox.jsonl").read_text().splitlines()
    assert json.loads(line)["idempotency_key"] == draft.id
    lee = desk(name="lee")
    lee.claims.take_over("x:1")
    with pytest.raises(CrisisConsoleError, match="already answered by maya"):
        lee.replies.send("x:1", "delivery-delay", DELAY)
    assert [a for a, _ in actions(tmp_path)][-6:] == [
        "claim",
        "draft",
        "approval",
        "send",
        "claim.taken_over",
        "refused",
    ]


def test_nobody_approves_their_own_draft_and_an_edit_needs_a_second_approver(
    desk: ServiceFactory, tmp_path: Path
) -> None:
    maya, priya, lee = desk(Role.SOCIAL, name="maya"), desk(Role.PR, name="priya"), desk(name="lee")
    draft = maya.replies.submit("x:1", "delivery-delay", DELAY)
    with pytest.raises(CrisisConsoleError, match="nobody approves a draft they wrote"):
        maya.replies.approve(draft.id)
    edited = priya.replies.edit(
        draft.id, draft.text.replace("Thursday", "Friday"), "Friday is right"
    )
    assert edited.edited_by == "priya" and "-" in edited.history[-1]["diff"]
    assert "+Hi Dan" in edited.history[-1]["diff"] or "Friday" in edited.history[-1]["diff"]
    with pytest.raises(CrisisConsoleError, match="wrote or edited"):
        priya.replies.approve(draft.id)
    assert lee.replies.approve(draft.id).status == "sent"
    assert ("edit", "priya") in actions(tmp_path)


def test_blocked_replies_name_the_reason_and_warnings_need_an_approver(
    desk: ServiceFactory,
) -> None:
    maya = desk(Role.SOCIAL, name="maya")
    with pytest.raises(PolicyBlocked, match="phone number '07700 900123'"):
        maya.replies.send("x:1", "delivery-delay", {"new_date": "Thursday, call 07700 900123"})
    with pytest.raises(CrisisConsoleError, match="needs an approver"):
        maya.replies.send("x:1", "passed-to-team", {"team": "the team at 12 Acacia Avenue"})
    assert maya.replies.submit(
        "x:1", "passed-to-team", {"team": "the 12 Acacia Avenue team"}
    ).findings
    with pytest.raises(CrisisConsoleError, match="never sent without a second person"):
        maya.replies.send("x:1", "self-harm-support", {})
    with pytest.raises(CrisisConsoleError, match="required variable left empty: new_date"):
        maya.replies.preview("x:1", "delivery-delay", {})


def test_reject_needs_a_comment_and_late_drafts_are_flagged(desk: ServiceFactory) -> None:
    clock = MovableClock()
    sam, maya = (
        desk(Role.SUPPORT, name="sam", clock=clock),
        desk(Role.SOCIAL, name="maya", clock=clock),
    )
    draft = sam.replies.submit("x:1", "delivery-delay", DELAY)
    clock.advance(300)
    assert maya.replies.queue() == [(draft, True)]
    with pytest.raises(ValueError, match="needs a comment"):
        maya.replies.reject(draft.id, " ")
    assert maya.replies.reject(draft.id, "Use the apology template").status == "rejected"
    assert maya.replies.queue() == []


Publisher = Callable[[int], tuple[str, "FlakyPublisher"]]


class FlakyPublisher:
    """A real HTTP endpoint that fails the first attempts and honours Idempotency-Key."""

    def __init__(self, failures: int) -> None:
        self.failures, self.attempts = failures, 0
        self.published: dict[str, dict[str, Any]] = {}
        self.gate: threading.Event | None = None  # set: each request waits for it
        self.entered = threading.Event()


@pytest.fixture
def publisher() -> Iterator[Callable[[int], tuple[str, FlakyPublisher]]]:
    servers: list[HTTPServer] = []

    def start(failures: int) -> tuple[str, FlakyPublisher]:
        state = FlakyPublisher(failures)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if state.gate is not None:
                    state.entered.set()
                    state.gate.wait(10)
                state.attempts += 1
                if state.attempts <= state.failures:
                    self.send_response(503)
                else:
                    state.published.setdefault(self.headers["Idempotency-Key"], body)
                    self.send_response(201)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        server = HTTPServer(("127.0.0.1", 0), Handler)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{server.server_address[1]}/replies", state

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_webhook_retries_with_backoff_and_publishes_once(
    desk: ServiceFactory, publisher: Publisher
) -> None:
    url, state = publisher(2)
    waits: list[float] = []
    sender = WebhookSender(url, attempts=4, backoff_seconds=0.01, sleep=waits.append)
    maya = desk(Role.SOCIAL, name="maya", sender=sender)
    sent = maya.replies.send("x:1", "delivery-delay", DELAY)
    assert sent.status == "sent" and state.attempts == 3 and waits == [0.01, 0.02]
    assert list(state.published) == [sent.id]


def test_a_failed_send_stays_visible_and_retries_with_the_same_key(
    desk: ServiceFactory, publisher: Publisher
) -> None:
    url, state = publisher(5)
    sender = WebhookSender(url, attempts=2, backoff_seconds=0, sleep=lambda _: None)
    maya = desk(Role.SOCIAL, name="maya", sender=sender)
    failed = maya.replies.send("x:1", "delivery-delay", DELAY)
    assert failed.status == "failed" and "503" in failed.error
    assert [r.id for r, _ in maya.replies.queue()] == [failed.id]
    state.failures = 0
    sent = maya.replies.send_approved(failed.id)
    assert sent.status == "sent" and list(state.published) == [failed.id]


def test_a_crash_after_the_publisher_accepted_never_sends_twice(
    desk: ServiceFactory, publisher: Publisher
) -> None:
    url, state = publisher(0)
    maya = desk(Role.SOCIAL, name="maya", sender=WebhookSender(url, sleep=lambda _: None))
    sent = maya.replies.send("x:1", "delivery-delay", DELAY)
    # The crash: the publisher took it, but the console died before recording "sent".
    maya._store.state.replies.save(replace(sent, status=SENDING))
    restarted = desk(Role.SOCIAL, name="maya", sender=WebhookSender(url, sleep=lambda _: None))
    [resumed] = restarted.replies.resume_sending()
    assert resumed.status == "sent"
    assert state.attempts == 2 and list(state.published) == [sent.id]  # asked twice, published once


HOSTILE = [
    "{{ 7*7 }}",
    "{% raw %}x{% endraw %}",
    "[bold red]boss[/]",
    "\x1b[2J\x1b[31mred",
    "${jndi:x}",
]


@pytest.mark.parametrize("payload", HOSTILE)
def test_injection_through_every_outside_field_is_never_evaluated(
    make_service: ServiceFactory, payload: str
) -> None:
    lead = make_service(name="lee")
    fields = {
        "author": "evil" + payload.replace(" ", ""),
        "author_name": payload,
        "url": "https://x.example/" + payload,
        "in_reply_to": payload,
    }
    lead.ingest(read_jsonl(jsonl(record("1", payload + " my order is late", **fields)), "f", NOW))
    stored = lead.mention("x:1")
    assert stored is not None and stored.triage.mention.text.startswith(payload)
    lead.replies.approve_template("ack-move-to-dm")
    text, findings = lead.replies.preview("x:1", "ack-move-to-dm", {})
    assert text.startswith(f"Hi {payload}, thanks")  # verbatim, never rendered as Jinja
    assert "49" not in text
    # The name is data: braces in it are the customer's, not a placeholder left unfilled,
    # so they block nothing (issue 15: such a name blocked every reply that greeted it).
    assert not any(f.code == "placeholder" for f in findings)


def test_the_console_queues_a_send_and_the_outbox_retries_with_backoff(
    desk: ServiceFactory, publisher: Publisher, tmp_path: Path
) -> None:
    url, state = publisher(2)
    clock = MovableClock(NOW)
    maya = desk(Role.SOCIAL, name="maya", clock=clock, sender=WebhookSender(url, attempts=1))
    maya.replies.deliver_now = False  # as in the console
    queued = maya.replies.send("x:1", "delivery-delay", DELAY)
    assert queued.status == SENDING and state.attempts == 0  # nothing left the screen's call
    [retry] = maya.work_outbox()
    assert retry.status == SENDING and retry.attempts == 1 and "503" in retry.error
    assert retry.next_attempt_at == NOW + timedelta(seconds=2)
    assert maya.work_outbox() == [] and state.attempts == 1  # not before its backoff
    clock.advance(1 / 30)
    [again] = maya.work_outbox()
    assert again.attempts == 2 and again.next_attempt_at == clock.now + timedelta(seconds=4)
    clock.advance(1 / 15)
    [sent] = maya.work_outbox()
    assert sent.status == "sent" and list(state.published) == [queued.id]
    trail = [a for a, _ in actions(tmp_path) if a.startswith("send")]
    assert trail == ["send.retrying", "send.retrying", "send"]


def test_the_network_call_holds_no_lock(desk: ServiceFactory, publisher: Publisher) -> None:
    url, state = publisher(0)
    state.gate = threading.Event()
    maya = desk(Role.SOCIAL, name="maya", sender=WebhookSender(url, attempts=1))
    maya.replies.deliver_now = False
    maya.replies.send("x:1", "delivery-delay", DELAY)
    worker = threading.Thread(target=maya.work_outbox)
    worker.start()
    assert state.entered.wait(5)  # the endpoint is holding the request...
    assert maya.lock.acquire(timeout=1)  # ...and the service is free for everyone else
    maya.lock.release()
    state.gate.set()
    worker.join(5)
    assert list(state.published) and not worker.is_alive()


def test_a_send_the_endpoint_keeps_refusing_fails_visibly_and_frees_the_mention(
    desk: ServiceFactory, publisher: Publisher
) -> None:
    url, state = publisher(100)
    clock = MovableClock(NOW)
    maya = desk(Role.SOCIAL, name="maya", clock=clock, sender=WebhookSender(url, attempts=1))
    maya.replies.deliver_now = False
    queued = maya.replies.send("x:1", "delivery-delay", DELAY)
    for _ in range(MAX_ATTEMPTS):
        clock.advance(10)
        maya.work_outbox()
    failed = maya.replies.reply(queued.id)
    assert failed.status == "failed" and failed.attempts == MAX_ATTEMPTS
    assert state.attempts == MAX_ATTEMPTS and not state.published
    assert "x:1" not in maya.replies.answered()  # another reply may answer it now
