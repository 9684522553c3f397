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
            ("↑ ↓  j k  Home End", "move; the detail follows"),
            ("[  ]", "previous / next page"),
            ("/", "search text or @author (Enter applies, Esc clears)"),
            ("m", "my queue: my roles' queues and what I have claimed"),
            ("s", "status: open → claimed → answered → all"),
            ("u  p  t", "cycle urgency / platform / category filter"),
            ("0", "clear filters"),
            ("C", "claim the mention on screen, or release it"),
            ("R", "reply: composer with the templates that fit"),
            ("a", "acknowledge the harm alarm on screen (else jump to the oldest)"),
            ("T", "this mention's audit trail"),
            ("E", "reclassify: correct urgency, category or sentiment (audited)"),
        ],
    ),
    (
        "Reply composer",
        [
            ("↑ ↓", "pick a template"),
            ("Tab", "to the variables"),
            ("Ctrl+S", "submit a draft for approval"),
            ("Ctrl+E", "send now (social, lead)"),
            ("Esc", "back"),
        ],
    ),
    (
        "Approval queue",
        [
            ("y", "approve (a social approver also sends it)"),
            ("x", "reject with a comment"),
            ("e", "edit the wording (kept as a diff)"),
            ("s", "send an approved reply, retry a failed one"),
        ],
    ),
    (
        "Crisis screen",
        [
            ("Space  Enter", "tick the highlighted checklist step (its owner role)"),
            ("L", "change the level"),
            ("a", "acknowledge the oldest harm alarm"),
            ("Esc", "back"),
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
    out.append("\nEsc or ? closes this help.", style="dim")
    return out


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "app.pop_screen", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(help_text())
