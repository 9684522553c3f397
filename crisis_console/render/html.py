"""Reports as one self-contained HTML file: inline CSS, inline SVG charts, no scripts and
nothing fetched at view time (a Content-Security-Policy forbids it), laid out to print on A4.

Every text from the data is escaped (`html.escape`); figures are formatted by the same
helpers as the text report, so the two agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from crisis_console.core.reports.incident import Incident
from crisis_console.core.reports.report import Report, Share, Timing, stamp
from crisis_console.core.reports.series import Bucket, per
from crisis_console.core.text import visible
from crisis_console.render import charts
from crisis_console.render.formats import (
    TIMING_HEADERS,
    around_text,
    minutes,
    percent,
    share_cells,
    timing_cells,
)

CSS = """
body { font: 10.5pt/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d1d1f;
       max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: 0.2rem; } h2 { font-size: 1.15rem; margin-top: 1.8rem; }
.window { color: #555; margin-top: 0; }
.cards { display: flex; flex-wrap: wrap; gap: 0.6rem; }
.card { border: 1px solid #d0d7de; border-radius: 6px; padding: 0.5rem 0.8rem; min-width: 9rem; }
.card b { display: block; font-size: 1.3rem; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0; font-size: 9.5pt; }
th, td { text-align: left; padding: 0.2rem 0.5rem; border-bottom: 1px solid #e5e5e5;
         vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.late { color: #b00020; font-weight: 600; }
.chart svg { width: 100%; height: auto; }
.when { white-space: nowrap; }
.detail { color: #444; white-space: pre-wrap; overflow-wrap: anywhere; }
@page { size: A4; margin: 15mm; }
@media print {
  body { margin: 0; max-width: none; }
  section, .chart, tr { break-inside: avoid; }
  h2 { break-after: avoid; }
}
"""
POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _page(title: str, window: str, body: str) -> str:
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{POLICY}\">"
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1><p class='window'>{escape(window)}</p>{body}</body></html>\n"
    )


def _text(value: str) -> str:
    return escape(visible(value))


def _table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int] | None = None
) -> str:
    """A table of already-escaped cells; columns in `numeric` align right."""
    numeric = numeric or set()
    head = "".join(
        f"<th{' class=n' if i in numeric else ''}>{escape(h)}</th>" for i, h in enumerate(headers)
    )
    if not rows:
        return f"<table><tr>{head}</tr><tr><td colspan={len(headers)}>none</td></tr></table>"
    body = "".join(
        "<tr>"
        + "".join(f"<td{' class=n' if i in numeric else ''}>{c}</td>" for i, c in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _card(label: str, value: str) -> str:
    return f"<div class='card'>{escape(label)}<b>{escape(value)}</b></div>"


def _timing_table(label: str, timings: Sequence[Timing]) -> str:
    rows = [[_text(t.name), *map(escape, timing_cells(t))] for t in timings]
    return _table([label, *TIMING_HEADERS], rows, {1, 2, 3, 4, 5, 6})


def _share_table(label: str, shares: Sequence[Share]) -> str:
    rows = [[_text(s.name), *share_cells(s)] for s in shares]
    return _table([label, "mentions", "negative", "negative share"], rows, {1, 2, 3})


def _busiest(r: Report, named: dict[str, list[Bucket]], shown: int = 6) -> dict[str, list[int]]:
    """Mentions per bucket of the `shown` busiest series, and of the rest together as
    `others`, so that the stacked bars add up to the volume."""
    out = {name: [b.volume for b in series] for name, series in list(named.items())[:shown]}
    rest = [b.volume - sum(v[i] for v in out.values()) for i, b in enumerate(r.volume)]
    if any(rest):
        out["others"] = rest
    return out


def _span(r: Report) -> str:
    """What the charts of volume cover: their first and last bucket, and the bucket size."""
    if not r.volume:
        return ""
    last = r.volume[-1].start + r.bucket
    return (
        f"Charts of volume: from {stamp(r.volume[0].start)} to {stamp(last)}, a bar per "
        f"{per(r.bucket)} (the span of the posts in the window); the highest bar, "
        f"{max(b.volume for b in r.volume):,} mentions."
    )


def report_html(r: Report, made_at: datetime) -> str:
    cards = "".join(
        [
            _card("mentions", str(r.total)),
            _card("negative", percent(r.negative_share)),
            _card("first response, median", f"{minutes(r.response_all.median)} min"),
            _card("first response, p90", f"{minutes(r.response_all.p90)} min"),
            _card("SLA breaches", str(r.response_all.breaches)),
            _card("approval, median", f"{minutes(r.approvals.median)} min"),
            _card("harm alarms", str(r.escalation_ack.count)),
        ]
    )
    starts = [b.start for b in r.volume]
    volume = charts.volume_chart(
        starts,
        r.bucket,
        [b.volume for b in r.volume],
        [b.negative_share for b in r.volume],
        "Mentions and negative share",
    )
    platforms = charts.stacked_chart(
        starts, r.bucket, _busiest(r, r.platform_volume), "Mentions per platform"
    )
    categories = charts.stacked_chart(
        starts, r.bucket, _busiest(r, r.category_volume), "Mentions per category"
    )
    answered = [t for t in r.response_by_urgency if t.median is not None]
    response_chart = (
        charts.bar_chart(
            [t.name for t in answered],
            [t.median or 0.0 for t in answered],
            [t.p90 or 0.0 for t in answered],
            "First response by urgency",
        )
        if answered
        else "<p>No replies were sent in this window.</p>"
    )
    alarms = [
        [
            escape(stamp(e.raised_at)),
            _text(e.key),
            _text(e.acknowledged_by) or "(open)",
            minutes(e.minutes),
            "<span class=late>yes</span>" if e.late else "no",
        ]
        for e in r.escalations
    ]
    body = f"""
<section><div class='cards'>{cards}</div></section>
<section><h2>Volume and sentiment</h2><p>{escape(_span(r))}</p><div class='chart'>{volume}</div>
<div class='chart'>{platforms}</div>
{_share_table("platform", r.platforms)}
<div class='chart'>{categories}</div>
{_share_table("category", r.categories)}
</section>
<section><h2>First response against SLA</h2><div class='chart'>{response_chart}</div>
{_timing_table("all", [r.response_all])}
{_timing_table("urgency", r.response_by_urgency)}
{_timing_table("queue", r.response_by_queue)}
{_timing_table("operator", r.response_by_operator)}</section>
<section><h2>Approvals</h2><p>{r.approvals.count} drafts submitted, {r.approvals.done} decided
({r.rejected} rejected). Turnaround: median {minutes(r.approvals.median)} min,
p90 {minutes(r.approvals.p90)} min.</p></section>
<section><h2>Escalations</h2><p>{r.escalation_ack.count} harm alarms,
{r.escalation_ack.done} acknowledged, {r.escalation_ack.breaches} late or open. Time to
acknowledge: median {minutes(r.escalation_ack.median)} min,
p90 {minutes(r.escalation_ack.p90)} min.</p>
{_table(["raised", "mention", "acknowledged by", "minutes", "late"], alarms, {3})}</section>
<section><h2>Templates used most</h2>
{_table(["template", "sent"], [[_text(t), str(n)] for t, n in r.templates], {1})}</section>
<section><h2>Policy findings that blocked replies</h2>
{_table(["finding", "count"], [[_text(f), str(n)] for f, n in r.policy_blocks], {1})}</section>
<section><h2>Closed without a reply</h2><p>Counted apart: not in response times or SLA
breaches.</p>
{_table(["reason", "mentions"], [[_text(c), str(n)] for c, n in r.closed], {1})}</section>
<section><h2>Tags</h2>
{_table(["tag", "mentions"], [[_text("#" + t), str(n)] for t, n in r.tags], {1})}</section>
"""
    window = f"{stamp(r.start)} to {stamp(r.end)} · made {stamp(made_at)}"
    return _page("Crisis Console report", window, body)


def incident_html(i: Incident, made_at: datetime) -> str:
    marks = [
        (e.at, e.kind, e.title[:40]) for e in i.entries if e.kind in ("level", "spike", "holding")
    ]
    chart = charts.timeline_chart(
        [b.start for b in i.volume],
        i.bucket,
        [b.volume for b in i.volume],
        marks,
        "Mentions, with the crisis's turning points",
    )

    rows = [
        [
            f"<span class=when>{escape(stamp(e.at))}</span>",
            escape(e.kind),
            _text(e.title),
            _text(e.who),
            f"<span class=detail>{_text(e.detail[:600])}</span>",
            escape(around_text(e.around)),
        ]
        for e in i.entries
    ]
    steps = [
        [
            str(s.level),
            _text(s.title),
            escape(stamp(s.due)),
            escape(stamp(s.done_at)) if s.done_at else "not done",
            _text(s.done_by) or "—",
            f"<span class=late>{s.status}</span>" if s.late else s.status,
        ]
        for s in i.checklist
    ]
    on_time = f"{sum(s.status == 'on time' for s in i.checklist)} of {len(i.checklist)}"
    body = f"""
<section><div class='cards'>{_card("peak level", str(i.peak_level))}
{_card("events", str(len(i.entries)))}
{_card("checklist steps on time", on_time)}</div></section>
<section><h2>Volume and events</h2><div class='chart'>{chart}</div></section>
<section><h2>Timeline</h2><p>Beside each event: mentions posted in the 30 minutes before →
after it, with their negative share.</p>
{_table(["time", "kind", "event", "who", "detail", "before → after"], rows)}</section>
<section><h2>Checklist</h2>
{_table(["level", "step", "due", "done", "by", "status"], steps)}</section>
"""
    window = f"{stamp(i.start)} to {stamp(i.end)} · made {stamp(made_at)}"
    return _page("Incident timeline", window, body)
