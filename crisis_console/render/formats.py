"""Reports as JSON (the figures, plainly) and as text for a terminal or an email.

Both are built from the same `Report` / `Incident` values as the HTML and the console's
screen, and every number is rounded the same way (`minutes`, `percent`), so the formats
agree figure for figure. Text from strangers (alarm summaries, reply texts) is made visible
(control characters spelled out) before it reaches a terminal.
"""

from __future__ import annotations

from typing import Any

from crisis_console.core.reports.incident import Around, Incident
from crisis_console.core.reports.report import Report, Share, Timing, stamp
from crisis_console.core.text import visible


def minutes(value: float | None) -> str:
    """Minutes as shown everywhere: one decimal, `—` for none."""
    return "—" if value is None else f"{value:.1f}"


def percent(share: float) -> str:
    return f"{share * 100:.1f}%"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def timing_dict(t: Timing) -> dict[str, Any]:
    return {
        "name": t.name,
        "count": t.count,
        "done": t.done,
        "median_minutes": _round(t.median),
        "p90_minutes": _round(t.p90),
        "breaches": t.breaches,
        "sla_minutes": list(t.sla) if t.sla else None,
    }


def share_dict(s: Share) -> dict[str, Any]:
    return {
        "name": s.name,
        "volume": s.volume,
        "negative": s.negative,
        "negative_share": round(s.negative_share, 3),
    }


