"""Messages the app posts to itself from other threads (post_message is thread-safe)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from crisis_console.core.crisis.notify import Notification


@dataclass
class NotificationArrived(Message):
    """A notification reached the console sink (possibly from a worker thread)."""

    notification: Notification


class StateChanged(Message):
    """Alarms, the crisis level or the checklist changed: screens should reload."""


@dataclass
class AcknowledgeRequested(Message):
    """The operator pressed `a`; `key` is the mention on screen, if any."""

    key: str | None


@dataclass
class StepTickRequested(Message):
    step_id: str


class LevelChangeRequested(Message):
    """The operator asked to change the crisis level."""


@dataclass
class ReplyRequested(Message):
    """The operator wants to answer this mention."""

    key: str


@dataclass
class AuditTrailRequested(Message):
    """The operator asked for one mention's audit trail."""

    key: str


@dataclass
class ReplyOnItsWay(Message):
    """This operator sent a reply (or approved it, and so sent it): it is `sending` until
    the outbox delivers it, here or, in team mode, in whichever process leads."""

    reply_id: str
