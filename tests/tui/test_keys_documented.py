"""Every key the console binds is documented twice: in the help screen (`?`), under the
section of the screen it works on, and in README's "In the console". A new binding, or a
new screen, that neither names fails here."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

from textual.binding import Binding
from textual.widgets import Static

import crisis_console.tui
from crisis_console.tui.screens.help import HelpScreen
from tests.conftest import ROOT, ServiceFactory
from tests.tui.test_inbox import screen_text, settle
from tests.tui.test_inbox_filters import app_for

# Where the help explains each screen's keys; HelpScreen's own are in its closing line.
SECTION = {
    "CrisisConsoleApp": "Everywhere",
    "InboxScreen": "Inbox",
    "MentionTable": "Inbox",
    "ReplyScreen": "Reply composer",
    "ApprovalScreen": "Approval queue",
    "CrisisScreen": "Crisis screen",
    "ReportsScreen": "Reports",
    "IncidentScreen": "Reports",  # opened from the reports, `Esc` back to them
    "AuditScreen": "Audit log",
    "LevelDialog": "Dialogs",
    "ReclassifyDialog": "Dialogs",
    "TextPrompt": "Dialogs",
    "QuitDialog": "Dialogs",
    "PickDialog": "Dialogs",
    "HelpScreen": "closes this help",
}

# How the help and README write a key Textual names otherwise.
DISPLAY = {
    "question_mark": "?",
    "slash": "/",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "escape": "Esc",
    "enter": "Enter",
    "space": "Space",
    "home": "Home",
    "end": "End",
    "up": "↑",
    "down": "↓",
    "tab": "Tab",
    "asterisk": "*",
    "number_sign": "#",
}


def shown(key: str) -> str:
    if key in DISPLAY:
        return DISPLAY[key]
    if key.startswith("ctrl+"):
        return "Ctrl+" + key.removeprefix("ctrl+").upper()
    assert len(key) == 1, f"say how the help writes the key {key!r} (DISPLAY)"
    return key


def bindings() -> dict[str, list[str]]:
    """Each class of the console that declares BINDINGS -> the keys, as the help writes them."""
    found: dict[str, list[str]] = {}
    package = crisis_console.tui
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        module = importlib.import_module(info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and "BINDINGS" in cls.__dict__:
                keys = []
                for binding in cls.__dict__["BINDINGS"]:
                    key = binding.key if isinstance(binding, Binding) else binding[0]
                    keys += [shown(k.strip()) for k in key.split(",")]
                found[name] = keys
    return found


def help_sections(text: str) -> dict[str, set[str]]:
    """The help's key column, token by token, per section (and its closing line)."""
    sections: dict[str, set[str]] = {}
    current: set[str] | None = None
    for line in text.splitlines():
        if line.strip() in SECTION.values():
            current = sections.setdefault(line.strip(), set())
        elif line.startswith("  ") and current is not None:
            current.update(line[2:22].split())
        elif "closes this help" in line:
            sections["closes this help"] = set(re.findall(r"[^\s,.]+", line))
    return sections


def readme_keys() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## In the console\n", 1)[1].split("\n## ", 1)[0]
    return {token for span in re.findall(r"`([^`]+)`", section) for token in span.split()}


def test_every_screen_with_keys_has_a_help_section() -> None:
    found = bindings()
    assert set(found) == set(SECTION), "a screen with keys needs its place in the help"


async def test_every_key_bound_is_in_the_help_and_the_readme(
    make_service: ServiceFactory,
) -> None:
    app = app_for(make_service)
    async with app.run_test(size=(160, 60)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        sections = help_sections(screen_text(app.screen.query_one(Static)))
    readme = readme_keys()
    missing_help, missing_readme = [], []
    for screen, keys in bindings().items():
        section = SECTION[screen]
        missing_help += [(screen, k) for k in keys if k not in sections.get(section, set())]
        missing_readme += [(screen, k) for k in keys if k not in readme]
    assert missing_help == [], "keys bound but not in the help screen's section"
    assert missing_readme == [], "keys bound but not in README's 'In the console'"


def test_the_inbox_keys_of_issue_18_are_named() -> None:
    """`g` `G` (first / last row) and `r` (reload), once bound but nowhere said."""
    assert {"g", "G", "r"} <= set(bindings()["MentionTable"] + bindings()["InboxScreen"])
    assert {"g", "G", "r"} <= readme_keys()
