"""A reply as the store keeps it: its text, template, findings, approvals and history."""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crisis_console.core.errors import Refused
from crisis_console.core.replies.policy import Finding

REPLIES, TEMPLATE_APPROVALS = "replies", "template_approvals"
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
SENDING, SENT, FAILED = "sending", "sent", "failed"


class PolicyBlocked(Refused):
    """The policy guard blocks the reply; `.findings` says why. The refusal is audited."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        super().__init__("blocked by the policy guard: " + "; ".join(f.message for f in findings))


@dataclass(frozen=True, slots=True)
class Reply:
    id: str
    mention: str
    template: str
    template_sha: str
    variables: Mapping[str, str]
    text: str
    author: str
    status: str
    created_at: datetime
    findings: tuple[Finding, ...] = ()
    approvals: tuple[str, ...] = ()
    edited_by: str = ""
    sent_by: str = ""
    sent_at: datetime | None = None
    error: str = ""
    history: tuple[Mapping[str, Any], ...] = ()
    attempts: int = 0  # failed deliveries so far (the outbox retries with backoff)
    next_attempt_at: datetime | None = None
    approved_sha: str = ""  # the sha256 of the text as approved ("": approved before hashes)

    @property
    def as_approved(self) -> bool:
        """Whether the text is still the text that was approved. A reply approved by an
        earlier version carries no hash, and is taken as it stands."""
        return not self.approved_sha or self.approved_sha == content_sha(self.text)

    @property
    def hands(self) -> frozenset[str]:
        """Everyone who wrote or edited any version of it: none of them may approve it."""
        edits = (step["by"] for step in self.history if step.get("action") == "edited")
        return frozenset({self.author, *edits, self.edited_by} - {""})

    def record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "mention": self.mention,
            "template": self.template,
            "template_sha": self.template_sha,
            "variables": dict(self.variables),
            "text": self.text,
            "author": self.author,
            "status": self.status,
            "created_at": self.created_at.isoformat(),
            "findings": [[f.code, f.severity, f.message] for f in self.findings],
            "approvals": list(self.approvals),
            "edited_by": self.edited_by,
            "sent_by": self.sent_by,
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
            "error": self.error,
            "history": [dict(h) for h in self.history],
            "attempts": self.attempts,
            "next_attempt_at": self.next_attempt_at.isoformat() if self.next_attempt_at else None,
            "approved_sha": self.approved_sha,
        }

    @classmethod
    def from_record(cls, r: Mapping[str, Any]) -> Reply:
        return cls(
            r["id"],
            r["mention"],
            r["template"],
            r["template_sha"],
            r["variables"],
            r["text"],
            r["author"],
            r["status"],
            datetime.fromisoformat(r["created_at"]),
            tuple(Finding(*f) for f in r["findings"]),
            tuple(r["approvals"]),
            r["edited_by"],
            r["sent_by"],
            datetime.fromisoformat(r["sent_at"]) if r["sent_at"] else None,
            r["error"],
            tuple(r["history"]),
            r.get("attempts", 0),
            datetime.fromisoformat(r["next_attempt_at"]) if r.get("next_attempt_at") else None,
            r.get("approved_sha", ""),
        )


def content_sha(text: str) -> str:
    """What an approval is bound to: the sha256 of the reply's text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def history_step(
    action: str, by: str, at: datetime, comment: str = "", diff: str = ""
) -> dict[str, Any]:
    """One entry of a reply's history: who did what and when, with a comment and a diff."""
    return {"action": action, "by": by, "at": at.isoformat(), "comment": comment, "diff": diff}


def text_diff(before: str, after: str) -> str:
    """A unified diff of a draft's text before and after an edit."""
    lines = difflib.unified_diff(
        before.splitlines(), after.splitlines(), "before", "after", lineterm=""
    )
    return "\n".join(lines)
