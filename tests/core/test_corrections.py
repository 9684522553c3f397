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
    with pytest.raises(PermissionDenied, match="sam \\(support\\) may not de-escalate"):
        sam.corrections.reclassify("x:2", Correction(category=Category.COMPLAINT))
    still = sam.mention("x:2")
    assert still is not None and still.triage.classification.escalate
    assert ("refused", "x:2", "sam") in _actions(sam)
    # Raising its urgency further is anyone's.
    sam.corrections.reclassify("x:2", Correction(sentiment=SentimentLabel.NEGATIVE))
    alarm = lead.crisis.alarm("x:2")
    assert alarm is not None and alarm.open
    after = lead.corrections.reclassify("x:2", Correction(category=Category.COMPLAINT))
    c = after.triage.classification
    assert not c.escalate and after.triage.route.queue is not Role.LEAD
    alarm = lead.crisis.alarm("x:2")  # the lead's judgement: the alarm need not ring on
    assert alarm is not None and not alarm.open and alarm.acknowledged_by == "tester"
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
    # From the shell, on the demo's folder (its operator is its lead).
    folder = str(tmp_path / "demo")
    assert main(["--data-dir", folder, "demo", "--no-open"]) == 0
    fixed = ["reclassify", "facebook:fa106179", "--urgency", "high", "--note", "second look"]
    assert main(["--data-dir", folder, *fixed]) == 0
    out = tmp_path / "corrections.jsonl"
    assert main(["--data-dir", folder, "eval", "export-corrections", "--out", str(out)]) == 0
    exported = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["id"], r["urgency"], r["note"]) for r in exported] == [
        ("facebook:fa106179", "high", "second look")
    ]
    capsys.readouterr()
    scored = ["eval", str(out), "--text", "text", "--label", "urgency", "--task", "urgency"]
    assert main(scored) == 0
    printed = capsys.readouterr().out
    assert "1 rows scored, 0 skipped" in printed
    trail = (tmp_path / "demo" / "audit.jsonl").read_text().splitlines()
    exports = [json.loads(line) for line in trail if '"report.exported"' in line]
    assert exports and exports[-1]["data"]["rows"] == 1


def test_judged_harm_again_after_an_acknowledged_alarm_raises_it_again(
    make_service: ServiceFactory,
) -> None:
    lead = _loaded(make_service)
    sam = make_service(Role.SUPPORT, name="sam")
    sam.corrections.reclassify("x:1", Correction(category=Category.SAFETY))
    lead.crisis.acknowledge("x:1")
    lead.corrections.reclassify("x:1", Correction(category=Category.COMPLAINT))
    sam.corrections.reclassify("x:1", Correction(category=Category.SELF_HARM))
    alarm = sam.crisis.alarm("x:1")
    assert alarm is not None and alarm.open and "self_harm" in alarm.summary
    raised = [r for r in sam.audit_records() if r["action"] == "alarm.raised"]
    assert [r["subject"] for r in raised].count("x:1") == 2


def test_down_the_leads_queue_is_the_leads_call_and_notes_stay_one_line(
    make_service: ServiceFactory,
) -> None:
    lead = _loaded(make_service)
    sam = make_service(Role.SUPPORT, name="sam")
    with pytest.raises(PermissionDenied, match="de-escalate"):
        sam.corrections.reclassify("x:2", Correction(urgency=Urgency.LOW))
    forged = 'fine\n  reclassified by lee: category safety → complaint; note: "ok"'
    after = sam.corrections.reclassify("x:1", Correction(Urgency.HIGH, note=forged))
    again = sam.corrections.reclassify("x:1", Correction(Urgency.NORMAL))
    shown = after.triage.classification.reasons[-1]
    assert "\n" not in shown and shown.endswith('note: "fine reclassified by lee: category '
                                                'safety → complaint; note: "ok""')  # fmt: skip
    # Only the latest correction stays among the reasons; the audit log keeps them all.
    said = [r for r in again.triage.classification.reasons if r.startswith("reclassified by")]
    assert said == ["reclassified by sam: urgency high → normal"]
    assert lead.mention("x:2").triage.classification.urgency is Urgency.CRITICAL  # type: ignore[union-attr]
    [row] = list(lead.corrections.corrections())
    assert row["corrected"] == ["urgency"] and row["urgency"] == "normal"
    auditor = make_service(Role.AUDITOR, name="ava")
    assert list(auditor.corrections.corrections())  # the auditor's to take
    with pytest.raises(PermissionDenied, match="may not export"):
        list(sam.corrections.corrections())


