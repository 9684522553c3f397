"""Senders: how an approved reply leaves. Each delivers a reply with its idempotency key and
must not publish the same key twice, so a retry after a crash can never double-post.

    JsonlOutbox   the default: appends to outbox.jsonl for a collector to publish
    WebhookSender POSTs to an HTTP endpoint with an Idempotency-Key header, retrying with
                  backoff on network errors and 5xx answers
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

OUTBOX_FILE = "outbox.jsonl"


class SendError(Exception):
    """The sender could not deliver; the reply stays visible as failed and can be retried."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    idempotency_key: str
    mention: str  # platform:id of the mention answered
    in_reply_to_url: str
    platform: str
    text: str
    sent_by: str

    def record(self) -> dict[str, Any]:
        return {
            "idempotency_key": self.idempotency_key,
            "mention": self.mention,
            "in_reply_to_url": self.in_reply_to_url,
            "platform": self.platform,
            "text": self.text,
            "sent_by": self.sent_by,
        }


class Sender(Protocol):
    name: str

    def deliver(self, reply: Outgoing) -> None:
        """Publish once per idempotency key; raise `SendError` if it cannot."""


@dataclass
class JsonlOutbox:
    path: Path
    name: str = "outbox"
    _keys: set[str] | None = field(default=None, repr=False)

    def _known(self) -> set[str]:
        if self._keys is None:
            self._keys = set()
            if self.path.exists():
                for line in self.path.read_text(encoding="utf-8").splitlines():
                    if line.strip():
                        self._keys.add(json.loads(line)["idempotency_key"])
        return self._keys

    def deliver(self, reply: Outgoing) -> None:
        if reply.idempotency_key in self._known():
            return  # already published: a retry after a crash
        try:
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(reply.record(), ensure_ascii=False) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise SendError(f"cannot write the outbox {self.path}: {exc}") from exc
        self._known().add(reply.idempotency_key)


@dataclass
class WebhookSender:
    url: str
    attempts: int = 4
    backoff_seconds: float = 0.5  # doubled after each failed attempt
    timeout: float = 10.0
    name: str = "webhook"
    sleep: Callable[[float], None] = time.sleep

    def deliver(self, reply: Outgoing) -> None:
        body = json.dumps(reply.record()).encode()
        headers: Mapping[str, str] = {
            "Content-Type": "application/json",
            "Idempotency-Key": reply.idempotency_key,
        }
        delay, last = self.backoff_seconds, ""
        for attempt in range(1, self.attempts + 1):
            # The URL is the team's own configuration, checked to be http(s) when loaded.
            request = urllib.request.Request(  # noqa: S310
                self.url, data=body, headers=dict(headers), method="POST"
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    if 200 <= response.status < 300:
                        return
                    last = f"answered {response.status}"
            except urllib.error.HTTPError as exc:
                if exc.code < 500:
                    raise SendError(
                        f"{self.url} refused the reply: {exc.code} {exc.reason}"
                    ) from exc
                last = f"answered {exc.code}"
            except OSError as exc:
                last = str(exc)
            if attempt < self.attempts:
                self.sleep(delay)
                delay *= 2
        raise SendError(f"{self.url} failed after {self.attempts} attempts: {last}")
