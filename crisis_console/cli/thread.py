"""A conversation from a shell: `crisis-console thread KEY`.

Prints the thread the mention belongs to (`core/conversations.py`): its posts in time order,
each indented under the post it answers, and our replies in place under the post they
answer, with their status. Read beside a running console, as a report is. Whatever came from
outside (text, handles, names, keys a post names) is printed as plain text: control, escape
and bidi characters spelled out (`visible`), never obeyed. Exit status (`status`): 0 shown,
2 no such mention.
"""

from __future__ import annotations

import argparse
from typing import IO, Any

from crisis_console.cli import status
from crisis_console.core.conversations import MAX_POSTS, Thread, ThreadPost
from crisis_console.core.errors import CrisisConsoleError
from crisis_console.core.replies.reply_model import Reply
from crisis_console.core.service import ConsoleService
from crisis_console.core.text import visible

COMMAND = "thread"
MAX_INDENT = 8  # deeper posts are drawn at this depth: a 100-deep chain stays readable


def add_commands(commands: Any) -> None:
    thread = commands.add_parser(
        COMMAND, help="a mention's conversation: the posts answering each other, our replies"
    )
    thread.add_argument("key", metavar="KEY", help="any mention of the thread, e.g. x:123")


def run(args: argparse.Namespace, service: ConsoleService, out: IO[str]) -> int:
    thread = service.conversations.thread(args.key)
    if thread is None:
        raise CrisisConsoleError(f"no mention {visible(args.key)}")
    out.write(_heading(thread) + "\n")
    for post in thread.posts:
        out.write(_post(post, post.key == thread.key))
    return status.OK


def _heading(thread: Thread) -> str:
    count = len(thread.posts)
    line = f"thread of {visible(thread.key)}: {count} post{'s' if count != 1 else ''}"
    if thread.more:
        line += f"; {thread.more} more answer(s) not shown (at most {MAX_POSTS} posts)"
    if thread.cut:
        line += f"; what {visible(thread.root)} answers is not shown (too far up, or a loop)"
    return line


def _post(post: ThreadPost, asked: bool) -> str:
    pad = "  " * min(post.depth, MAX_INDENT)
    key = visible(post.key)
    if post.stored is None:
        return f"{pad}{key}  (not in the store: a post nobody imported)\n"
    m = post.stored.triage.mention
    who = f"@{visible(m.author)}" if m.author else "(no handle)"
    who += f" ({visible(m.author_name)})" if m.author_name else ""
    marks = [m.kind.value]
    if post.stored.deleted_at is not None:
        marks.append(f"deleted by its author {post.stored.deleted_at:%Y-%m-%d %H:%M} UTC")
    marks.append("answered" if post.answered else "not answered")
    if asked:
        marks.append("the mention asked for")
    lines = [f"{pad}{key}  {m.created_at:%Y-%m-%d %H:%M} UTC  {who}  [{', '.join(marks)}]"]
    if m.content_warning:
        lines += _text(f"CW: {m.content_warning}", pad + "    ")
    lines += _text(m.text, pad + "    ")
    for reply in post.replies:
        lines.append(f"{pad}    ↳ {_reply(reply)}")
        lines += _text(reply.text, pad + "      ")
    return "\n".join(lines) + "\n"


def _reply(reply: Reply) -> str:
    """One of our replies in a line: its status, who and when, its template."""
    if reply.sent_at is not None:
        when = f"sent by {reply.sent_by} at {reply.sent_at:%Y-%m-%d %H:%M} UTC"
    else:
        when = f"{reply.status}, written by {reply.author} at {reply.created_at:%Y-%m-%d %H:%M} UTC"
        if reply.error:
            when += f" ({visible(reply.error)})"
    return f"our reply {reply.id[:8]}: {when}, template {reply.template}"


def _text(text: str, pad: str) -> list[str]:
    """`text` as plain lines under `pad` (every character from outside made visible)."""
    return [f"{pad}{line}" for line in visible(text).split("\n")] if text else []
