"""Reports show their axes and values (issue 18, feature 10): the buckets follow the span of
the posts, counts are bars and shares lines, each chart labels its time axis at both ends
and its value axis up to the highest bar; and what the timers did is the system's."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape

from crisis_console import config, demo
from crisis_console.core.actions import Action
from crisis_console.core.crisis.timers import TIMERS_ACTOR
from crisis_console.core.intake.ingest import Parsed
from crisis_console.core.reports.incident import SYSTEM, build_incident
from crisis_console.core.reports.series import slot_of
from crisis_console.core.service import ConsoleService
from crisis_console.render.formats import incident_text
from crisis_console.render.html import incident_html, report_html
from tests.conftest import NOW, ServiceFactory
from tests.scenario import END, START, at, play

BAR, SHARE = "#1f4e79", "#c0392b"  # the colours of the volume chart's bars and share line


def charts_in(page: str) -> list[str]:
    return re.findall(r"<svg.*?</svg>", page, re.S)


def texts(svg: str) -> list[str]:
    """The labels of a chart, in the order drawn (its text is kept as text)."""
    return [unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def test_the_demo_s_hours_in_a_7_day_report_are_many_bars_with_labelled_axes(
    service: ConsoleService,
) -> None:
    records = list(demo.demo_records(config.demo_data_file(), NOW))
    service.ingest(iter(records))
    posted = [r.mention.created_at for r in records if isinstance(r, Parsed)]
    first, last = min(posted), max(posted)
    assert timedelta(hours=2) < last - first < timedelta(hours=4)  # the demo: about 3 hours
    r = service.report(NOW - timedelta(days=7), NOW + timedelta(seconds=1))
    # Not one daily point: 5-minute buckets from the first post's to the last post's.
    assert r.bucket == timedelta(minutes=5)
    assert r.volume[0].start <= first < r.volume[0].start + r.bucket
    assert r.volume[-1].start <= last < r.volume[-1].start + r.bucket
    assert len(r.volume) == (slot_of(last) - slot_of(first)) + 1 > 24
    assert sum(b.volume for b in r.volume) == 209
    for series in (*r.platform_volume.values(), *r.category_volume.values()):
        assert len(series) == len(r.volume)
    page = report_html(r, NOW)
    volume, platforms, categories = charts_in(page)  # no replies: no response chart
    start, end = r.volume[0].start, r.volume[-1].start + r.bucket
    peak = max(b.volume for b in r.volume)
    for chart in (volume, platforms, categories):
        labels = texts(chart)
        # The time axis: both ends with their date, UTC, and the bucket size.
        assert labels[:2] == [start.strftime("%H:%M"), start.strftime("%Y-%m-%d")]
        ends = labels.index(end.strftime("%H:%M"))
        assert labels[ends + 1] == end.strftime("%Y-%m-%d")
        assert "time (UTC), a bar per 5 min" in labels
        # The value axis: 0 to the highest bar, which is marked.
        assert "mentions per 5 min" in labels and {"0", str(peak)} <= set(labels)
    # Counts as bars: one a bucket (and the legend's); the negative share as a line.
    assert volume.count(f"fill: {BAR}") == len(r.volume) + 1
    lines = re.findall(rf'<path d="([^"]+)"[^>]*stroke: {SHARE}', volume)
    assert all(b.volume for b in r.volume)  # so the share has a point in every bucket:
    assert len(r.volume) - 1 in [line.count("L") for line in lines]  # one line through them
    assert "negative %" in texts(volume)
    # And the page says what the charts cover.
    shown = re.sub(r"<[^>]+>", " ", page)
    assert f"from {start:%Y-%m-%d %H:%M} UTC to {end:%Y-%m-%d %H:%M} UTC, a bar per 5 min" in shown
    assert f"the highest bar, {peak} mentions" in shown
    assert "others" in texts(platforms)  # the platforms beyond the six busiest, together


def test_the_incident_chart_draws_the_crisis_window_as_bars(crisis: ConsoleService) -> None:
    i = crisis.incident()  # 09:30 to just after 12:00: 5-minute buckets, events drawn on them
    assert i.bucket == timedelta(minutes=5) and len(i.volume) == 31
    assert (i.volume[0].start, i.volume[-1].start) == (at(9, 30), at(12, 0))
    [chart] = charts_in(incident_html(i, END))
    labels = texts(chart)
    assert labels[:2] == ["09:30", "2026-03-14"] and "time (UTC), a bar per 5 min" in labels
    assert labels[labels.index("12:05") + 1] == "2026-03-14"  # the end of the last bucket
    assert "Level 0 → 2 (crisis)" in labels
    assert chart.count("#9dc3e6") == len(i.volume)  # a bar a bucket


def test_what_the_timers_did_is_the_system_s_in_the_timeline(
    make_service: ServiceFactory,
) -> None:
    clock = play(make_service)
    lee = make_service(name="lee", clock=clock)
    clock.advance(90)  # 13:30: two steps overdue since noon, one since 13:00
    lee.timers.tick_all()  # in lee's console: the records are the system's
    timer_records = [r for r in lee.audit_records() if r["data"].get("ticked_by") == "lee"]
    assert timer_records and {r["actor"] for r in timer_records} == {TIMERS_ACTOR}
    i = lee.incident(START, clock() + timedelta(minutes=1))
    overdue = [e for e in i.entries if e.kind == "overdue"]
    assert [(e.title, e.who) for e in overdue] == [
        ("Overdue: legal-review", SYSTEM),
        ("Overdue: exec-brief", SYSTEM),
        ("Overdue: update", SYSTEM),
    ]
    shown = incident_text(i)
    assert "Overdue: update  — system\n" in shown and TIMERS_ACTOR not in shown
    # People's doing stays theirs.
    assert [(e.kind, e.who) for e in i.entries if e.kind in ("level", "checklist")] == [
        ("level", "pat"),
        ("checklist", "sam"),
        ("checklist", "pat"),
    ]


def test_a_timer_s_record_from_before_it_was_named_the_system_s_is_still_shown_so(
    crisis: ConsoleService,
) -> None:
    def record(action: Action, actor: str, subject: str, when: datetime) -> dict[str, object]:
        return {"action": action.value, "actor": actor, "subject": subject,
                "at": when.isoformat(), "data": {"due": at(11, 0).isoformat()}}  # fmt: skip

    events = [
        record(Action.CHECKLIST_OVERDUE, "maya", "step:legal-review", at(11, 5)),  # an old log's
        record(Action.CHECKLIST_TICKED, "maya", "step:legal-review", at(11, 20)),
    ]
    i = build_incident([], [], events, crisis.playbook, START, END)
    assert [(e.kind, e.who) for e in i.entries] == [("overdue", SYSTEM), ("checklist", "maya")]
