"""`crisis-console thread KEY` on either backend, as a user runs it: a customer's post, their
follow-up and a stranger's answer ingested from a file, our first reply and the follow-up
sent from the shell, a second reply to the same post refused; then the conversation printed
with our replies in place, and a stranger's markup, escapes and template code shown as the
plain text they are."""

from __future__ import annotations

from pathlib import Path

from tests.cli_call import Cli
from tests.conftest import jsonl, record
from tests.test_cli_team import store  # noqa: F401  (a fixture: a folder, or PostgreSQL)

HOSTILE = "[bold red]free money[/] \x1b[2J{{ 7*7 }} \u202eevil"


def test_a_conversation_from_the_shell(
    cli: Cli,
    store: tuple[list[str], str],  # noqa: F811  (the fixture imported above)
    tmp_path: Path,
) -> None:
    options, me = store
    assert cli(*options, "team", "init").code == 0  # me, the team's lead
    feed = tmp_path / "in.jsonl"
    feed.write_text(
        "\n".join(
            jsonl(
                record(
                    "1",
                    "My delivery is three days late",
                    author="dan",
                    author_name="Dan",
                    created_at="2026-03-14T09:00:00Z",
                ),
                record(
                    "2",
                    "Thursday came and went.\nStill no parcel.",
                    author="dan",
                    in_reply_to="x:1",
                    created_at="2026-03-14T11:00:00Z",
                ),
                record(
                    "3",
                    HOSTILE,
                    author="spam\x1b[31mbot",
                    in_reply_to="1",
                    created_at="2026-03-14T10:00:00Z",
                ),
            )
        )
        + "\n"
    )
    assert cli(*options, "ingest", str(feed)).code == 0
    assert cli(*options, "templates", "approve", "delivery-delay", "investigating").code == 0
    first = ("reply", "x:1", "--template", "delivery-delay", "--var", "new_date=Thursday")
    assert cli(*options, *first, "--send").code == 0
    again = cli(*options, "reply", "x:1", "--template", "investigating", "--send")
    assert again.code == 3 and f"x:1 was already answered by {me}" in again.err
    follow_up = cli(*options, "reply", "x:2", "--template", "investigating", "--send")
    assert follow_up.code == 0, follow_up.err

    shown = cli(*options, "thread", "x:2")
    assert shown.code == 0, shown.err
    lines = shown.out.splitlines()
    assert lines[0] == "thread of x:2: 3 posts"
    # The post, then what answers it, oldest first; each reply under the post it answers.
    posts = [line for line in lines if line.lstrip().startswith("x:")]
    assert [p.split()[0] for p in posts] == ["x:1", "x:3", "x:2"]
    assert posts[0].startswith("x:1  2026-03-14 09:00 UTC  @dan (Dan)  [post, answered]")
    assert posts[2] == "  x:2  2026-03-14 11:00 UTC  @dan  [post, answered, the mention asked for]"
    replies = [line.strip() for line in lines if "↳ our reply" in line]
    assert len(replies) == 3  # the first, the one refused, the follow-up
    assert f"sent by {me}" in replies[0] and "template delivery-delay" in replies[0]
    assert replies[1].split(": ", 1)[1].startswith("rejected, written by")
    assert f"sent by {me}" in replies[2] and "template investigating" in replies[2]
    where = {line.strip(): n for n, line in enumerate(lines)}
    assert where["Still no parcel."] > lines.index(posts[2])  # a text's lines, indented
    # A stranger's text and handle, shown as written: nothing obeyed, nothing rendered.
    assert "      [bold red]free money[/] \\x1b[2J{{ 7*7 }} \\u202eevil" in lines
    assert "@spam\\x1b[31mbot" in posts[1] and "\x1b" not in shown.out

    missing = cli(*options, "thread", "x:404")
    assert missing.code == 2 and "no mention x:404" in missing.err
