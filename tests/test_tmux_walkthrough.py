"""The real console in a real terminal (tmux), as a new team would use it, over the demo
data. First a reply's way out: support searches, claims and drafts; social approves, and the
reply goes out once. Then a whole shift of a crisis, as the demo's sample team: the lead
raises the level, acknowledges alarms, hands a post to social with a note, closes the noise
and answers a hundred mentions with the holding statement, as one batch; PR approves it;
social is told of the post handed over, finds it in her queue, sends the batch, and the
checklist shows the holding statement done. Each step is checked on the captured screen; in
every text field the console's own letter keys are typed, and must stay text."""

from __future__ import annotations

import getpass
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tmux import QUIT_ASKS, Pane, Session

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
SEARCH_BOX = "Enter applies, Esc clears"  # the end of the search box's placeholder


def test_support_drafts_and_social_approves_in_a_real_terminal(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    console = f"{sys.executable} -m crisis_console --data-dir {data}"
    subprocess.run([*console.split(), "demo", "--no-open"], check=True, capture_output=True)
    me = getpass.getuser()
    (data / "team.yaml").write_text(
        f"operators:\n  {me}: [lead]\n  sam: [support]\n  maya: [social]\n"
        f"shared_logins:\n  {me}: [sam, maya]\n"
    )
    # Edited by hand after the demo wrote it: a lead accepts it before it counts.
    accepted = subprocess.run([*console.split(), "team", "accept"], capture_output=True, text=True)
    assert accepted.returncode == 0 and "sam" in accepted.stdout, accepted.stderr
    with Session(f"cc-sam-{os.getpid()}") as sam_terminal:
        sam = sam_terminal.pane(f"{console} --as sam")
        # "1–100 of 20x". A console's first start on a busy CI machine (a fresh clone's
        # bytecode compiled as it goes) took over 30 s once.
        sam.wait_for("of 20", seconds=90)
        sam.keys("/")
        sam.wait_for(SEARCH_BOX)  # the search box, focused
        sam.type("delivery")
        sam.wait_for("▊  delivery")
        sam.keys("Enter")
        sam.wait_for("search 'delivery'")
        sam.keys("C")
        sam.wait_for("is yours")
        sam.keys("R")
        sam.wait_for("Reply to")
        sam.keys("Down")
        sam.wait_for("Policy guard")
        sam.keys("C-s")
        sam.wait_for("Draft submitted")
        sam.quit(asks=False)  # support may not acknowledge the alarms: nothing to ask
    with Session(f"cc-maya-{os.getpid()}") as maya_terminal:
        maya = maya_terminal.pane(f"{console} --as maya")
        maya.wait_for("of 20", seconds=90)
        maya.keys("A")
        maya.wait_for("pending")
        maya.keys("y")
        maya.wait_for("Nothing waits for approval")
        maya.wait_for("Sent to")  # the outbox worker's word, a moment later
        maya.quit()
    [sent] = [json.loads(line) for line in (data / "outbox.jsonl").read_text().splitlines()]
    assert sent["sent_by"] == "maya"


# The console's own letter keys (quit, approval queue, level, crisis screen), and what each
# opens when it fires: in a text field they must be text.
HOTKEYS = "qALc"
OPENED_BY = (QUIT_ASKS, "Send approved", "Change the crisis level", "Negative share")
ISSUE = "reports of AirCrisp fryers overheating"
NOTE = "Joey's thumb is fine"
HANDED_OVER = "your new packaging is so"  # its row: a harm post without "Brightwell"
BATCH_MADE = r"Drafts for approval: ([\d,]+), "  # the toast of a bulk answer: the drafts it made


def hotkeys_are_text(pane: Pane, field: str = "") -> None:
    """Type the console's letter keys into the focused text field, empty until then: it
    shows them, nothing opened; then Ctrl+U takes them out. `field`: the placeholder of the
    field a key just moved the focus to, waited for first (a field focused as its dialog
    opens needs no wait)."""
    if field:
        pane.wait_typing_in(field)
    before = pane.screen()
    pane.type(HOTKEYS)
    shown = pane.wait_for(HOTKEYS)
    opened = [what for what in OPENED_BY if what in shown and what not in before]
    assert not opened, f"typing {HOTKEYS!r} opened {opened}:\n{shown}"
    # One key, seen done before more is typed (see Pane.wait_typing_in): four Backspaces
    # could still be on their way when the first has taken the text off the screen.
    pane.keys("C-u")
    pane.wait_gone(HOTKEYS)


def number(pattern: str, screen: str) -> int:
    found = re.search(pattern, screen)
    assert found, f"no {pattern!r} on the screen:\n{screen}"
    return int(found[1].replace(",", ""))


def open_alarms(screen: str) -> int:
    return number(r"([\d,]+) UNACKNOWLEDGED HARM ALARMS", screen)


def shown_of(screen: str) -> int:
    """The rows the filter matches, from the status line's "1–100 of 209"."""
    return number(r"1–[\d,]+ of ([\d,]+)", screen)


def clear_search(pane: Pane) -> str:
    """`/` and Esc: the search cleared, the whole inbox shown again; the screen."""
    if "search '" not in pane.screen():
        return pane.screen()
    pane.keys("/", "Escape")
    # Waited for: an Esc with a key close behind it is read as Alt and that key.
    return pane.wait_until(
        lambda s: "search '" not in s and SEARCH_BOX not in s, "Esc left the search"
    )


def search(pane: Pane, words: str) -> str:
    """`/`, the words typed (an earlier search cleared first), Enter; the screen."""
    clear_search(pane)
    pane.keys("/")
    pane.wait_for(SEARCH_BOX)  # shown and focused at once
    hotkeys_are_text(pane)
    pane.type(words)
    pane.keys("Enter")
    applied = f"search '{words}'".casefold()  # the status line's, in whichever case
    return pane.wait_until(lambda s: applied in s.casefold(), f"{words!r} never applied")


def inbox_rows(screen: str) -> list[str]:
    """The inbox's rows on the screen: a mark column (`●` or blank), then the urgency."""
    return [line for line in screen.splitlines() if re.match(r" [● ]  [A-Z]{3,4} ", line)]


def marked_rows(screen: str) -> int:
    return sum(row.startswith(" ●") for row in inbox_rows(screen))


def all_marked(screen: str) -> bool:
    return bool(inbox_rows(screen)) and marked_rows(screen) == len(inbox_rows(screen))


def test_a_whole_shift_of_a_crisis_from_the_keyboard(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    console = f"{sys.executable} -m crisis_console --data-dir {data}"
    subprocess.run([*console.split(), "demo", "--no-open"], check=True, capture_output=True)
    # Wide: the detail beside the inbox, where a note shows.
    with Session(f"cc-lee-{os.getpid()}", 160, 50) as terminal:
        lee = terminal.pane(f"{console} --as lee")
        answered = lead_runs_the_shift(lee)
        lee.quit()
    with Session(f"cc-priya-{os.getpid()}", 160, 50) as terminal:
        priya = terminal.pane(f"{console} --as priya")
        priya.wait_for("LEVEL 2 CRISIS for", seconds=90)
        priya.keys("A")
        priya.wait_for_row(f"batch {answered}", f"{answered} pending")
        priya.wait_for(f"Batch of {answered} replies · by lee")
        priya.keys("y")  # PR approves at level 2; only social sends
        priya.wait_for_row(f"batch {answered}", f"{answered} approved")
        priya.quit()
    with Session(f"cc-maya-{os.getpid()}", 160, 50) as terminal:
        maya = terminal.pane(f"{console} --as maya")
        maya.wait_for("lee assigned you 1 mention", seconds=90)
        maya.keys("m")  # my queue: what is assigned to me with it
        maya.wait_for("my queue")
        maya.wait_for_row(HANDED_OVER, "→maya")
        maya.keys("A")
        maya.wait_for_row(f"batch {answered}", f"{answered} approved")
        maya.keys("s")
        maya.wait_for(f"Sent {answered} replies.")  # the outbox worker: one toast for a batch
        maya.wait_for("Nothing waits for approval")
        maya.keys("c")
        maya.wait_for_row("Publish the approved holding statement", "done")
        maya.wait_for_row("Publish the approved holding statement", "by priya")
        maya.quit()
    sent = [json.loads(line) for line in (data / "outbox.jsonl").read_text().splitlines()]
    mentions = [s["mention"] for s in sent]
    twice = sorted({m for m in mentions if mentions.count(m) > 1})
    assert not twice, f"sent more than once: {twice}"  # each reply goes out exactly once
    assert len(sent) == answered
    assert {s["sent_by"] for s in sent} == {"maya"}
    assert all(ISSUE in s["text"] for s in sent), [s["text"] for s in sent]


def lead_runs_the_shift(lee: Pane) -> int:
    """The lead's part of the shift; how many mentions the holding statement answers."""
    lee.wait_for("UNACKNOWLEDGED HARM ALARMS", seconds=90)
    lee.wait_for("1–100 of")
    # The level: picked, a reason given, Enter.
    lee.keys("L")
    lee.wait_for("Change the crisis level (now 0)")
    lee.keys("Enter")
    lee.wait_for("3 — severe")  # the list of levels, open
    lee.keys("Down", "Down", "Enter")
    lee.wait_until(lambda s: "2 — crisis" in s and "3 — severe" not in s, "level 2 not picked")
    lee.keys("Tab")
    hotkeys_are_text(lee, "Reason (kept in the audit log)")
    lee.type("Fire reports on the AirCrisp")
    lee.keys("Enter")
    lee.wait_for("LEVEL 2 CRISIS for")
    # Three harm alarms marked, acknowledged with one key.
    alarms = open_alarms(lee.screen())
    lee.keys("Space", "Space", "Space")
    lee.wait_until(lambda s: marked_rows(s) == 3, "three rows never showed marked")
    lee.keys("a")
    lee.wait_for(f"{alarms - 3} UNACKNOWLEDGED HARM ALARMS")
    lee.wait_until(lambda s: marked_rows(s) == 0, "the marks stayed after the acknowledgement")
    # A post handed to maya, with a note for her.
    shown = search(lee, "cut my thumb")
    assert shown_of(shown) == 1, shown
    lee.keys("W")
    lee.wait_for("to a colleague or a queue")
    hotkeys_are_text(lee)
    lee.type("maya")
    lee.wait_for("maya (social)")
    lee.keys("Enter")
    lee.wait_for_row(HANDED_OVER, "→maya")
    lee.wait_for("Assigned to maya by lee")
    lee.keys("N")
    lee.wait_for("  audit log")  # the end of the title: wrapped onto a line of its own, not cut
    hotkeys_are_text(lee)
    lee.type(NOTE)
    lee.keys("C-s")
    lee.wait_until(
        lambda s: "Notes (1, never sent)" in s and NOTE in s, "the note never showed in the detail"
    )
    # The noise closed: it leaves the open inbox.
    everything = shown_of(clear_search(lee))
    assert shown_of(search(lee, "promo code")) == 1
    lee.keys("X")
    lee.wait_for("without a reply: why?")
    hotkeys_are_text(lee)
    lee.type("spam")
    lee.keys("Enter")
    lee.wait_for("Nothing matches the filter")
    clear_search(lee)
    lee.wait_for(f"1–100 of {everything - 1}")
    # The holding statement to a hundred mentions and more, as one batch.
    marked = shown_of(search(lee, "Brightwell"))
    assert marked >= 100, "a crisis's hundred mentions"
    lee.keys("*")  # every page's
    lee.wait_until(all_marked, "not every row showed marked")
    lee.wait_for(f"{marked} marked")
    lee.keys("R")
    lee.wait_for(f"Answer {marked} marked mentions with one template")
    hotkeys_are_text(lee)  # the template filter
    lee.type("holding")
    lee.wait_for("Holding statement (holding-statement)")
    lee.wait_for("required variable left empty: issue")
    lee.keys("Enter")  # into its variable
    hotkeys_are_text(lee, "▊  issue")
    lee.type(ISSUE)
    lee.wait_for("Policy guard: nothing found.")
    lee.keys("C-s")
    told = lee.wait_until(lambda s: re.search(BATCH_MADE, s) is not None, "no batch was told")
    # A reply the guard blocks (too long for one platform) is refused alone, and told.
    answered = number(BATCH_MADE, told)
    assert f"{answered} pending" in told, told
    assert answered == marked or f"{marked - answered} refused" in told, told
    lee.wait_until(
        lambda s: all(" lee " in row for row in inbox_rows(s)), "not all claimed for lee"
    )
    return answered
