"""The semantic second opinion, with the real model (all-MiniLM-L6-v2 from its wheel): what
the word lists leave is judged again behind the fast path, and only ever raised."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from crisis_console.core.actions import Action
from crisis_console.core.errors import StoreError
from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.intake.pipeline import logged_past
from crisis_console.core.models import Category, Urgency
from crisis_console.core.service import ConsoleService
from crisis_console.core.triage import second_opinion
from crisis_console.core.triage.corrections import Correction
from crisis_console.core.triage.embedding import missing
from crisis_console.core.triage.second_opinion import SECOND_OPINION_ACTOR
from crisis_console.core.triage.semantic import SemanticJudge, load_examples
from tests.conftest import NOW, MovableClock, ServiceFactory, jsonl, record

pytestmark = pytest.mark.skipif(missing() is not None, reason=str(missing()))

# Indirect suicidal intent: no word of the lists' ("kill", "suicide", "end it") in it.
GOODBYE = record("1", "wrote letters to my family tonight. it will all be over soon", author="ro")
PARCEL = record("2", "where is my parcel, it is three days late", author="al")
BURGER = record("3", "this burger is killer, best deal in town", author="bo")
SPANISH = record("4", "escribí cartas a mi familia esta noche, pronto todo terminará", author="es")


@pytest.fixture(scope="module")
def judge() -> SemanticJudge:
    return SemanticJudge()


@pytest.fixture
def with_judge(make_service: ServiceFactory, judge: SemanticJudge) -> Callable[..., ConsoleService]:
    def make(**kwargs: object) -> ConsoleService:
        return make_service(second_opinion=lambda: judge, **kwargs)

    return make


def test_a_post_the_word_lists_leave_low_is_raised_to_the_lead_with_an_alarm(
    with_judge: Callable[..., ConsoleService],
) -> None:
    lead = with_judge()
    report = lead.ingest(read_jsonl(jsonl(GOODBYE, PARCEL, BURGER), "feed", NOW))
    before = lead.mention("x:1")
    assert before is not None and not before.triage.classification.escalate  # the lists miss it
    assert sorted(report.unescalated) == ["x:1", "x:2", "x:3"]
    assert lead.second_opinion.progress().pending == 3  # queued, not yet judged: ingest is done

    raised = lead.second_opinion.work()

    assert raised == ["x:1"]
    after = lead.mention("x:1")
    assert after is not None
    c = after.triage.classification
    assert (c.category, c.urgency, c.escalate) == (Category.SELF_HARM, Urgency.CRITICAL, True)
    assert c.reasons[:-1] == before.triage.classification.reasons  # triage's own are kept
    assert c.reasons[-1].startswith('second opinion: reads like "')
    assert "self-harm or suicidal intent" in c.reasons[-1]
    alarm = lead.crisis.alarm("x:1")
    assert alarm is not None and alarm.open
    for key in ("x:2", "x:3"):  # a late parcel and an idiom are left as they were
        left = lead.mention(key)
        assert left is not None and not left.triage.classification.escalate
    progress = lead.second_opinion.progress()
    assert (progress.checked, progress.raised, progress.pending) == (3, 1, 0)


def test_the_raise_is_the_systems_audited_with_the_whole_mention_and_replayed(
    with_judge: Callable[..., ConsoleService],
) -> None:
    lead = with_judge(name="lee")
    lead.ingest(read_jsonl(jsonl(GOODBYE), "feed", NOW))
    lead.second_opinion.work()
    records = [r for r in lead.audit_records() if r["action"] == Action.MENTION_SECOND_OPINION]
    assert len(records) == 1
    event = records[0]
    assert (event["subject"], event["actor"]) == ("x:1", SECOND_OPINION_ACTOR)
    opinion = event["data"]["second_opinion"]
    assert opinion["kind"] == "self_harm" and opinion["run_by"] == "lee"
    assert opinion["example"] in [text for _, text in load_examples().harm]
    # Recovery rebuilds the raised mention from its record, as from an ingest's.
    restored, _ = logged_past(lead.ctx.audit, 0, lead.ctx.audit.last_seq)
    assert restored[-1] == lead.mention("x:1")
    assert lead.verify_audit().ok


def test_a_post_already_escalated_or_not_in_english_is_not_judged(
    with_judge: Callable[..., ConsoleService],
) -> None:
    lead = with_judge()
    harm = record("9", "My son burned his hand on your kettle, we are at the hospital")
    report = lead.ingest(read_jsonl(jsonl(harm, SPANISH), "feed", NOW))
    assert "x:9" not in report.unescalated  # the word lists escalated it: nothing to add
    spanish = lead.mention("x:4")
    assert spanish is not None and not spanish.triage.classification.escalate
    assert lead.second_opinion.work() == []  # an English model does not read Spanish
    assert lead.mention("x:4") == spanish


def test_off_by_default_nothing_is_queued(make_service: ServiceFactory) -> None:
    lead = make_service()
    report = lead.ingest(read_jsonl(jsonl(GOODBYE), "feed", NOW))
    assert not lead.second_opinion.enabled
    assert report.unescalated == [] and lead.second_opinion.progress().pending == 0
    assert lead.second_opinion.work() == []


def test_an_edit_while_it_is_judged_wins(
    make_service: ServiceFactory, judge: SemanticJudge
) -> None:
    """The author edits the post while the model reads the old text (the pass holds no
    lock then): the old text's verdict is not applied to the new one."""
    calm = {**GOODBYE, "text": "thanks all, the parcel turned up after all"}

    class EditedMeanwhile:
        def opinions(self, texts: list[str]) -> list[object]:
            found = judge.opinions(texts)
            lead.ingest(read_jsonl(jsonl(calm), "feed", NOW))
            return list(found)

    lead = make_service(second_opinion=EditedMeanwhile)
    lead.ingest(read_jsonl(jsonl(GOODBYE), "feed", NOW))
    assert lead.second_opinion.work() == []
    stored = lead.mention("x:1")
    assert stored is not None and stored.triage.mention.text == calm["text"]
    assert not stored.triage.classification.escalate
    assert lead.crisis.alarm("x:1") is None


