"""Reading platform answers as people save them, against reading the same posts as JSONL.

Run: python -m bench.platform_bench [--sizes 10000,100000,1000000] [--import-size N]

The demo mentions repeated to each size, written as files a user imports:
- `jsonl`: our own records, one a line (the baseline);
- `pretty`: the same records as one pretty-printed array (`jq .`), read as a document;
- `x`: X API v2 search pages of 100 tweets with `includes.users`, one page a line;
- `mastodon`: timeline pages of 40 statuses (HTML content), one page a line;
- `reddit`: `/comments` answers, threads of 200 comments nested ten deep, one a line, each
  with a `more` placeholder to tell.
Each file goes through `read_jsonl` as `crisis-console ingest` reads it (from a file, lines
with their endings), and every post is counted. It prints posts/s, the ratio to JSONL, and
how the cost per post grows from the smallest size (flat is right). Then one import of the
`reddit` file at `--import-size` into an empty folder, for scale: reading is not the cost.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import logging
import platform
import time
from collections.abc import Callable, Iterator
from typing import Any

from bench.ingest_bench import NOW, corpus, rate, timed_ingest
from crisis_console import config
from crisis_console.core.intake.ingest import Parsed, read_jsonl
from crisis_console.core.models import Mention
from crisis_console.core.playbook.playbook_check import load_playbook
from crisis_console.core.triage.routing import Triager


def ours(m: Mention) -> dict[str, Any]:
    return {
        "id": m.native_id,
        "platform": m.platform.value,
        "text": m.text,
        "created_at": m.created_at.isoformat(),
        "author": m.author,
        "followers": m.followers,
    }


def jsonl(mentions: list[Mention]) -> bytes:
    return "".join(json.dumps(ours(m)) + "\n" for m in mentions).encode()


def pretty(mentions: list[Mention]) -> bytes:
    return json.dumps([ours(m) for m in mentions], indent=2).encode()


def pages(mentions: list[Mention], size: int) -> Iterator[list[Mention]]:
    for start in range(0, len(mentions), size):
        yield mentions[start : start + size]


def x_pages(mentions: list[Mention]) -> bytes:
    out = io.StringIO()
    for page in pages(mentions, 100):
        users = {m.author: {"id": m.author, "username": m.author, "name": m.author} for m in page}
        tweets = [
            {
                "id": m.native_id,
                "author_id": m.author,
                "text": m.text,
                "created_at": m.created_at.isoformat(),
            }
            for m in page
        ]
        out.write(json.dumps({"data": tweets, "includes": {"users": list(users.values())}}) + "\n")
    return out.getvalue().encode()


def mastodon_pages(mentions: list[Mention]) -> bytes:
    def status(m: Mention) -> dict[str, Any]:
        account = {"acct": m.author, "url": f"https://a.social/@{m.author}", "display_name": ""}
        content = "".join(f"<p>{part}</p>" for part in m.text.split("\n"))
        return {
            "id": m.native_id,
            "account": account,
            "content": content,
            "created_at": m.created_at.isoformat(),
            "visibility": "public",
            "spoiler_text": "",
            "reblog": None,
        }

    return "".join(
        json.dumps([status(m) for m in page]) + "\n" for page in pages(mentions, 40)
    ).encode()


def reddit_threads(mentions: list[Mention]) -> bytes:
    def comment(m: Mention, parent: str, replies: Any) -> dict[str, Any]:
        data = {"id": m.native_id, "author": m.author, "body": m.text, "parent_id": parent}
        return {
            "kind": "t1",
            "data": data | {"created_utc": m.created_at.timestamp(), "replies": replies},
        }

    out = io.StringIO()
    for n, thread in enumerate(pages(mentions, 200)):
        when = thread[0].created_at.timestamp()
        post = {"kind": "t3", "data": {"id": f"post{n}", "title": "thread", "created_utc": when}}
        chains = []
        for chain in pages(thread, 10):  # a reply to a reply ... ten deep
            node: Any = ""
            for depth in range(len(chain) - 1, -1, -1):
                parent = f"t1_{chain[depth - 1].native_id}" if depth else f"t3_post{n}"
                listing = {"kind": "Listing", "data": {"children": [node]}} if node else ""
                node = comment(chain[depth], parent, listing)
            chains.append(node)
        chains.append({"kind": "more", "data": {"count": 3, "children": ["a", "b", "c"]}})
        answer = [
            {"kind": "Listing", "data": {"children": [post]}},
            {"kind": "Listing", "data": {"children": chains}},
        ]
        out.write(json.dumps(answer) + "\n")
    return out.getvalue().encode()


SHAPES: dict[str, Callable[[list[Mention]], bytes]] = {
    "jsonl": jsonl,
    "pretty": pretty,
    "x": x_pages,
    "mastodon": mastodon_pages,
    "reddit": reddit_threads,
}


def read_all(data: bytes) -> tuple[int, float]:
    """Posts read, and the seconds it took (lines with their endings, as from a file)."""
    start = time.perf_counter()
    lines = io.BytesIO(data)
    posts = sum(isinstance(i, Parsed) for i in read_jsonl(lines, "bench", NOW))
    return posts, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--import-size", type=int, default=10_000)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}")
    mentions = [p.mention for p in corpus(max(sizes))]
    # The corpus is not what is measured: out of the collector's sight, a million of its
    # objects would make every collection during the reading slower with the size.
    gc.collect()
    gc.freeze()
    per_post: dict[tuple[str, int], float] = {}
    for size in sizes:
        baseline = 0.0
        for name, shape in SHAPES.items():
            data = shape(mentions[:size])
            posts, seconds = read_all(data)
            extra = 1 if name == "reddit" else 0  # each thread's post as well
            expected = size + extra * len(range(0, size, 200))
            assert posts == expected, (name, posts, expected)
            per_post[name, size] = seconds / posts
            baseline = baseline or rate(posts, seconds)
            growth = per_post[name, size] / per_post[name, sizes[0]]
            speed = rate(posts, seconds)
            print(
                f"{size:>9,} {name:<9} {len(data) / 2**20:8.1f} MB  {speed:>9,.0f} posts/s  "
                f"{speed / baseline:5.2f}x JSONL  cost per post {growth:4.2f}x of {sizes[0]:,}"
            )
    logging.disable(logging.WARNING)  # the demo's harm alarms, once per repeated post
    triager = Triager(load_playbook(config.playbook_path(None)))
    data = reddit_threads(mentions[: args.import_size])
    report, seconds = timed_ingest(triager, read_jsonl(io.BytesIO(data), "bench", NOW))
    reading = per_post["reddit", sizes[0]] / (seconds / report.new)
    print(
        f"import of the reddit file at {args.import_size:,}: "
        f"{rate(report.new, seconds):,.0f} posts/s ({report.new:,} new, "
        f"{len(report.notices):,} notes); reading is {reading:.2f}x of it"
    )


if __name__ == "__main__":
    main()
