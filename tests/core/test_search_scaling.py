"""A folder's search reads, as text, only the lines of the closed segments that hold what it
looks for: counted at two sizes, a search for a rare word reads the same few segments, and a
search by author, key or tag reads none (byte searches and the columns answer them).
Counts, not seconds: a busy machine cannot blur them. Speed: `bench/search_bench.py`."""

from __future__ import annotations

from pathlib import Path

from crisis_console.core.archive.audit import AUDIT_FILE, AuditLog
from crisis_console.core.crisis.notify import ConsoleSink, Notifier
from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.models import Role
from crisis_console.core.roster import Operator
from crisis_console.core.service import ConsoleService
from crisis_console.core.store.inbox import InboxFilter
from crisis_console.core.store.store import TinyDBStore
from crisis_console.core.triage.routing import Triager
from tests.conftest import NOW, jsonl, record

LIVE_LIMIT = 100  # mentions a closed segment holds
ORDINARY = "My parcel is late again, where is it? order {i}"
RARE = {5: "There was glass in the box", 150: "Glass, everywhere", 390: "broken glass again"}
RARE_AUTHOR = {7: "rare_one", 280: "Rare_One"}


def service_over(folder: Path, triager: Triager) -> ConsoleService:
    return ConsoleService(
        TinyDBStore(folder, live_limit=LIVE_LIMIT),
        AuditLog(folder / AUDIT_FILE),
        triager,
        lambda: NOW,
        Operator("lee", frozenset({Role.LEAD})),
        Notifier(ConsoleSink()),
    )


def costs(tmp_path: Path, triager: Triager, size: int) -> dict[str, tuple[int, list[str]]]:
    """Lines read as text, and the keys found, for each search, over `size` mentions."""
    folder = tmp_path / str(size)
    posts = [
        record(
            str(i),
            RARE.get(i, ORDINARY.format(i=i)),
            author=RARE_AUTHOR.get(i, f"user{i % 97}"),
            created_at=NOW.isoformat(),
        )
        for i in range(size)
    ]
    filling = service_over(folder, triager)
    filling.ingest(read_jsonl(jsonl(*posts), "posts.jsonl", NOW), batch_size=LIVE_LIMIT)
    filling.work.tag(["x:9", "x:300"], "glass")
    filling._store.close()
    service = service_over(folder, triager)  # a fresh process: nothing kept from before
    store = service._store
    assert isinstance(store, TinyDBStore)
    out = {}
    for typed in ("glass", "@rare_one", "x:150", "#glass", "@rare_one glass", "nothing"):
        before = store.stats["search_lines_read"]
        page = service.inbox_page(InboxFilter(status="all").searching(typed), 0, 50)
        keys = sorted(r.key for r in page.rows)
        out[typed] = (store.stats["search_lines_read"] - before, keys)
    store.close()
    return out


def test_a_search_reads_what_holds_its_words_whatever_the_size(
    tmp_path: Path, triager: Triager
) -> None:
    small, large = costs(tmp_path, triager, 400), costs(tmp_path, triager, 2_000)
    for size in (small, large):
        assert size["glass"][1] == ["x:150", "x:390", "x:5"]
        # The three segments that hold "glass" (or the live file, for one of them).
        assert size["glass"][0] <= 3 * LIVE_LIMIT, size["glass"]
        assert size["@rare_one"] == (0, ["x:280", "x:7"])  # handles, any case
        assert size["x:150"] == (0, ["x:150"])
        assert size["#glass"] == (0, ["x:300", "x:9"])
        # The one segment with both a line of theirs and "glass" is read (not on one line).
        assert size["@rare_one glass"] == (LIVE_LIMIT, [])
        assert size["nothing"] == (0, [])  # in no segment: no line read
    # A search that read every line would read five times more in the larger store.
    assert large["glass"][0] <= small["glass"][0]
