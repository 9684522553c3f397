"""The store's state contract: every conditional write holds against racing threads, a batch
survives a crash at any point, and no lookup's cost grows with the table."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import pytest

from crisis_console.core.crisis.crisis_state import Alarm
from crisis_console.core.replies.reply_model import APPROVED, PENDING, SENT, Reply
from crisis_console.core.store.buckets import JOURNAL, BucketTable
from crisis_console.core.store.state_tables import Claim, StateStore
from tests.conftest import NOW

RACERS = 8
T = TypeVar("T")


def race(work: Callable[[int], T]) -> list[T]:
    """Run `work(i)` in RACERS threads released at the same instant; their results."""
    start, results = threading.Barrier(RACERS), dict[int, T]()

    def run(i: int) -> None:
        start.wait()
        results[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [results[i] for i in range(RACERS)]


@pytest.fixture
def state(tmp_path: Path) -> StateStore:
    return StateStore.open(tmp_path / "state")


def claim(key: str, who: str, minutes: int = 30, at: timedelta = timedelta()) -> Claim:
    return Claim(key, who, NOW + at, NOW + at + timedelta(minutes=minutes))


def test_of_racing_claims_exactly_one_wins_and_the_others_see_who(state: StateStore) -> None:
    blocked = race(lambda i: state.claims.take(claim("x:1", f"op{i}")))
    winners = [i for i, b in enumerate(blocked) if b is None]
    assert len(winners) == 1
    holder = f"op{winners[0]}"
    assert all(isinstance(b, Claim) and b.holder == holder for b in blocked if b is not None)
    assert state.claims.current("x:1", NOW) == claim("x:1", holder)


def test_a_claim_is_taken_once_its_lease_has_run_out_and_renewed_by_its_holder(
    state: StateStore,
) -> None:
    assert state.claims.take(claim("x:1", "maya", minutes=5)) is None
    assert state.claims.take(claim("x:1", "lee", at=timedelta(minutes=4))) is not None
    assert state.claims.take(claim("x:1", "maya", at=timedelta(minutes=4))) is None  # renewal
    assert state.claims.take(claim("x:1", "lee", at=timedelta(minutes=40))) is None  # expired
    assert state.claims.current("x:1", NOW + timedelta(minutes=41)).holder == "lee"  # type: ignore[union-attr]
    assert state.claims.expire(["x:1"], NOW + timedelta(minutes=41)) == []  # still live
    assert state.claims.expire(["x:1"], NOW + timedelta(minutes=80)) == ["x:1"]
    assert state.claims.holders(NOW) == {}


def test_a_breach_is_reported_once_however_many_ticks_race(state: StateStore) -> None:
    added = race(lambda i: state.breaches.add_new({"x:1": {"tick": i}, f"x:{i + 10}": {}}))
    assert sum("x:1" in a for a in added) == 1
    assert len(list(state.breaches)) == 1 + RACERS


def test_an_alarm_is_raised_once_and_leaves_the_open_list_when_acknowledged(
    state: StateStore,
) -> None:
    alarm = Alarm("x:1", "harm", NOW, NOW + timedelta(minutes=5), 1, "", None)
    raised = race(lambda i: state.alarms.add_new([alarm]))
    assert sum(len(r) for r in raised) == 1
    assert state.alarms.open() == [alarm]
    done = Alarm("x:1", "harm", NOW, alarm.ack_due, 1, "lee", NOW)
    state.alarms.save([done])
    assert state.alarms.open() == [] and state.alarms.all() == [done]


def reply(reply_id: str, text: str = "Sorry", status: str = PENDING) -> Reply:
    return Reply(reply_id, "x:1", "t", "sha", {}, text, "sam", status, NOW)


def test_a_mention_has_one_answer_whichever_racer_comes_first(state: StateStore) -> None:
    others = race(lambda i: state.replies.take_answer("x:1", f"r{i}"))
    winners = [i for i, o in enumerate(others) if o is None]
    assert len(winners) == 1
    assert all(o == f"r{winners[0]}" for o in others if o is not None)
    state.replies.release_answer("x:1", "not-the-answer")  # only the answer releases itself
    assert state.replies.is_answered("x:1")
    state.replies.release_answer("x:1", f"r{winners[0]}")
    assert not state.replies.is_answered("x:1")


def test_only_the_reviewed_version_is_approved(state: StateStore) -> None:
    state.replies.save(reply("r1", "Sorry"))
    state.replies.save(reply("r1", "Sorry, edited"))  # an edit while the approver read it
    reviewed = reply("r1", "Sorry")
    refused = state.replies.replace_if(
        reply("r1", "Sorry", APPROVED),
        lambda now: now.status == PENDING and now.text == reviewed.text,
    )
    assert refused is not None and refused.text == "Sorry, edited"
    assert state.replies.get("r1").status == PENDING  # type: ignore[union-attr]


def test_replies_leave_the_queue_when_done_and_stay_findable_by_mention(
    state: StateStore,
) -> None:
    state.replies.save(reply("r1"))
    state.replies.save(reply("r2"))
    state.replies.save(reply("r1", status=SENT))
    assert [r.id for r in state.replies.in_progress()] == ["r2"]
    assert [r.id for r in state.replies.for_mention("x:1")] == ["r1", "r2"]


def test_a_full_file_splits_and_every_record_stays_findable(tmp_path: Path) -> None:
    table = BucketTable(tmp_path / "t", limit=16)
    table.apply({f"k{i}": {"n": i} for i in range(200)})
    assert table.files() > 1
    reopened = BucketTable(tmp_path / "t", limit=16)
    assert all(reopened.get(f"k{i}") == {"n": i} for i in range(200))
    assert len(reopened) == 200


def test_a_part_left_without_records_is_still_found_after_a_reopen(tmp_path: Path) -> None:
    """A split's part that nothing hashed to, or a file emptied by deletes, has no file; a
    key that hashes there is still written and read once the folder is opened again (a
    batch of replies leaving `replies_open` empties such files)."""
    table = BucketTable(tmp_path / "t", limit=4)
    table.apply({f"k{i}": {"n": i} for i in range(5)})  # one split: sixteen parts, most empty
    table.apply({}, [f"k{i}" for i in range(4)])  # and parts emptied by deletes
    keys = [f"new{i}" for i in range(100)]  # enough to land in every part
    BucketTable(tmp_path / "t", limit=4).apply({k: {"n": 1} for k in keys})
    again = BucketTable(tmp_path / "t", limit=4)
    assert all(again.get(k) == {"n": 1} for k in keys) and again.get("k4") == {"n": 4}
    assert len(again) == 101


def test_an_interrupted_split_keeps_the_parent_and_drops_the_partial_children(
    tmp_path: Path,
) -> None:
    table = BucketTable(tmp_path / "t", limit=1_000)
    table.apply({f"k{i}": {"n": i} for i in range(50)})
    # The crash: two children were written, the parent not yet removed.
    for child in ("0", "1"):
        (tmp_path / "t" / f"b-{child}.json").write_text('{"_default": {}}')
    reopened = BucketTable(tmp_path / "t")
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == ["b-.json"]
    assert all(reopened.get(f"k{i}") == {"n": i} for i in range(50))


def test_a_batch_cut_short_by_a_crash_is_finished_from_its_journal(tmp_path: Path) -> None:
    folder = tmp_path / "t"
    BucketTable(folder).apply({"a": {"n": 1}})
    # The crash: the journal was written, the files not yet.
    (folder / JOURNAL).write_text(json.dumps({"put": {"b": {"n": 2}}, "delete": ["a"]}))
    reopened = BucketTable(folder)
    assert reopened.get("a") is None and reopened.get("b") == {"n": 2}
    assert not (folder / JOURNAL).exists()


def test_a_lookup_reads_one_bounded_file_however_large_the_table(tmp_path: Path) -> None:
    def records_read_for_one_lookup(size: int) -> int:
        folder = tmp_path / str(size)
        BucketTable(folder, limit=64).apply({f"k{i}": {"n": i} for i in range(size)})
        table = BucketTable(folder, limit=64)
        table.get("k7")
        table.apply({"k7": {"n": -7}})
        return table.stats["records_read"]

    small, large = records_read_for_one_lookup(500), records_read_for_one_lookup(20_000)
    assert 0 < small <= 65 and 0 < large <= 65  # one file of at most `limit` (+1) records


def test_records_about_a_mention_follow_its_segment_and_survive_a_cut_rotation(
    tmp_path: Path,
) -> None:
    from crisis_console.core.playbook.playbook_check import load_playbook
    from crisis_console.core.store.store import TinyDBStore
    from crisis_console.core.triage.routing import Triager
    from tests.conftest import ROOT
    from tests.core.test_store import stored

    triager = Triager(load_playbook(ROOT / "playbooks" / "general.yaml"))
    store = TinyDBStore(tmp_path, live_limit=10)
    alarm = Alarm("x:0", "harm", NOW, NOW + timedelta(minutes=5), 1, "", None)
    store.save([stored(triager, str(i), f"post {i}") for i in range(6)])
    store.state.alarms.add_new([alarm])
    assert (tmp_path / "state" / "alarms" / "live.json").exists()
    store.save([stored(triager, str(i), f"post {i}") for i in range(6, 12)])  # rotates
    [segment] = [p.stem for p in (tmp_path / "mentions").glob("2026-*.json")]
    assert [p.stem for p in (tmp_path / "state" / "alarms").glob("*.json")] == [segment]
    assert store.state.alarms.get("x:0") == alarm and store.state.alarms.summary() == (1, alarm)
    store.save([stored(triager, "12", "post 12")])  # the first in the new live segment
    later = Alarm("x:12", "harm", NOW, NOW + timedelta(minutes=5), 1, "", None)
    store.state.alarms.add_new([later])
    store.close()
    # A crash between the two renames of the next rotation: the records moved, the segment not.
    alarms = tmp_path / "state" / "alarms"
    (alarms / "live.json").rename(alarms / "2099-01-01-0009.json")
    reopened = TinyDBStore(tmp_path, live_limit=10)
    try:
        assert sorted(p.stem for p in alarms.glob("*.json")) == [segment, "live"]
        assert reopened.state.alarms.get("x:12") == later
        assert reopened.state.alarms.get("x:0") == alarm
    finally:
        reopened.close()


def test_the_open_alarm_count_follows_raises_and_acknowledgements(state: StateStore) -> None:
    raised = [
        Alarm(f"x:{i}", "harm", NOW + timedelta(minutes=i), NOW, 1, "", None) for i in range(5)
    ]
    state.alarms.add_new(raised)
    state.alarms.add_new(raised[:2])  # again: nothing new
    assert state.alarms.summary() == (5, raised[0])
    state.alarms.save([Alarm("x:0", "harm", NOW, NOW, 1, "lee", NOW)])
    assert state.alarms.summary() == (4, raised[1])
