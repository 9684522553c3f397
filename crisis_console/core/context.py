"""What every desk needs of the session: who is acting, the clock, permission checks, the
audit log, notifications, the playbook and the level in force; and the one lock the service
takes around each call, so that no front end ever has to.

`OperatorContext` is built once by the service and handed to each desk (crisis, claims,
replies, timers): no desk borrows another for the operator or the clock. `synchronized`
marks a desk's public method as taking the service's lock (re-entrant: one call may make
others). A method that waits on the network must not be marked: it takes the lock only
around its reads and writes (see `ConsoleService.work_outbox`).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Concatenate, NoReturn, ParamSpec, Protocol, TypeVar

from crisis_console.core.actions import Action, Permission
from crisis_console.core.archive.audit import Audit, AuditEvent
from crisis_console.core.crisis.notify import Notification, Notifier
from crisis_console.core.models import Clock, Role
from crisis_console.core.permissions import allowed, who_may
from crisis_console.core.playbook.playbook import Level, Playbook
from crisis_console.core.roster import Operator, PermissionDenied
from crisis_console.core.store.contract import MentionStore
from crisis_console.core.triage.routing import Triager

P = ParamSpec("P")
R = TypeVar("R")


class Locked(Protocol):
    lock: threading.RLock


S = TypeVar("S", bound=Locked)


def synchronized(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
    """Run the method holding `self.lock`."""

    def locked(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self.lock:
            return method(self, *args, **kwargs)

    functools.update_wrapper(locked, method)
    return locked


@dataclass
class OperatorContext:
    """One operator's session over one store."""

    operator: Operator
    clock: Clock
    store: MentionStore
    audit: Audit
    notifier: Notifier
    triager: Triager
    lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def playbook(self) -> Playbook:
        return self.triager.playbook

    @property
    def me(self) -> str:
        return self.operator.name

    def level_number(self) -> int:
        """The crisis level in force (one small record)."""
        record = self.store.state.crisis.get()
        return int(record["level"]) if record else 0

    def level(self) -> Level:
        return self.playbook.level(self.level_number())

    def event(self, action: Action, subject: str, data: Mapping[str, Any]) -> AuditEvent:
        return AuditEvent(action, subject, self.me, self.clock(), data)

    def record(self, what: Action, subject: str, **data: Any) -> None:
        """Append one audit event by this operator, now."""
        self.audit.append([self.event(what, subject, data)])

    def require(
        self, action: Permission, subject: str, extra: frozenset[Role] = frozenset()
    ) -> None:
        """Refuse, audit the refusal and raise `PermissionDenied` unless one of the operator's
        roles may do `action` at the level in force (`permissions.allowed`; `extra`: roles
        allowed for this subject, such as a checklist step's owner)."""
        level = self.level_number()
        if not self.may(action, level, extra):
            self.refuse(action, subject, level, extra)

    def may(self, action: Permission, level: int, extra: frozenset[Role] = frozenset()) -> bool:
        """Whether one of the operator's roles may do `action` at crisis level `level`."""
        roles = allowed(action, self.playbook, level) | extra
        return Role.LEAD in self.operator.roles or bool(self.operator.roles & roles)

    def levels_allowing(self, action: Permission) -> frozenset[int] | None:
        """The playbook's crisis levels at which the operator may do `action`, for a write
        that checks the level in force as it is made (a claim); None when every level
        allows it, and nothing need be checked."""
        numbers = [level.number for level in self.playbook.levels] or [0]
        levels = frozenset(n for n in numbers if self.may(action, n))
        return None if len(levels) == len(numbers) else levels

    def refuse(
        self, action: Permission, subject: str, level: int, extra: frozenset[Role] = frozenset()
    ) -> NoReturn:
        """Audit the refusal of `action` at `level` and raise `PermissionDenied`, naming the
        roles that may."""
        roles = allowed(action, self.playbook, level) | extra
        who = self.operator.describe()
        self.record(Action.REFUSED, subject, action=action, operator=who, level=level)
        named = self.playbook.level(level)
        at = f" at level {level} ({named.name})" if named.crisis else ""
        raise PermissionDenied(
            f"{who} may not {action.replace('_', ' ')}{at}: it needs {who_may(roles)}"
        )

    def notify(
        self, kind: str, title: str, body: str, subject: str, roles: frozenset[Role] | None = None
    ) -> None:
        roles = roles if roles is not None else self.playbook.notified(kind)
        self.notifier.send(Notification(kind, title, body, roles, self.clock(), subject))
