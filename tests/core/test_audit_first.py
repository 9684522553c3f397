"""Audit first: a conditional write (a claim, an approval, an alarm) logs its audit record
once the condition holds and before the change is stored, so the log may hold an event whose
write a crash cut short, never a stored change the log does not hold."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Role
from tests.conftest import NOW, ServiceFactory, jsonl, record
from tests.core.test_replies import DELAY, actions, desk  # noqa: F401  (`desk`: a fixture)


@pytest.mark.parametrize(
    ("table", "action"),
    [("claims", "claim"), ("replies", "approval"), ("alarms", "alarm.raised")],
)
def test_a_conditional_write_is_audited_before_it_is_stored(
    desk: ServiceFactory,  # noqa: F811  (the fixture)
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    table: str,
    action: str,
) -> None:
    """The disk refuses the write of `table` (as a crash between the two would leave it):
    the audit record is already there, so the log may hold an event whose write was cut
    short, never a stored change that the log does not hold."""
    sam, maya = desk(Role.SUPPORT, name="sam"), desk(Role.SOCIAL, name="maya")
    draft = sam.replies.submit("x:1", "delivery-delay", DELAY) if table == "replies" else None
    real_replace = os.replace

    def refuse(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        if f"/state/{table}/" in str(dst):
            raise OSError(28, "No space left on device")
        real_replace(src, dst, *args, **kwargs)

    before = len(actions(tmp_path))
    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="No space"):
        if table == "claims":
            maya.claims.claim("x:1")
        elif draft is not None:
            maya.replies.approve(draft.id)
        else:
            harm = "The charger caught fire and burned my hand"
            maya.ingest(read_jsonl(jsonl(record("2", harm)), "f", NOW))
    monkeypatch.undo()
    assert action in [a for a, _ in actions(tmp_path)[before:]]
