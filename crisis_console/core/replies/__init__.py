"""Replies: claims, drafts, the approval queue, batches (one template answering many mentions,
approved once), the policy guard, templates, and the outbox and senders that deliver each
reply exactly once."""
