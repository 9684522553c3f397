"""What the webhook receiver decides, without the HTTP: is a request signed by someone who
holds the shared secret, is it fresh and not a replay, and which mentions does its body hold.

A sender signs `TIMESTAMP.BODY` with HMAC-SHA256 under the shared secret and sends
`X-Crisis-Timestamp: TIMESTAMP` (Unix seconds) and `X-Crisis-Signature: sha256=HEX`.
A request older or newer than `tolerance` seconds, or one whose signature was already seen
inside that window, is refused: a captured request cannot be played again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from crisis_console.core.errors import Problem
from crisis_console.core.intake.ingest import Read, read_jsonl, read_object
from crisis_console.core.store.tables import KeyedTable

TIMESTAMP_HEADER = "X-Crisis-Timestamp"
SIGNATURE_HEADER = "X-Crisis-Signature"
DEFAULT_TOLERANCE = 300  # seconds either side of our clock
DEFAULT_MAX_BODY = 5_000_000  # bytes; a larger request is refused with 413


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The signature header's value for `body` sent at `timestamp`."""
    digest = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


@dataclass
class Verifier:
    """Checks signatures and remembers the ones seen within the window."""

    secret: bytes
    tolerance: int = DEFAULT_TOLERANCE
    _seen: dict[str, float] = field(default_factory=dict)

    def refusal(self, timestamp: str | None, signature: str | None, body: bytes, now: float) -> str:
        """Why the request must be refused, or "" if it is authentic and fresh."""
        if not timestamp or not signature:
            return f"unsigned: {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} are required"
        try:
            sent = int(timestamp)
        except ValueError:
            return f"{TIMESTAMP_HEADER} must be Unix seconds"
        if abs(now - sent) > self.tolerance:
            return f"{TIMESTAMP_HEADER} is more than {self.tolerance} s from our clock"
        if not hmac.compare_digest(sign(self.secret, timestamp, body), signature.strip()):
            return "the signature does not match the body"
        self._forget_before(now - self.tolerance)
        if signature in self._seen:
            return "a replay: this signed request was already received"
        self._seen[signature] = sent
        return ""

    def _forget_before(self, cutoff: float) -> None:
        # Oldest first, as they arrived; a signature older than the window could not pass the
        # timestamp check again anyway, so stopping at the first fresh one is enough.
        while self._seen:
            oldest = next(iter(self._seen))
            if self._seen[oldest] >= cutoff:
                return
            del self._seen[oldest]


def parse_body(body: bytes, now: datetime) -> Iterator[Read]:
    """One mention (a JSON object), a batch (a JSON array), or JSON Lines; numbered by line,
    or by position in the array, in each problem."""
    text = body.lstrip()
    if text.startswith(b"["):
        try:
            items = json.loads(body)
        except (ValueError, RecursionError) as exc:  # ValueError: not JSON, or not UTF-8,
            # or a number of more than 4,300 digits
            yield Problem("body", 0, "", f"not a valid JSON array: {exc}")
            return
        if not isinstance(items, list):
            yield Problem("body", 0, "", "not a valid JSON array")
            return
        for position, item in enumerate(items, start=1):
            yield from read_object(item, "item", position, now)
        return
    if text.startswith(b"{") and b"\n" in text.strip():
        try:  # one pretty-printed object over several lines
            whole = json.loads(body)
        except (ValueError, RecursionError):
            pass  # JSON Lines, then: each line is judged on its own
        else:
            yield from read_object(whole, "body", 1, now)
            return
    yield from read_jsonl(body.splitlines(), "line", now)


class SeenSignatures:
    """The signatures received inside the window, kept in the store (a state table), so a
    request captured and played again after a restart — or to the other receiver on the
    same team database — is still a replay (`Verifier` remembers only this process's).
    Used by the receiver's writer, in its thread: `seen` before a request's mentions are
    stored, `remember` once they are (a request whose commit failed may be sent again)."""

    def __init__(self, table: KeyedTable, tolerance: int = DEFAULT_TOLERANCE) -> None:
        self._table, self._tolerance = table, tolerance
        self._mine: dict[str, float] = {}  # what this process stored, oldest first

    def seen(self, signature: str) -> bool:
        return self._table.get(signature) is not None

    def remember(self, signatures: dict[str, float]) -> None:
        """Record these signatures (and when each request was sent) as received."""
        self._table.apply({sig: {"sent": sent} for sig, sent in signatures.items()})
        self._mine.update(signatures)

    def forget_before(self, now: float) -> None:
        """Drop what this process stored that is older than the window (a request that
        old fails the timestamp check anyway)."""
        cutoff, old = now - self._tolerance, []
        for signature, sent in self._mine.items():
            if sent >= cutoff:
                break
            old.append(signature)
        for signature in old:
            del self._mine[signature]
        if old:
            self._table.apply({}, old)

    def forget_all_before(self, now: float) -> None:
        """At start: drop every stored signature older than the window, whoever stored it
        (a process that died never dropped its own)."""
        cutoff = now - self._tolerance
        old = [key for key, record in self._table if float(record["sent"]) < cutoff]
        if old:
            self._table.apply({}, old)