def test_every_stored_post_can_be_judged_again(
    make_service: ServiceFactory, judge: SemanticJudge
) -> None:
    make_service().ingest(read_jsonl(jsonl(GOODBYE, PARCEL), "feed", NOW))  # the lists alone
    lead = make_service(second_opinion=lambda: judge)
    assert lead.second_opinion.submit_stored() == 2
    assert lead.second_opinion.drain().raised == 1
    assert lead.second_opinion.submit_stored() == 1  # the raised one is escalated now


def test_a_person_s_judgement_is_never_overridden(
    with_judge: Callable[..., ConsoleService],
) -> None:
    """A post the team reclassified (here: confirmed low by a person) is not raised by the
    model: the lead's word that a post is no harm stands."""
    lead = with_judge()
    lead.ingest(read_jsonl(jsonl(GOODBYE), "feed", NOW))
    lead.corrections.reclassify("x:1", Correction(urgency=Urgency.LOW, note="a song lyric"))
    assert lead.second_opinion.work() == []
    stored = lead.mention("x:1")
    assert stored is not None and not stored.triage.classification.escalate
    assert lead.second_opinion.submit_stored() == 0


def test_a_raised_post_is_held_to_its_new_deadline(
    make_service: ServiceFactory, judge: SemanticJudge
) -> None:
    clock = MovableClock()
    lead = make_service(clock=clock, second_opinion=lambda: judge)
    lead.ingest(read_jsonl(jsonl(GOODBYE, PARCEL), "feed", NOW))
    before = lead.mention("x:1")
    assert before is not None
    lead.second_opinion.work()
    after = lead.mention("x:1")
    assert after is not None and after.triage.deadline < before.triage.deadline
    clock.now = after.triage.deadline + timedelta(minutes=1)  # long before the old one
    lead.timers.tick()
    assert lead.timers.breached() == {"x:1"}


def test_nothing_is_raised_once_the_service_closes(
    with_judge: Callable[..., ConsoleService],
) -> None:
    lead = with_judge()
    lead.ingest(read_jsonl(jsonl(GOODBYE), "feed", NOW))
    lead.second_opinion.close()
    assert lead.second_opinion.work() == []
    assert lead.second_opinion.progress().pending == 1  # left for `second-opinion` later
    stored = lead.mention("x:1")
    assert stored is not None and not stored.triage.classification.escalate


def test_a_failed_batch_goes_back_in_the_queue(
    with_judge: Callable[..., ConsoleService], monkeypatch: pytest.MonkeyPatch
) -> None:
    lead = with_judge()
    lead.ingest(read_jsonl(jsonl(GOODBYE, PARCEL), "feed", NOW))
    store, real = lead.ctx.store, lead.ctx.store.get_many
    failures = [StoreError("the database went away")]

    def once_unreachable(keys: Any) -> Any:
        if failures:
            raise failures.pop()
        return real(keys)

    monkeypatch.setattr(store, "get_many", once_unreachable)
    with pytest.raises(StoreError):
        lead.second_opinion.work()
    assert lead.second_opinion.progress().pending == 2
    assert lead.second_opinion.work() == ["x:1"]


def test_a_full_queue_counts_what_it_left(
    with_judge: Callable[..., ConsoleService], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(second_opinion, "MAX_QUEUED", 1)
    lead = with_judge()
    lead.ingest(read_jsonl(jsonl(GOODBYE, PARCEL), "feed", NOW))
    progress = lead.second_opinion.progress()
    assert (progress.pending, progress.left) == (1, 1)
