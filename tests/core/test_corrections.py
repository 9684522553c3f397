"""Reclassify: a person's correction is stored, re-routed, audited, replayed and exported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crisis_console.core.actions import Action
from crisis_console.core.errors import CrisisConsoleError
from crisis_console.core.intake.ingest import read_jsonl
from crisis_console.core.intake.pipeline import logged_past
from crisis_console.core.models import Category, Role, SentimentLabel, Urgency
from crisis_console.core.roster import PermissionDenied
from crisis_console.core.service import ConsoleService
from crisis_console.core.triage.corrections import MAX_NOTE, Correction
from tests.conftest import NOW, ServiceFactory, jsonl, record

CALM = record("1", "The pop-up stall is at the farmers market on Saturday.")
HARM = record("2", "My son burned his hand on your kettle, we are at the hospital")


def _loaded(make_service: ServiceFactory) -> ConsoleService:
    lead = make_service()
    lead.ingest(read_jsonl(jsonl(CALM, HARM), "feed", NOW))
    return lead


def _actions(service: ConsoleService) -> list[tuple[str, str, str]]:
    return [(r["action"], r["subject"], r["actor"]) for r in service.audit_records()]


def test_a_post_judged_harm_goes_to_the_lead_with_an_alarm_and_a_reason(
    make_service: ServiceFactory,
) -> None:
    _loaded(make_service)
    sam = make_service(Role.SUPPORT, name="sam")
    before = sam.mention("x:1")
    assert before is not None and not before.triage.classification.escalate
    note = "the stall's heater sparked"
    after = sam.corrections.reclassify("x:1", Correction(category=Category.SAFETY, note=note))
    c = after.triage.classification
    assert (c.category, c.urgency, c.escalate) == (Category.SAFETY, Urgency.CRITICAL, True)
    assert after.triage.route.queue is Role.LEAD
    assert c.reasons[-1] == (
        f"reclassified by sam: urgency {before.triage.classification.urgency.value} → critical, "
        f'category {before.triage.classification.category.value} → safety; note: "{note}"'
    )
    assert c.reasons[:-1] == before.triage.classification.reasons  # triage's own are kept
    stored = sam.mention("x:1")
    assert stored is not None and stored.triage.classification == c  # as stored
    alarm = sam.crisis.alarm("x:1")
    assert alarm is not None and alarm.open
    assert ("mention.reclassified", "x:1", "sam") in _actions(sam)
    assert ("alarm.raised", "x:1", "sam") in _actions(sam)
    assert sam.verify_audit().ok


def test_the_audit_record_carries_the_whole_mention_and_the_change(
    make_service: ServiceFactory,
) -> None:
    lead = _loaded(make_service)
    applied = lead.audit_count()
    was = lead.mention("x:1")
    assert was is not None and was.triage.classification.urgency is not Urgency.HIGH
    lead.corrections.reclassify(
        "x:1", Correction(urgency=Urgency.HIGH, sentiment=SentimentLabel.NEGATIVE)
    )
    [record_] = [r for r in lead.audit_records() if r["action"] == Action.MENTION_RECLASSIFIED]
    change = record_["data"]["correction"]
    assert change["set"] == {"urgency": "high", "sentiment": "negative"}
    assert change["was"]["urgency"] == was.triage.classification.urgency.value
    # Recovery replays it as it replays an ingest: a crash before the store's write loses
    # nothing.
    [replayed], _ = logged_past(lead._audit, applied)
    assert replayed.triage.classification.urgency is Urgency.HIGH
    assert replayed.triage.classification.sentiment.label is SentimentLabel.NEGATIVE


def test_only_the_lead_takes_a_post_out_of_the_leads_hands(
    make_service: ServiceFactory,
) -> None:
    lead = _loaded(make_service)
    harm = lead.mention("x:2")
    assert harm is not None and harm.triage.classification.escalate
    sam = make_service(Role.SUPPORT, name="sam")
    with pytest.raises(PermissionDenied, match="sam \\(support\\) may not de escalate"):
        sam.corrections.reclassify("x:2", Correction(category=Category.COMPLAINT))
    still = sam.mention("x:2")
    assert still is not None and still.triage.classification.escalate
    assert ("refused", "x:2", "sam") in _actions(sam)
    # Raising its urgency further is anyone's.
    sam.corrections.reclassify("x:2", Correction(sentiment=SentimentLabel.NEGATIVE))
    after = lead.corrections.reclassify("x:2", Correction(category=Category.COMPLAINT))
    c = after.triage.classification
    assert not c.escalate and after.triage.route.queue is not Role.LEAD
    assert c.urgency is Urgency.NORMAL  # the complaint rule's urgency
    auditor = make_service(Role.AUDITOR, name="ava")
    with pytest.raises(PermissionDenied, match="may not reclassify"):
        auditor.corrections.reclassify("x:1", Correction(urgency=Urgency.HIGH))
    assert ("refused", "x:1", "ava") in _actions(auditor)


def test_a_correction_must_say_something_and_name_a_live_mention(
    make_service: ServiceFactory,
) -> None:
    lead = _loaded(make_service)
    with pytest.raises(CrisisConsoleError, match="set at least one"):
        lead.corrections.reclassify("x:1", Correction(note="hm"))
    with pytest.raises(CrisisConsoleError, match=f"at most {MAX_NOTE}"):
        lead.corrections.reclassify("x:1", Correction(Urgency.HIGH, note="x" * (MAX_NOTE + 1)))
    with pytest.raises(CrisisConsoleError, match="no mention x:404"):
        lead.corrections.reclassify("x:404", Correction(Urgency.HIGH))
    report = lead.ingest(read_jsonl(jsonl(record("1", CALM["text"], deleted=True)), "feed", NOW))
    assert report.deleted == 1
    with pytest.raises(CrisisConsoleError, match="deleted"):
        lead.corrections.reclassify("x:1", Correction(Urgency.HIGH))


def test_exported_corrections_are_a_labelled_set_eval_reads(
    make_service: ServiceFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from crisis_console.cli import main

    lead = _loaded(make_service)
    lead.corrections.reclassify("x:1", Correction(urgency=Urgency.NORMAL))
    lead.corrections.reclassify("x:1", Correction(urgency=Urgency.HIGH, note="second look"))
    rows = list(lead.corrections.corrections())
    assert len(rows) == 1  # the latest correction of each mention
    assert rows[0]["urgency"] == "high" and rows[0]["corrected"] == ["urgency"]
    assert rows[0]["text"] == CALM["text"] and rows[0]["note"] == "second look"
    lead._store.close()  # the CLI opens the folder itself
    out = tmp_path / "corrections.jsonl"
    folder = str(tmp_path / "data")
    assert main(["--data-dir", folder, "eval", "export-corrections", "--out", str(out)]) == 0
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["x:1"]
    capsys.readouterr()
    assert (
        main(["eval", str(out), "--text", "text", "--label", "urgency", "--task", "urgency"]) == 0
    )
    printed = capsys.readouterr().out
    assert "1 rows scored, 0 skipped" in printed
    reopened = make_service()
    exported = [r for r in reopened.audit_records() if r["action"] == "report.exported"]
    assert exported and exported[-1]["data"]["rows"] == 1