def report_dict(r: Report) -> dict[str, Any]:
    """The report as plain JSON values (times in ISO 8601 UTC, durations in minutes)."""
    return {
        "from": r.start.isoformat(),
        "to": r.end.isoformat(),
        "bucket_minutes": int(r.bucket.total_seconds() // 60),
        "total": r.total,
        "negative": r.negative,
        "volume": [
            {"start": b.start.isoformat(), "volume": b.volume, "negative": b.negative}
            for b in r.volume
        ],
        "volume_by_platform": {
            name: {"volume": [b.volume for b in series], "negative": [b.negative for b in series]}
            for name, series in r.platform_volume.items()
        },
        "volume_by_category": {
            name: {"volume": [b.volume for b in series], "negative": [b.negative for b in series]}
            for name, series in r.category_volume.items()
        },
        "platforms": [share_dict(s) for s in r.platforms],
        "categories": [share_dict(s) for s in r.categories],
        "first_response": {
            "all": timing_dict(r.response_all),
            "by_urgency": [timing_dict(t) for t in r.response_by_urgency],
            "by_queue": [timing_dict(t) for t in r.response_by_queue],
            "by_operator": [timing_dict(t) for t in r.response_by_operator],
        },
        "approvals": {**timing_dict(r.approvals), "rejected": r.rejected},
        "escalations": {
            **timing_dict(r.escalation_ack),
            "alarms": [
                {
                    "mention": e.key,
                    "raised_at": e.raised_at.isoformat(),
                    "ack_due": e.ack_due.isoformat(),
                    "acknowledged_by": e.acknowledged_by,
                    "minutes": _round(e.minutes),
                    "late": e.late,
                }
                for e in r.escalations
            ],
        },
        "templates": [{"template": t, "sent": n} for t, n in r.templates],
        "policy_blocks": [{"finding": f, "count": n} for f, n in r.policy_blocks],
        "closed": [{"reason": c, "mentions": n} for c, n in r.closed],
        "tags": [{"tag": t, "mentions": n} for t, n in r.tags],
    }


def around_text(a: Around) -> str:
    """`4 (75.0%) → 0 (0.0%)`: mentions before and after an event, with the negative share."""
    return f"{a.before} ({percent(a.before_share)}) → {a.after} ({percent(a.after_share)})"


def around_dict(a: Around) -> dict[str, Any]:
    return {
        "before": a.before,
        "before_negative_share": round(a.before_share, 3),
        "after": a.after,
        "after_negative_share": round(a.after_share, 3),
    }


def incident_dict(i: Incident) -> dict[str, Any]:
    return {
        "from": i.start.isoformat(),
        "to": i.end.isoformat(),
        "peak_level": i.peak_level,
        "bucket_minutes": int(i.bucket.total_seconds() // 60),
        "volume": [
            {"start": b.start.isoformat(), "volume": b.volume, "negative": b.negative}
            for b in i.volume
        ],
        "timeline": [
            {
                "at": e.at.isoformat(),
                "kind": e.kind,
                "who": e.who,
                "title": e.title,
                "detail": e.detail,
                "around": around_dict(e.around),
            }
            for e in i.entries
        ],
        "checklist": [
            {
                "level": s.level,
                "step": s.step,
                "title": s.title,
                "due": s.due.isoformat(),
                "done_at": s.done_at.isoformat() if s.done_at else None,
                "done_by": s.done_by,
                "late": s.late,
                "status": s.status,
            }
            for s in i.checklist
        ],
    }


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return out if rows else [*out, "(none)"]


TIMING_HEADERS = ["mentions", "answered", "median min", "p90 min", "breaches", "SLA min"]


def timing_cells(t: Timing) -> list[str]:
    """A timing's figures as every table shows them (after its name), in `TIMING_HEADERS`."""
    return [str(t.count), str(t.done), minutes(t.median), minutes(t.p90), str(t.breaches)] + [
        t.sla_text
    ]


def share_cells(s: Share) -> list[str]:
    """A platform's or category's volume, negatives and negative share."""
    return [str(s.volume), str(s.negative), percent(s.negative_share)]


def _timing_rows(timings: list[Timing]) -> list[list[str]]:
    return [[t.name, *timing_cells(t)] for t in timings]


def report_text(r: Report) -> str:
    lines = [
        f"Crisis Console report, {stamp(r.start)} to {stamp(r.end)}",
        "",
        f"Volume: {r.total} mentions, {r.negative} negative ({percent(r.negative_share)})",
        "",
        *_table(
            ["platform", "volume", "negative", "share"],
            [[s.name, *share_cells(s)] for s in r.platforms],
        ),
        "",
        *_table(
            ["category", "volume", "negative", "share"],
            [[s.name, *share_cells(s)] for s in r.categories],
        ),
        "",
        "First response (minutes from posting to the first reply sent)",
        *_table(["all", *TIMING_HEADERS], _timing_rows([r.response_all])),
        "",
        *_table(
            ["urgency", *TIMING_HEADERS],
            _timing_rows(r.response_by_urgency),
        ),
        "",
        *_table(["queue", *TIMING_HEADERS], _timing_rows(r.response_by_queue)),
        "",
        *_table(["operator", *TIMING_HEADERS], _timing_rows(r.response_by_operator)),
        "",
        f"Approvals: {r.approvals.count} drafts, {r.approvals.done} decided "
        f"({r.rejected} rejected); turnaround median {minutes(r.approvals.median)} min, "
        f"p90 {minutes(r.approvals.p90)} min",
        "",
        f"Escalations: {r.escalation_ack.count} harm alarms, {r.escalation_ack.done} acknowledged, "
        f"{r.escalation_ack.breaches} late or open; time to acknowledge median "
        f"{minutes(r.escalation_ack.median)} min, p90 {minutes(r.escalation_ack.p90)} min",
        *_table(
            ["raised", "mention", "acknowledged by", "minutes", "late"],
            [
                [
                    stamp(e.raised_at),
                    visible(e.key),
                    visible(e.acknowledged_by) or "(open)",
                    minutes(e.minutes),
                    "yes" if e.late else "no",
                ]
                for e in r.escalations
            ],
        ),
        "",
        *_table(["template", "sent"], [[t, str(n)] for t, n in r.templates]),
        "",
        *_table(
            ["policy finding that blocked a reply", "count"],
            [[f, str(n)] for f, n in r.policy_blocks],
        ),
        "",
        "Closed without a reply (apart from response times and breaches)",
        *_table(["reason", "mentions"], [[c, str(n)] for c, n in r.closed]),
        "",
        *_table(["tag", "mentions"], [["#" + visible(t), str(n)] for t, n in r.tags]),
    ]
    return "\n".join(lines) + "\n"


def incident_text(i: Incident) -> str:
    lines = [
        f"Incident timeline, {stamp(i.start)} to {stamp(i.end)} (peak level {i.peak_level})",
        "",
        "Around each event: mentions in the 30 minutes before → after (negative share).",
        "",
    ]
    for e in i.entries:
        lines.append(f"{stamp(e.at)}  {e.kind:<9} {visible(e.title)}  — {visible(e.who)}")
        if e.detail:
            lines.append(f"{'':28}{visible(e.detail)[:300]}")
        lines.append(f"{'':28}{around_text(e.around)}")
    lines += [
        "",
        "Checklist",
        *_table(
            ["level", "step", "due", "done", "by", "status"],
            [
                [
                    str(s.level),
                    visible(s.title),
                    stamp(s.due),
                    stamp(s.done_at) if s.done_at else "(not done)",
                    visible(s.done_by) or "—",
                    s.status,
                ]
                for s in i.checklist
            ],
        ),
    ]
    return "\n".join(lines) + "\n"
