"""Issue 15, point 4: the permission table depends on the crisis level, as each shipped
playbook says. At a crisis level only the playbook's approvers approve or edit, and nothing
goes out that one of them has not seen (social's own-initiative send is paused); a refusal
names every role that may, and is audited.

The expected table is the playbook read here with PyYAML, by the rules its comments and
README's role table state, not the service's code."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from crisis_console.core.actions import Permission
from crisis_console.core.archive.audit import AUDIT_FILE, AuditLog
from crisis_console.core.crisis.notify import ConsoleSink, Notifier
from crisis_console.core.errors import CrisisConsoleError
from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Role
from crisis_console.core.playbook.playbook_check import load_playbook
from crisis_console.core.replies.senders import JsonlOutbox
from crisis_console.core.replies.templates import load_templates
from crisis_console.core.roster import Operator, PermissionDenied
from crisis_console.core.service import ConsoleService, ReplySetup
from crisis_console.core.store.store import TinyDBStore
from crisis_console.core.triage.routing import Triager
from tests.conftest import NOW, ROOT, jsonl, record

PLAYBOOKS = sorted((ROOT / "playbooks").glob("*.yaml"))
ROLES = [r for r in Role if r is not Role.LEAD]
ANSWERERS = {"social", "support", "pr", "legal"}


def expected(book: dict[str, Any], action: Permission, crisis: bool) -> set[str]:
    """Who may, by the playbook's own words (lead always may, so is left out here)."""
    roles = book["roles"]
    approvers = set(roles["approvers"])
    return {
        Permission.CLAIM: ANSWERERS,
        Permission.DRAFT: ANSWERERS,
        Permission.SEND: {"social"},
        Permission.SEND_UNREVIEWED: set() if crisis else {"social"},
        Permission.APPROVE: approvers if crisis else approvers | {"social"},
        Permission.EDIT_DRAFT: approvers if crisis else approvers | {"social"},
        Permission.CHANGE_LEVEL: set(roles["level_changers"]),
        Permission.ACKNOWLEDGE_ALARM: {"pr", "social"} | set(roles["notify"]["harm"]),
        Permission.APPROVE_TEMPLATE: {"pr"},
        Permission.EXPORT: {"auditor"},
        Permission.TICK_CHECKLIST: set(),  # the step's owner, given by the caller
        Permission.TAKE_OVER_CLAIM: set(),
        Permission.CHANGE_ROSTER: set(),
        Permission.CHANGE_PLAYBOOK: set(),
        Permission.RECLASSIFY: ANSWERERS,
        Permission.DE_ESCALATE: set(),
        Permission.INGEST: ANSWERERS,
        # README's table: the social team directs and closes; all who answer note, tag,
        # close junk and reopen.
        Permission.ASSIGN: {"social"},
        Permission.NOTE: ANSWERERS,
        Permission.TAG: ANSWERERS,
        Permission.CLOSE: {"social"},
        Permission.CLOSE_JUNK: ANSWERERS,
        Permission.REOPEN: ANSWERERS,
    }[action] - {"lead"}


class Desks:
    """Services over one folder under one playbook, one per operator asked for."""

    def __init__(self, folder: Path, playbook_path: Path) -> None:
        self.store, self.audit = TinyDBStore(folder), AuditLog(folder / AUDIT_FILE)
        self.triager = Triager(load_playbook(playbook_path))
        self.templates, _ = load_templates(ROOT / "templates")

    def as_(self, name: str, *roles: Role) -> ConsoleService:
        setup = ReplySetup(
            dict(self.templates), JsonlOutbox(self.store.folder / "out.jsonl"), "Brightwell"
        )
        operator = Operator(name, frozenset(roles))
        return ConsoleService(
            self.store,
            self.audit,
            self.triager,
            lambda: NOW,
            operator,
            Notifier(ConsoleSink()),
            setup,
        )


@pytest.fixture(params=PLAYBOOKS, ids=[p.stem for p in PLAYBOOKS])
def desks(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Desks, dict[str, Any]]]:
    path = request.param
    made = Desks(tmp_path / "data", path)
    yield made, yaml.safe_load(path.read_text(encoding="utf-8"))
    made.store.close()


def test_every_role_action_and_level_of_each_shipped_playbook(
    desks: tuple[Desks, dict[str, Any]],
) -> None:
    made, book = desks
    lee = made.as_("lee", Role.LEAD)
    for level in book["levels"]:
        number, crisis = level["level"], bool(level.get("crisis"))
        if number:
            lee.crisis.set_level(number, f"to level {number}")
        for role in ROLES:
            ctx = made.as_(role.value, role).ctx
            for action in Permission:
                if action is Permission.ACT_AS:
                    continue  # an identity refusal's name, not a permission
                may = role.value in expected(book, action, crisis)
                try:
                    ctx.require(action, f"test:{action}")
                    refused = ""
                except PermissionDenied as exc:
                    refused = str(exc)
                where = (book["id"], number, role.value, action.value)
                assert (not refused) == may, (where, refused)
                if refused:  # every role that may is named, lead among them
                    named = refused.rsplit("it needs ", 1)[1].split(", ")
                    assert set(named) == expected(book, action, crisis) | {"lead"}, where
            ctx.require(Permission.TICK_CHECKLIST, "step", frozenset({role}))  # its owner may
    refusals = [e for e in made.audit.events() if e["action"] == "refused"]
    assert refusals and all(
        e["data"]["level"] in {lv["level"] for lv in book["levels"]} for e in refusals
    )


def test_at_a_crisis_level_social_neither_approves_nor_sends_unseen(tmp_path: Path) -> None:
    made = Desks(tmp_path / "data", ROOT / "playbooks" / "general.yaml")
    lee, maya = made.as_("lee", Role.LEAD), made.as_("maya", Role.SOCIAL)
    sam, priya = made.as_("sam", Role.SUPPORT), made.as_("priya", Role.PR)
    harm = record("1", "My charger caught fire and burned my hand", author="dan")
    lee.ingest(read_jsonl(jsonl(harm, record("2", "Where is my parcel?")), "feed", NOW))
    for template_id in lee.replies.templates:
        lee.replies.approve_template(template_id)
    priya.crisis.set_level(2, "fire reports")
    maya.claims.claim("x:1")
    with pytest.raises(
        PermissionDenied,
        match=re.escape("may not send unreviewed at level 2 (crisis): it needs lead"),
    ):
        maya.replies.send("x:1", "safety-stop-using", {})  # the critical post, at once
    maya.claims.release("x:1")
    sam.claims.claim("x:1")
    draft = sam.replies.submit("x:1", "safety-stop-using", {})
    with pytest.raises(
        PermissionDenied, match=re.escape("may not approve at level 2 (crisis): it needs lead, pr")
    ):
        maya.replies.approve(draft.id)
    approved = priya.replies.approve(draft.id)  # pr approves; pr does not send
    assert approved.status == "approved"
    with pytest.raises(CrisisConsoleError):
        sam.replies.send_approved(draft.id)  # support never sends
    assert maya.replies.send_approved(draft.id).status == "sent"  # social sends what pr saw
