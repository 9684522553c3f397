"""Replies: claims, drafts, the approval queue, the policy guard, templates, and the outbox and
senders that deliver each reply exactly once."""
