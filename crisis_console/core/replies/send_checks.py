"""What is checked again at the moment a reply is sent, whatever was checked when it was
approved: a store edited since, a template edited since, or a mention someone else took
since, each stops it. (The policy guard runs again too, at the level in force then.)"""

from __future__ import annotations

from crisis_console.core.replies.reply_model import Reply
from crisis_console.core.replies.templates import ReplyTemplate


def why_not_now(
    reply: Reply,
    template: ReplyTemplate | None,
    template_approved: bool,
    claimed_by: str | None,
    sender: str,
) -> str:
    """Why `sender` may not send `reply` now, or "" if nothing stands in the way.
    `claimed_by`: who holds the mention's live claim, if anyone; its holder or the reply's
    author may send (a draft is written under its author's claim)."""
    if not reply.as_approved:
        return f"reply {reply.id}'s text changed after it was approved: approve it again"
    if template is None or template.sha256 != reply.template_sha:
        return (
            f"template '{reply.template}' changed after this reply was written from it: "
            "write the reply again"
        )
    if not template_approved:
        return f"template '{template.id}' is no longer approved as it reads now"
    if claimed_by is not None and claimed_by not in (sender, reply.author):
        return (
            f"{reply.mention} is claimed by {claimed_by}: they answer it, or a lead takes it over"
        )
    return ""
