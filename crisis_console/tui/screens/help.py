"""Help (`?`): every key of every screen, and what the console is for, in one place."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

HELP = [
    (
        "Everywhere",
        [
            ("?", "this help"),
            ("c", "crisis screen: level, checklist, spikes"),
            ("A", "approval queue"),
            ("U", "audit log: browse, filter (/), verify (v)"),
            (
                "O",
                "reports; there 1 2 3 window, i incident",
            ),
            ("L", "change the crisis level (pr, lead)"),
            ("Ctrl+P", "command palette"),
            ("q", "quit"),
        ],
    ),
    (
        "Inbox",
        [
            ("↑ ↓  j k", "move; the detail follows"),
            ("Home End  g G", "first / last mention of the page"),
            ("Space", "mark the row for a bulk action (●), and go on to the next"),
            ("*", "mark every mention of the filter (all pages); again: unmark all"),
            ("[  ]", "previous / next page"),
            ("/", "search: whole words, #tag, @author, a key (x:123), u:critical,high"),
            ("v", "saved views: apply one; type a name to save this filter; -name deletes"),
            ("m", "my queue: my roles' queues, what I claimed, what is assigned to me"),
            ("s", "status: open → claimed → answered → closed → all"),
            ("u  p  t", "cycle urgency / platform / category filter"),
            ("0", "clear filters"),
            ("C", "claim the marked mentions, or the one on screen (again: release)"),
            ("R", "reply: composer with the templates that fit, best first"),
            ("a", "acknowledge the marked alarms, or the one on screen (else the oldest)"),
            ("W", "assign the marked mentions (or this one) to a colleague or a queue"),
            ("#", "tag them (a playbook tag, or type one; -tag takes it off)"),
            ("N", "a note on this mention: for the team, never sent, audited"),
            ("X", "close them without a reply (spam, duplicate, …), or reopen"),
            ("T", "this mention's audit trail"),
            ("E", "reclassify: correct urgency, category or sentiment (audited)"),
            ("r", "reload the page now"),
        ],
    ),
    (
        "Reply composer",
        [
            ("letters", "filter the templates (focus is always in a text field)"),
            ("↑ ↓", "pick a template (from the filter)"),
            ("Enter  Tab", "to the variables; Tab goes round the fields"),
            ("Ctrl+S", "submit a draft for approval"),
            ("Ctrl+E", "send now (social, lead)"),
            ("Esc", "back; what you typed is kept and comes back"),
        ],
    ),
    (
        "Approval queue",
        [
            ("y", "approve (a social approver also sends it)"),
            ("x", "reject with a comment"),
            ("e", "edit the wording (kept as a diff)"),
            ("s", "send an approved reply, retry a failed one"),
            ("Esc", "back"),
        ],
    ),
    (
        "Crisis screen",
        [
            ("Space  Enter", "tick the highlighted checklist step (its owner role)"),
            ("L", "change the level"),
            ("a", "acknowledge the oldest harm alarm"),
            ("Esc  c", "back"),
        ],
    ),
    (
        "Reports",
        [
            ("1  2  3", "the last 24 h / 7 days / 30 days"),
            ("i", "the latest crisis's timeline"),
            ("Esc", "back (from the timeline too)"),
        ],
    ),
    (
        "Audit log",
        [
            ("/", "filter by mention or operator"),
            ("v", "verify the chain"),
            ("Esc", "back"),
        ],
    ),
    (
        "Dialogs",
        [
            ("Ctrl+S", "done: reclassify, or the text asked for"),
            ("0 1 2 3 4 5", "level dialog: pick that level, then type the reason"),
            ("letters  ↑ ↓  Enter", "pick from a list: filter, move, pick (assign, tag, close)"),
            ("Esc", "cancel"),
            ("y  Enter  /  n", "quit / stay, when quitting would leave work undone"),
        ],
    ),
]


def help_text() -> Text:
    out = Text()
    out.append("Crisis Console", style="bold")
    out.append(
        " — triage mentions, answer with approved templates, run the crisis playbook.\n"
        "Mentions are sorted by urgency, then by how soon they need an answer.\n"
    )
    for section, keys in HELP:
        out.append(f"\n{section}\n", style="bold underline")
        for key, what in keys:
            out.append(f"  {key:<20}", style="bold yellow")
            out.append(f"{what}\n")
    out.append("\nEsc, ? or q closes this help.", style="dim")
    return out


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "app.pop_screen", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(help_text())
