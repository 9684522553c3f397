"""Who may do what, at which crisis level, as the playbook says: the one permission table
every check in the service goes through (`OperatorContext.require`).

At an ordinary level the social team approves and sends; the playbook's approvers approve
too. At a crisis level (`crisis: true`) only the playbook's approvers approve or edit a
draft, and nothing goes out without one of them having seen it: a sender's reply without a
second person waits for an approver. `lead` may always do everything.
"""

from __future__ import annotations

from crisis_console.core.actions import Permission
from crisis_console.core.models import Role
from crisis_console.core.playbook.playbook import Playbook

ANSWERERS = frozenset({Role.SOCIAL, Role.SUPPORT, Role.PR, Role.LEGAL})

# At an ordinary level, before the playbook widens anything.
BASE: dict[Permission, frozenset[Role]] = {
    Permission.CLAIM: ANSWERERS,
    Permission.DRAFT: ANSWERERS,
    Permission.SEND: frozenset({Role.SOCIAL}),  # only the designated social team sends
    Permission.SEND_UNREVIEWED: frozenset({Role.SOCIAL}),  # with no second person
    Permission.APPROVE: frozenset({Role.SOCIAL}),  # plus the playbook's approvers
    Permission.EDIT_DRAFT: frozenset({Role.SOCIAL}),  # plus the playbook's approvers
    Permission.TAKE_OVER_CLAIM: frozenset(),
    Permission.CHANGE_LEVEL: frozenset({Role.PR}),  # or the playbook's level changers
    Permission.ACKNOWLEDGE_ALARM: frozenset({Role.PR, Role.SOCIAL}),  # plus harm's notified
    Permission.TICK_CHECKLIST: frozenset(),  # the step's owner role
    Permission.APPROVE_TEMPLATE: frozenset({Role.PR}),
    Permission.EXPORT: frozenset({Role.AUDITOR}),
    Permission.CHANGE_ROSTER: frozenset(),
    Permission.CHANGE_PLAYBOOK: frozenset(),
    Permission.RECLASSIFY: ANSWERERS,
    Permission.DE_ESCALATE: frozenset(),  # a post about harm leaves the lead by the lead
    Permission.INGEST: ANSWERERS,  # not an auditor, who changes nothing
    # Working mentions without replying (`core/work`): the social team directs the work;
    # everyone who answers writes notes and tags, puts junk away and reopens.
    Permission.ASSIGN: frozenset({Role.SOCIAL}),
    Permission.NOTE: ANSWERERS,
    Permission.TAG: ANSWERERS,
    Permission.CLOSE: frozenset({Role.SOCIAL}),  # any reason
    Permission.CLOSE_JUNK: ANSWERERS,  # spam or a duplicate only
    Permission.REOPEN: ANSWERERS,
}


def allowed(action: Permission, playbook: Playbook, level: int) -> frozenset[Role]:
    """The roles that may do `action` at crisis level `level` under `playbook` (besides
    lead, who always may)."""
    matrix = playbook.roles
    crisis = playbook.level(level).crisis
    if action in (Permission.APPROVE, Permission.EDIT_DRAFT):
        approvers = matrix.approvers if matrix else frozenset({Role.LEAD})
        return approvers if crisis else approvers | BASE[action]
    if action is Permission.SEND_UNREVIEWED:
        return frozenset() if crisis else BASE[action]
    if action is Permission.CHANGE_LEVEL and matrix:
        return matrix.level_changers
    if action is Permission.ACKNOWLEDGE_ALARM:
        return BASE[action] | playbook.notified("harm")
    return BASE.get(action, frozenset())


def who_may(roles: frozenset[Role]) -> str:
    """The roles named in a refusal: every one that may, lead always among them."""
    return ", ".join(sorted(r.value for r in roles | {Role.LEAD}))
