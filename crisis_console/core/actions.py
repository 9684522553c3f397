"""The names the archive and the permission table use, as enums, so that a misspelt action is
a type error, not a record nobody ever finds. Each value is what the audit log stores."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    """Every kind of audit record."""

    MENTION_INGESTED = "mention.ingested"
    MENTION_VERSION = "mention.version"
    MENTION_DELETED = "mention.deleted"
    MENTION_RECLASSIFIED = "mention.reclassified"  # a person's correction of its triage
    MENTION_SECOND_OPINION = "mention.second_opinion"  # raised by the semantic second pass
    ALARM_RAISED = "alarm.raised"
    ALARM_RENOTIFIED = "alarm.renotified"
    ALARMS_REMINDED = "alarms.reminded"  # a round: many open alarms, one reminder
    ALARM_ACKNOWLEDGED = "alarm.acknowledged"
    SLA_BREACHED = "sla.breached"
    SPIKE_SUGGESTED = "spike.suggested"
    LEVEL_CHANGED = "level.changed"
    CHECKLIST_TICKED = "checklist.ticked"
    CHECKLIST_OVERDUE = "checklist.overdue"
    CLAIM = "claim"
    CLAIM_TAKEN_OVER = "claim.taken_over"
    RELEASE = "release"
    TEMPLATE_APPROVED = "template.approved"
    DRAFT = "draft"
    EDIT = "edit"
    APPROVAL = "approval"
    REJECTION = "rejection"
    SEND = "send"
    SEND_RETRYING = "send.retrying"
    SEND_FAILED = "send.failed"
    # A bulk answer (`replies/batch.py`): one record for the batch, beside each reply's own.
    BATCH_CREATED = "batch.created"
    BATCH_APPROVED = "batch.approved"
    BATCH_REJECTED = "batch.rejected"
    REFUSED = "refused"
    IDENTITY_AS = "identity.as"
    ROSTER_CHANGED = "roster.changed"
    ROSTER_ACCEPTED = "roster.accepted"  # a team file changed by hand, accepted by a lead
    SHARED_LOGINS_CHANGED = "roster.shared_logins"  # whom a shared terminal may act as (--as)
    PLAYBOOK_ADOPTED = "playbook.adopted"  # a store's first playbook
    PLAYBOOK_CHANGED = "playbook.changed"
    REPORT_EXPORTED = "report.exported"
    AUDIT_EXPORTED = "audit.exported"
    AUDIT_CHECKPOINT = "audit.checkpoint"  # a signed digest of the chain, given to a lead
    # Working a mention without replying (`core/work`): one record per mention, a
    # selection's in one append.
    MENTION_ASSIGNED = "mention.assigned"  # to a team member or a queue
    MENTION_UNASSIGNED = "mention.unassigned"
    MENTION_NOTED = "mention.noted"  # an internal note: its text is in the record, never sent
    MENTION_TAGGED = "mention.tagged"
    MENTION_UNTAGGED = "mention.untagged"
    MENTION_CLOSED = "mention.closed"  # without a reply, with a reason
    MENTION_REOPENED = "mention.reopened"


REPLAYED = frozenset(
    {
        Action.MENTION_INGESTED,
        Action.MENTION_VERSION,
        Action.MENTION_DELETED,
        Action.MENTION_RECLASSIFIED,
        Action.MENTION_SECOND_OPINION,
    }
)
"""The records that carry a whole stored mention: recovery replays them into the store."""


class Permission(StrEnum):
    """What the permission table governs (`permissions.allowed`)."""

    CLAIM = "claim"
    DRAFT = "draft"
    SEND = "send"
    SEND_UNREVIEWED = "send_unreviewed"  # send with no second person having seen it
    APPROVE = "approve"
    EDIT_DRAFT = "edit_draft"
    TAKE_OVER_CLAIM = "take_over_claim"
    CHANGE_LEVEL = "change_level"
    ACKNOWLEDGE_ALARM = "acknowledge_alarm"
    TICK_CHECKLIST = "tick_checklist"
    APPROVE_TEMPLATE = "approve_template"
    EXPORT = "export"
    CHANGE_ROSTER = "change_roster"
    CHANGE_PLAYBOOK = "change_playbook"
    RECLASSIFY = "reclassify"  # correct a mention's urgency, category or sentiment
    # judge a post that escalates one that does not, or lower its urgency
    DE_ESCALATE = "de-escalate"
    # bring mentions into the store, and judge stored ones again (the second opinion)
    INGEST = "ingest"
    ACT_AS = "act_as"  # refused identities are audited under this name
    ASSIGN = "assign"  # assign a mention to a team member or a queue, or take it back
    NOTE = "note"  # write an internal note on a mention
    TAG = "tag"  # tag a mention, or untag it
    CLOSE = "close"  # close a mention without replying, for any reason
    CLOSE_JUNK = "close_junk"  # close one as spam or a duplicate
    REOPEN = "reopen"  # open a closed mention again
