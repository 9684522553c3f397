"""Conversations: the mentions that answer each other (`in_reply_to`) read as one thread, with
our replies in place (issue 18, feature 6). Reading is open to every operator, as a
mention's detail is.

A thread is read from its own posts, never from a walk of the store. Up from the mention
asked about, post by post, to its root: the first post that answers none, or one the store
does not hold (a brand's own post, a comment nobody imported), kept as a placeholder; at
most `MAX_DEPTH` posts up, and a loop stops it. Then down through the thread index
(`store/threads.py`): the mention's own answers first, then those of each post above it,
the nearest first, `MAX_POSTS` posts in all, so that a reply to a post thousands answered
is shown with its own conversation, not with the first 200 strangers'. Each post comes with
our replies to it, whatever their status (a draft, approved, sending, sent, failed,
rejected), and whether it is answered.

Follow-ups: each post is answered once (`ReplyTable.take_answer`, one conditional write): a
second reply to the same post is refused, naming who answered, as before. A follow-up is our
answer to a later post of the conversation — the customer's next post, whether it answers
their first, the brand's post or our reply as published — and it is governed as the first
answer was: claimed, written from a template the level allows, checked by the policy guard,
approved as the level in force requires. An earlier answer in the thread neither blocks it
nor lets it skip a step. (A post answering our reply names a post id we never learn, as the
senders do not report one: it joins the thread when the brand's published reply is imported
too, and otherwise starts a thread of its own, a placeholder at its root.)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from crisis_console.core.context import OperatorContext, synchronized
from crisis_console.core.models import StoredMention
from crisis_console.core.replies.reply_model import REPLIES, Reply
from crisis_console.core.store.tables import TableSet
from crisis_console.core.store.threads import parent_of

MAX_DEPTH = 100  # posts followed up from the mention asked about
MAX_POSTS = 200  # posts in one thread, the mention and the posts above it included
REPLY_INDEX = "reply_index"  # `ReplyTable`'s: a mention's reply ids (read here for many at once)
_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ThreadPost:
    """One post of a conversation, and our replies to it.

    `stored` is the mention as stored (routed as when it arrived: `ConsoleService.mention`
    routes one at the level in force), None for a post the store does not hold (only ever
    the root). `parent` is the key of the post it answers, as its mention says ("" for
    none); `depth` counts the posts between it and the root (0 for the root). `replies`
    are ours to it, oldest first, each with its status; `answered`: a reply to it went
    out, or is going (the one answer a post has)."""

    key: str
    stored: StoredMention | None
    parent: str
    depth: int
    replies: tuple[Reply, ...] = ()
    answered: bool = False


@dataclass(frozen=True, slots=True)
class Thread:
    """The conversation `key` belongs to. `posts` are in thread order: the root, then each
    post followed by the posts answering it, each post's answers oldest first, so that a
    conversation that never branches reads in time order (`by_time` for a flat list); each
    post carries our replies to it.
    `more`: answers to its posts left out for want of room (`MAX_POSTS`), as far as the
    index told (0: none; where many were, a lower bound: what lies below them is not read);
    `cut`: the posts above `root` were not followed (more than `MAX_DEPTH`, or a loop)."""

    key: str
    root: str
    posts: tuple[ThreadPost, ...]
    more: int = 0
    cut: bool = False

    def post(self, key: str) -> ThreadPost | None:
        return next((p for p in self.posts if p.key == key), None)

    def by_time(self) -> tuple[ThreadPost, ...]:
        """The posts oldest first (a post the store does not hold first: it has no time)."""
        return tuple(sorted(self.posts, key=_when))

    @property
    def unanswered(self) -> tuple[str, ...]:
        """The posts the store holds, not deleted, that no reply of ours answers yet, in
        thread order: where a follow-up goes."""
        return tuple(
            p.key
            for p in self.posts
            if p.stored is not None and p.stored.deleted_at is None and not p.answered
        )


class ConversationDesk:
    """Threads for one operator's session (see the module docstring)."""

    def __init__(self, ctx: OperatorContext) -> None:
        self._ctx, self.lock, self._store = ctx, ctx.lock, ctx.store

    @synchronized
    def thread(self, key: str) -> Thread | None:
        """The conversation the mention `key` belongs to, or None when it is not stored.
        Its reads are its own posts': a few per post above it, and two per generation of
        answers below (the index, then their mentions), never the rest of the store."""
        asked = self._store.get(key)
        if asked is None:
            return None
        found: dict[str, StoredMention | None] = {key: asked}
        above: dict[str, str] = {}  # a post -> the post above it in this thread
        chain, cut = self._up(key, asked, found, above)
        more = 0
        for start in chain:  # the mention's own answers first, then each post above it
            more += self._down(start, found, above)
        return self._thread(key, chain[-1], found, above, more, cut)

    def _up(
        self,
        key: str,
        asked: StoredMention,
        found: dict[str, StoredMention | None],
        above: dict[str, str],
    ) -> tuple[list[str], bool]:
        """The posts from `key` up to the root, one read each; and whether the walk was cut."""
        chain, current = [key], asked
        while True:
            parent = parent_of(current.triage.mention)
            if not parent:
                return chain, False
            if parent in found or len(chain) > MAX_DEPTH:
                return chain, True  # a loop, or too far up: this is as high as it goes
            stored = self._store.get(parent)
            found[parent], above[chain[-1]] = stored, parent
            chain.append(parent)
            if stored is None:
                return chain, False  # a post we never stored: the root, as far as we know
            current = stored

    def _down(
        self, start: str, found: dict[str, StoredMention | None], above: dict[str, str]
    ) -> int:
        """Add the answers below `start`, a generation at a time, while there is room; how
        many were left out for want of it. A post already in the thread is not taken again
        (nor followed again), and an entry whose mention no longer answers that post (an
        edit changed it) is passed over."""
        frontier, left_out = [start], 0
        while frontier:
            filed = self._store.threads.children(frontier, MAX_POSTS + 1)
            wanted = [(p, c) for p in frontier for c in filed.get(p, ()) if c not in found]
            room = MAX_POSTS - len(found)
            if len(wanted) > room:
                left_out += len(wanted) - room
                wanted = wanted[: max(room, 0)]
            stored = self._store.get_many(c for _, c in wanted)
            frontier = []
            for parent, child in wanted:
                mention = stored.get(child)
                if mention is None or child in found or parent_of(mention.triage.mention) != parent:
                    continue
                found[child], above[child] = mention, parent
                frontier.append(child)
        return left_out

    def _thread(
        self,
        key: str,
        root: str,
        found: dict[str, StoredMention | None],
        above: dict[str, str],
        more: int,
        cut: bool,
    ) -> Thread:
        """The thread of `found`, with our replies in place, in time order."""
        held = [k for k, s in found.items() if s is not None]
        replies = replies_of(self._store.state.tables, held)
        answered = self._store.state.replies.answered_among(held)
        depths: dict[str, int] = {root: 0}

        def depth(post: str) -> int:
            """Steps from `post` up to the root, each post's worked out once."""
            path = []
            while post not in depths:
                path.append(post)
                post = above[post]
            for step in reversed(path):
                depths[step] = depths[post] + 1
                post = step
            return depths[post]

        posts = [
            ThreadPost(
                k,
                s,
                parent_of(s.triage.mention) if s is not None else "",
                depth(k),
                tuple(replies.get(k, ())),
                k in answered,
            )
            for k, s in found.items()
        ]
        return Thread(key, root, _in_thread_order(posts, root, above), more, cut)


