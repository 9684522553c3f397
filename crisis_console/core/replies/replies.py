"""Governed replies: drafts, the approval queue, and sending exactly once.

Only the social team (and lead) sends; everyone else submits a draft for approval. Every
reply passes the policy guard when it is sent, queued, edited or approved. Nobody approves
their own draft, and an edited draft needs an approver who neither wrote nor edited it. A
reply is sent through the sender with its id as idempotency key; its state is saved as
`sending` first, so after a crash `resume_sending` retries with the same key and the sender
publishes it once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import replace
from typing import Any, NoReturn

from crisis_console.core.actions import Action, Permission
from crisis_console.core.archive.audit import AuditEvent
from crisis_console.core.context import OperatorContext, synchronized
from crisis_console.core.errors import Refused
from crisis_console.core.models import Mention, StoredMention
from crisis_console.core.replies.claims import ClaimDesk
from crisis_console.core.replies.outbox import ReplyOutbox
from crisis_console.core.replies.policy import Finding, blocking, check_reply, level_refusal
from crisis_console.core.replies.reply_model import (
    APPROVED,
    FAILED,
    PENDING,
    REJECTED,
    SENDING,
    PolicyBlocked,
    Reply,
    content_sha,
    history_step,
    text_diff,
)
from crisis_console.core.replies.send_checks import why_not_now
from crisis_console.core.replies.senders import Sender
from crisis_console.core.replies.templates import ReplyTemplate, approval_record, best_first
from crisis_console.core.roster import may

READY = frozenset({APPROVED, FAILED})  # the statuses a reply is sent from


class ReplyDesk:
    """Compose, submit, approve, edit, reject and send replies for one operator."""

    def __init__(
        self,
        ctx: OperatorContext,
        claims: ClaimDesk,
        templates: MutableMapping[str, ReplyTemplate],
        sender: Sender,
        brand: str,
    ) -> None:
        self._ctx, self.claims, self.lock = ctx, claims, ctx.lock
        self._store, self._audit = ctx.store, ctx.audit
        self.templates, self._brand = templates, brand  # perhaps loaded when first used
        self.outbox = ReplyOutbox(ctx.store, ctx.audit, sender, ctx.clock)
        # True: a send is delivered before the call returns (the command line); False: it is
        # queued for `ConsoleService.work_outbox` (the console, which must never wait on it).
        self.deliver_now = True
        # Told of each rejection (the service leaves the draft's author a notice).
        self.on_rejected: Callable[[Reply, str], None] = lambda reply, comment: None

    # --- helpers ------------------------------------------------------------------------------

    @property
    def _me(self) -> str:
        return self._ctx.operator.name

    def _event(self, event: Action, subject: str, **data: Any) -> None:
        self._audit.append([AuditEvent(event, subject, self._me, self._ctx.clock(), data)])

    def _refuse(self, action: str, subject: str, why: str) -> Refused:
        self._event(Action.REFUSED, subject, action=action, reason=why)
        return Refused(why)

    def _save(self, reply: Reply) -> Reply:
        return self._store.state.replies.save(reply)

    def _mention(self, key: str) -> StoredMention:
        stored = self._store.get(key)
        if stored is None:
            raise ValueError(f"no mention {key}")
        return stored

    @synchronized
    def reply(self, reply_id: str) -> Reply:
        reply = self._store.state.replies.get(reply_id)
        if reply is None:
            raise ValueError(f"no reply {reply_id}")
        return reply

    @synchronized
    def replies(self, mention: str | None = None) -> list[Reply]:
        """The replies to one mention, or every reply (reports), oldest first."""
        table = self._store.state.replies
        return table.all() if mention is None else table.for_mention(mention)

    # --- templates ----------------------------------------------------------------------------

    @synchronized
    def template_approved(self, template: ReplyTemplate) -> bool:
        return self._store.state.templates.approved(template.id, template.sha256)

    @synchronized
    def approve_template(self, template_id: str) -> None:
        """Approve the template's current content (pr, lead); an edit needs a new approval."""
        self._ctx.require(Permission.APPROVE_TEMPLATE, f"template:{template_id}")
        template = self._template(template_id)
        record = approval_record(template, self._me, self._ctx.clock())
        self._store.state.templates.approve(template.id, template.sha256, record)
        self._event(
            Action.TEMPLATE_APPROVED,
            f"template:{template.id}",
            sha256=template.sha256,
            version=template.version,
        )

    def _template(self, template_id: str) -> ReplyTemplate:
        template = self.templates.get(template_id)
        if template is None:
            raise ValueError(f"no template '{template_id}'")
        return template

    @synchronized
    def choices(self, key: str) -> list[ReplyTemplate]:
        """Approved templates fit for this mention, the operator's role and the level, the
        best fit first (`best_first`)."""
        t = self._mention(key).triage
        level, roles, playbook = (
            self._ctx.level_number(),
            self._ctx.operator.roles,
            self._ctx.playbook,
        )
        c, m = t.classification, t.mention
        fit = [
            tpl
            for tpl in self.templates.values()
            if any(tpl.fits(c.category, m.platform, r) for r in roles)
            and not level_refusal(tpl, playbook, level)
            and self.template_approved(tpl)
        ]
        return best_first(fit, c.category, m.platform, level, m.words)

    # --- composing ----------------------------------------------------------------------------

    @synchronized
    def preview(
        self, key: str, template_id: str, variables: Mapping[str, str]
    ) -> tuple[str, list[Finding]]:
        """The filled text and every policy finding, without changing anything."""
        stored, template = self._mention(key), self._template(template_id)
        m = stored.triage.mention
        context = {
            "author": m.author,
            "author_name": m.author_name or m.author,
            "platform": m.platform.value,
            "brand": self._brand,
        }
        text = template.render(context, variables)
        findings = self._check(text, m, template, [*context.values(), *variables.values()])
        if not self.template_approved(template):
            findings.append(
                Finding(
                    "template",
                    "block",
                    f"template '{template.id}' is not approved "
                    "in its current content; a lead or pr must approve it",
                )
            )
        return text, findings

    def _new(self, key: str, template_id: str, variables: Mapping[str, str], status: str) -> Reply:
        text, findings = self.preview(key, template_id, variables)
        blocked = blocking(findings)
        if blocked:
            self._refuse_by_policy("reply", key, blocked)
        template = self._template(template_id)
        return Reply(
            uuid.uuid4().hex,
            key,
            template.id,
            template.sha256,
            dict(variables),
            text,
            self._me,
            status,
            self._ctx.clock(),
            tuple(findings),
        )

    @synchronized
    def submit(self, key: str, template_id: str, variables: Mapping[str, str]) -> Reply:
        """Put a draft in the approval queue (any answering role)."""
        self._ctx.require(Permission.DRAFT, key)
        self.claims.require_mine(key)
        reply = self._save(self._new(key, template_id, variables, PENDING))
        self._event(
            Action.DRAFT,
            key,
            reply=reply.id,
            template=reply.template,
            text=reply.text,
            warnings=[f.message for f in reply.findings],
        )
        return reply

    @synchronized
    def send(self, key: str, template_id: str, variables: Mapping[str, str]) -> Reply:
        """Send at once (social, lead). A warning, or a template that must be reviewed by a
        person, needs an approver: submit it instead."""
        self._ctx.require(Permission.SEND, key)
        self._ctx.require(Permission.SEND_UNREVIEWED, key)  # at a crisis level: approvers see it
        self.claims.require_mine(key)
        reply = self._new(key, template_id, variables, APPROVED)
        if reply.findings:
            why = "; ".join(f.message for f in reply.findings)
            raise self._refuse("send", key, f"needs an approver ({why}): submit it for approval")
        if not self._template(template_id).auto_send:
            why = f"template '{template_id}' is never sent without a second person"
            raise self._refuse("send", key, f"{why}: submit it for approval")
        self._save(replace(reply, approvals=(self._me,), approved_sha=content_sha(reply.text)))
        return self._dispatch(reply.id)

    # --- the approval queue -------------------------------------------------------------------

    @synchronized
    def queue(self) -> list[tuple[Reply, bool]]:
        """Drafts waiting for approval or for a sender; True marks one older than its SLA."""
        out = []
        for reply in self._store.state.replies.in_progress():
            if reply.status in (PENDING, APPROVED, FAILED):
                stored = self._store.get(reply.mention)
                late = stored is not None and self._ctx.clock() > stored.triage.deadline
                out.append((reply, late))
        return out

    @synchronized
    def approve(self, reply_id: str) -> Reply:
        reply = self.reply(reply_id)
        self._ctx.require(Permission.APPROVE, reply.mention)
        if reply.status != PENDING:
            why = f"reply {reply_id} is {reply.status}, not waiting for approval"
            raise self._refuse("approve", reply.mention, why)  # as a lost race is refused
        if self._me in reply.hands:  # any version, not only the last edit
            raise self._refuse(
                "approve", reply.mention, "nobody approves a draft they wrote or edited"
            )
        findings = self._guard(reply, reply.text, "approve")
        approved = replace(
            reply,
            status=APPROVED,
            approved_sha=content_sha(reply.text),
            approvals=(*reply.approvals, self._me),
            history=(*reply.history, self._step("approved")),
        )
        warnings = [f.message for f in findings]
        # Only the version that was reviewed: an edit or another approval in between wins.
        changed = self._store.state.replies.replace_if(
            approved,
            lambda now: now.status == PENDING and now.text == reply.text,
            lambda: self._event(Action.APPROVAL, reply.mention, reply=reply.id, warnings=warnings),
        )
        if changed is not None:
            raise self._refuse(
                "approve",
                reply.mention,
                f"reply {reply_id} changed while you reviewed it ({changed.status}); "
                "review it again",
            )
        if may(self._ctx.operator, Permission.SEND):
            return self._dispatch(approved.id)
        return approved

    @synchronized
    def reject(self, reply_id: str, comment: str) -> Reply:
        reply = self.reply(reply_id)
        self._ctx.require(Permission.APPROVE, reply.mention)
        if not comment.strip():
            raise ValueError("a rejection needs a comment for the author")
        if reply.status not in (PENDING, APPROVED):
            raise self._refuse("reject", reply.mention, f"reply {reply_id} is {reply.status}")
        rejected = self._save(
            replace(
                reply, status=REJECTED, history=(*reply.history, self._step("rejected", comment))
            )
        )
        self._event(Action.REJECTION, reply.mention, reply=reply.id, comment=comment)
        self.on_rejected(rejected, comment)
        return rejected

    @synchronized
    def edit(self, reply_id: str, text: str, comment: str = "") -> Reply:
        """An approver changes the wording; the change is kept as a diff, and the edited draft
        then needs an approver who neither wrote nor edited it."""
        reply = self.reply(reply_id)
        self._ctx.require(Permission.EDIT_DRAFT, reply.mention)
        if reply.status != PENDING:
            why = f"reply {reply_id} is {reply.status}; only a waiting draft is edited"
            raise self._refuse("edit", reply.mention, why)
        findings = self._guard(reply, text, "edit")
        diff = text_diff(reply.text, text)
        edited = self._save(
            replace(
                reply,
                text=text,
                edited_by=self._me,
                approvals=(),
                findings=tuple(findings),
                history=(*reply.history, self._step("edited", comment, diff)),
            )
        )
        self._event(Action.EDIT, reply.mention, reply=reply.id, diff=diff, comment=comment)
        return edited

    def _refuse_by_policy(self, action: str, key: str, blocked: list[Finding]) -> NoReturn:
        # The codes let reports count what blocked replies without repeating personal data.
        self._event(
            Action.REFUSED,
            key,
            action=action,
            reason="policy",
            codes=[f.code for f in blocked],
            findings=[f.message for f in blocked],
        )
        raise PolicyBlocked(blocked)

    def _guard(self, reply: Reply, text: str, action: str) -> list[Finding]:
        """The policy guard on `text` as this reply, now; a blocking finding refuses (and is
        audited as a refusal of `action`)."""
        m = self._mention(reply.mention).triage.mention
        data = [m.author, m.author_name, *reply.variables.values()]
        findings = self._check(text, m, self.templates.get(reply.template), data)
        if blocking(findings):
            self._refuse_by_policy(action, reply.mention, blocking(findings))
        return findings

    def _check(
        self, text: str, m: Mention, template: ReplyTemplate | None, data: list[str]
    ) -> list[Finding]:
        """The guard on `text` as a reply to `m` at the level in force: one place for what a
        preview and a send both check."""
        level = self._ctx.level_number()
        return check_reply(text, m.platform, self._ctx.playbook, level, template, data, m.author)

    def _step(self, action: str, comment: str = "", diff: str = "") -> dict[str, Any]:
        return history_step(action, self._me, self._ctx.clock(), comment, diff)

    # --- sending, exactly once ----------------------------------------------------------------

    @synchronized
    def send_approved(self, reply_id: str) -> Reply:
        """A sender publishes a reply that a non-sender approved."""
        reply = self.reply(reply_id)
        self._ctx.require(Permission.SEND, reply.mention)
        if reply.status not in READY:
            why = f"reply {reply_id} is {reply.status}, not ready to send"
            raise self._refuse("send", reply.mention, why)  # as a lost race is refused
        return self._dispatch(reply_id)

    def _dispatch(self, reply_id: str) -> Reply:
        reply = self.reply(reply_id)
        self._ctx.require(Permission.SEND, reply.mention)
        self._still_sendable(reply)
        other = self._store.state.replies.take_answer(reply.mention, reply.id)  # atomic
        if other is not None:
            first = self._store.state.replies.get(other)
            who = (first.sent_by or first.author) if first else "another reply"
            why = f"{reply.mention} was already answered by {who}"
            # It can never go now: out of the queue (a follow-up answers a later post).
            dead = (*reply.history, self._step("rejected", why))
            self._save(replace(reply, status=REJECTED, history=dead))
            raise self._refuse("send", reply.mention, why)
        # Saved before the sender is called: this is the outbox entry, and a crash from here
        # on is resumed with the same key. Only from approved (or failed): of two processes
        # sending one reply, one moves it to `sending`, the other is refused.
        sending = replace(reply, status=SENDING, sent_by=self._me, error="", attempts=0)
        taken = self._store.state.replies.replace_if(
            sending, lambda r: r.status in READY and r.text == reply.text
        )
        if taken is not None:
            why = f"reply {reply.id} is {taken.status} ({taken.sent_by or taken.author})"
            raise self._refuse("send", reply.mention, why)
        if not self.deliver_now:
            return sending  # the console's outbox worker delivers it, off the screen's thread
        return self.outbox.send_now(sending)

    def _still_sendable(self, reply: Reply) -> None:
        """Every rule again at the moment of sending, not only at approval
        (`send_checks.why_not_now`), then the policy guard at the level in force now."""
        template = self.templates.get(reply.template)
        approved = template is not None and self.template_approved(template)
        claim = self.claims.holder(reply.mention)
        why = why_not_now(reply, template, approved, claim.holder if claim else None, self._me)
        if why:
            raise self._refuse("send", reply.mention, why)
        self._guard(reply, reply.text, "send")

    @synchronized
    def resume_sending(self) -> list[Reply]:
        """Finish replies a crash left in `sending`: same key, so the sender publishes once."""
        return self.outbox.resume()

    @synchronized
    def answered(self) -> set[str]:
        return self._store.state.replies.answered()