def test_an_edit_by_the_author_never_takes_a_post_out_of_the_leads_hands(
    make_service: ServiceFactory,
) -> None:
    lead = _loaded(make_service)
    lead.corrections.reclassify("x:1", Correction(category=Category.THREAT))
    edit = record("1", "The pop-up stall is at the farmers market on Sunday now.")
    report = lead.ingest(read_jsonl(jsonl(edit), "feed", NOW))
    assert report.updated == 1
    after = lead.mention("x:1")
    assert after is not None and after.triage.mention.text == edit["text"]
    c = after.triage.classification
    assert (c.escalate, c.category, after.triage.route.queue) == (True, Category.THREAT, Role.LEAD)
    assert "an edit: kept as a person corrected it (nothing new of harm in it)" in c.reasons
    assert c.reasons[-1].startswith("reclassified by tester: ")
    assert c.reasons[-1].endswith(" → threat")
    # Nor does it when triage, not a person, escalated the post.
    calmer = record("2", "Update: my son's hand is healing, the nurse was lovely")
    lead.ingest(read_jsonl(jsonl(calmer), "feed", NOW))
    kept = lead.mention("x:2")
    assert kept is not None and kept.triage.classification.escalate
    assert kept.triage.classification.reasons[-1].startswith("kept with the lead")


def test_a_persons_correction_holds_across_an_edit_that_shows_nothing_new(
    make_service: ServiceFactory,
) -> None:
    lead = _loaded(make_service)
    lead.corrections.reclassify("x:2", Correction(category=Category.COMPLAINT, note="a film"))
    alarm = lead.crisis.alarm("x:2")
    assert alarm is not None and not alarm.open  # the lead's call acknowledged it
    typo = record("2", "My son burned his hand on your kettle, we are at the hospital!")
    assert lead.ingest(read_jsonl(jsonl(typo), "feed", NOW)).updated == 1
    after = lead.mention("x:2")
    assert after is not None and after.triage.mention.text == typo["text"]
    c = after.triage.classification
    assert (c.escalate, c.category) == (False, Category.COMPLAINT)
    assert after.triage.route.queue is not Role.LEAD
    assert c.reasons[-1].startswith("reclassified by tester: ")
    assert c.reasons[-1].endswith('note: "a film"')
    alarm = lead.crisis.alarm("x:2")
    assert alarm is not None and not alarm.open  # nothing rang again
    # A support agent's category holds too, and so does the urgency they set.
    sam = make_service(Role.SUPPORT, name="sam")
    sam.corrections.reclassify("x:1", Correction(Urgency.HIGH, Category.QUESTION))
    moved = record("1", "The pop-up stall is at the farmers market on Sunday now.")
    lead.ingest(read_jsonl(jsonl(moved), "feed", NOW))
    c = lead.mention("x:1").triage.classification  # type: ignore[union-attr]
    assert (c.urgency, c.category, c.escalate) == (Urgency.HIGH, Category.QUESTION, False)


def test_an_edit_that_shows_new_harm_goes_back_to_the_lead_and_rings_again(
    make_service: ServiceFactory,
) -> None:
    lead = _loaded(make_service)
    lead.corrections.reclassify("x:2", Correction(category=Category.COMPLAINT))
    worse = record("2", "My son burned his hand on your kettle and now the charger caught fire")
    lead.ingest(read_jsonl(jsonl(worse), "feed", NOW))
    after = lead.mention("x:2")
    assert after is not None
    c = after.triage.classification
    assert c.escalate and after.triage.route.queue is Role.LEAD
    assert c.reasons[-1].startswith("the edit shows harm the correction had not seen")
    assert "reclassified by tester: " in c.reasons[-1]
    alarm = lead.crisis.alarm("x:2")
    assert alarm is not None and alarm.open and not alarm.acknowledged_by
    raised = [r for r in lead.audit_records() if r["action"] == "alarm.raised"]
    assert [r["data"].get("again") for r in raised if r["subject"] == "x:2"] == [None, True]