def _when(post: ThreadPost) -> tuple[datetime, str]:
    return (post.stored.triage.mention.created_at if post.stored else _NEVER), post.key


def _in_thread_order(
    posts: list[ThreadPost], root: str, above: dict[str, str]
) -> tuple[ThreadPost, ...]:
    """The root, then each post followed by the posts answering it, each post's answers
    oldest first (depth first): a conversation that never branches reads in time order."""
    by_key = {p.key: p for p in posts}
    below: dict[str, list[ThreadPost]] = {}
    for post in sorted(posts, key=_when):
        if post.key in above:
            below.setdefault(above[post.key], []).append(post)
    ordered: list[ThreadPost] = []
    stack = [by_key[root]]
    while stack:
        post = stack.pop()
        ordered.append(post)
        stack += reversed(below.get(post.key, ()))
    return tuple(ordered)


def replies_of(tables: TableSet, keys: Iterable[str]) -> dict[str, list[Reply]]:
    """Our replies to each of these mentions that has any, oldest first: two reads for all
    of them (`ReplyTable.for_mention` is the same for one)."""
    index = tables.table(REPLY_INDEX).get_many(keys)
    ids = [i for record in index.values() for i in record["ids"]]
    records = tables.table(REPLIES).get_many(ids)
    out: dict[str, list[Reply]] = {}
    for mention, record in index.items():
        found = [Reply.from_record(records[i]) for i in record["ids"] if i in records]
        if found:
            out[mention] = sorted(found, key=lambda r: r.created_at)
    return out
