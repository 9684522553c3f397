"""Exports we have no preset for, known by their headers, so that a file that cannot be read
(or is read only through the generic columns) is named for what it is, with what to do.

Each is listed with the headers that identify it, as its tool documents or writes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OtherExport:
    """A tool's export that is not a list of mentions, or that has no preset."""

    name: str
    headers: tuple[str, ...]  # all present: the file is this export
    advice: str


OTHERS = (
    OtherExport(
        # X (Twitter) Analytics, Tweets tab, "Export data": one row per tweet of the account.
        "an X (Twitter) Analytics tweet activity export",
        ("Tweet id", "Tweet permalink", "Tweet text", "impressions", "engagements"),
        "it holds your own account's posts and their statistics, not mentions of you; to "
        "import them anyway: --column text='Tweet text' --column id='Tweet id' "
        "--column created_at=time --platform x",
    ),
    OtherExport(
        # twarc-csv (DocNow) run on a users file: DEFAULT_USER_COLUMNS.
        "a twarc-csv file of users",
        ("username", "pinned_tweet_id", "public_metrics.followers_count"),
        "it lists accounts, not posts: run `twarc2 csv` on the tweets you collected",
    ),
    OtherExport(
        # twarc-csv run on `twarc2 counts` output: DEFAULT_COUNTS_COLUMNS.
        "a twarc-csv file of tweet counts",
        ("start", "end", "tweet_count"),
        "it holds numbers of tweets per period, not posts",
    ),
    OtherExport(
        # Hootsuite Inbox 2.0 (Sparkcentral) data exports, "Resolved conversations" and
        # "Open conversations": one row per conversation.
        "a Hootsuite Inbox conversations export",
        ("Conversation ID", "Medium", "Contact Primary Identifier", "Created at"),
        "it has one row per conversation and no message text: export Messages instead "
        "(preset hootsuite)",
    ),
)


def other_export(header: Iterable[str]) -> OtherExport | None:
    """The export among `OTHERS` whose headers `header` holds, or None."""
    names = {str(h).strip().casefold() for h in header}
    for other in OTHERS:
        if all(h.casefold() in names for h in other.headers):
            return other
    return None
