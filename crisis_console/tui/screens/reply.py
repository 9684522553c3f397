"""The reply composer: claim the mention, pick a template allowed for it, fill its variables,
watch the preview and the policy findings, then submit a draft or send."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from crisis_console.core.actions import Permission
from crisis_console.core.errors import CrisisConsoleError
from crisis_console.core.replies.batch_model import BatchResult
from crisis_console.core.replies.policy import Finding
from crisis_console.core.replies.templates import ReplyTemplate
from crisis_console.core.roster import may
from crisis_console.core.service import ConsoleService
from crisis_console.tui import formatting as fmt
from crisis_console.tui.messages import ReplyOnItsWay
from crisis_console.tui.widgets.alarm_banner import AlarmBanner

REFUSALS_SHOWN = 3  # refused mentions named in a batch's toast; the rest are counted
SAVE_DELAY = 0.4  # seconds after the last key before the composer's content is kept


def findings_text(findings: list[Finding]) -> Text:
    if not findings:
        return Text("Policy guard: nothing found.", style="green")
    out = Text()
    for f in findings:
        style = "bold white on red" if f.severity == "block" else "black on yellow"
        out.append(f" {f.severity.upper()} ", style=style)
        out.append(" ")
        out.append_text(fmt.plain(f.message))
        out.append("\n")
    return out


class ReplyForm(VerticalScroll, can_focus=False):
    """The template's form: Tab goes from the filter straight into its first variable,
    never to the scrolling container (it scrolls to follow the focus)."""


class TemplateList(OptionList, can_focus=False):
    """The templates that fit, best first. Never focused: the filter above it keeps the
    keyboard (Up and Down move this list), so a letter typed here is always text."""


class ReplyScreen(Screen[bool | None]):
    """Focus is always in a text field here: the template filter or a variable. What is
    typed is kept in the store as it is typed (`ComposingDesk`), so Esc, a quit or a crash
    leaves it for the next time the mention is answered."""

    WRITES = True  # the app's single-letter keys stay off (CrisisConsoleApp.check_action)
    BINDINGS = [
        Binding("escape", "leave", "Back (kept)"),
        # Priority: an Input has the focus while typing, and would take ctrl+e for itself.
        Binding("ctrl+s", "submit", "Submit draft", priority=True),
        Binding("ctrl+e", "send", "Send", priority=True),
        Binding("up", "move(-1)", "Previous template", show=False),
        Binding("down", "move(1)", "Next template", show=False),
    ]

    def __init__(self, service: ConsoleService, key: str, batch: Sequence[str] = ()) -> None:
        """`batch`: answer all these mentions with one template (`key` is the first: its
        reply is the one previewed); empty: answer `key` alone."""
        super().__init__()
        self.service, self.key, self.answering = service, key, tuple(batch)
        self.choices: list[ReplyTemplate] = []
        self.template: ReplyTemplate | None = None
        self.typed: dict[str, str] = {}  # every variable typed, kept across template changes
        self._save_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield AlarmBanner(id="alarm-banner")
        yield Static(id="reply-mention")
        with Horizontal(id="reply-body"):
            with Vertical(id="reply-picker"):
                yield Input(placeholder="type to filter · ↑↓ · Enter", id="reply-filter")
                yield TemplateList(id="reply-templates")
            with ReplyForm(id="reply-form"):
                yield Label("Pick a template on the left.", id="reply-template-title")
                yield Vertical(id="reply-variables")
                yield Static(id="reply-preview")
                yield Static(id="reply-findings")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(AlarmBanner).show_open(self.service)  # pinned until acknowledged
        stored = self.service.mention(self.key)
        self.choices = self.service.replies.choices(self.key)
        assert stored is not None
        m = stored.triage.mention
        head = Text(f" Reply to @{m.author or '?'} on {m.platform.value}: ", style="bold")
        if self.answering:
            head = Text(f" Answer {len(self.answering):,} marked mentions with one template, each "
                        "filled with its own author; approved once, as a batch. The preview is "
                        f"the reply to @{m.author or '?'}: ", style="bold")  # fmt: skip
        head.append_text(fmt.snippet(m.text, 200))
        self.query_one("#reply-mention", Static).update(head)
        hint = Text("The filled reply appears here once a template is picked.", style="dim")
        self.query_one("#reply-preview", Static).update(hint)
        kept = None if self.answering else self.service.composing.get(self.key)
        if kept is not None and any(t.id == kept.template_id for t in self.choices):
            self.typed = dict(kept.variables)
            self.notify(f"Your unsent reply to {self.key} is back.")
        self._list(prefer=kept.template_id if kept is not None else None)
        if not self.choices:
            self.query_one("#reply-template-title", Label).update(
                "No approved template fits this mention, your role and the crisis level."
            )
        self.query_one("#reply-filter", Input).focus()
        if not may(self.service.operator, Permission.SEND):
            self.query_one("#reply-findings", Static).update(
                Text("You submit drafts; the social team approves and sends.", style="dim")
            )

    def _list(self, prefer: str | None = None) -> None:
        """The templates the filter's words all match (in title or id), best first."""
        words = self.query_one("#reply-filter", Input).value.casefold().split()
        shown = [t for t in self.choices if all(w in f"{t.title} {t.id}".casefold() for w in words)]
        options = self.query_one(TemplateList)
        keep = prefer or (self.template.id if self.template is not None else None)
        options.clear_options()
        options.add_options([Option(t.title, id=t.id) for t in shown])
        ids = [t.id for t in shown]
        if shown:
            options.highlighted = ids.index(keep) if keep in ids else 0

    def action_move(self, step: int) -> None:
        options = self.query_one(TemplateList)
        if options.option_count:
            current = options.highlighted or 0
            options.highlighted = max(0, min(options.option_count - 1, current + step))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Up and Down pick a template from the filter only: in a variable they do nothing.
        if action == "move":
            return self.query_one("#reply-filter", Input).has_focus
        return True

    async def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.template = next(t for t in self.choices if t.id == event.option.id)
        self.query_one("#reply-template-title", Label).update(
            f"{self.template.title} ({self.template.id})"
        )
        box = self.query_one("#reply-variables", Vertical)
        await box.remove_children()
        for v in self.template.variables:
            label = f"{v.name}{' (required)' if v.required else ''}: {v.description}"
            field = Input(self.typed.get(v.name, ""), id=f"var-{v.name}", placeholder=v.name)
            await box.mount(Label(label), field)
        self.refresh_preview()
        self._keep_soon()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """A template clicked: on to its first variable, if it has one."""
        self._to_first_variable()

    def _to_first_variable(self) -> None:
        first = self.query_one("#reply-variables", Vertical).query(Input)
        if first:
            first.first().focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the filter picks the template shown and goes on to its first variable."""
        if event.input.id == "reply-filter":
            self._to_first_variable()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "reply-filter":
            self._list()
            return
        if event.input.id and event.input.id.startswith("var-"):
            self.typed[event.input.id.removeprefix("var-")] = event.value
        self.refresh_preview()
        self._keep_soon()

    # --- kept as typed ------------------------------------------------------------------------

    def _keep_soon(self) -> None:
        """Saved a moment after the typing stops: one write for a burst of keys."""
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(SAVE_DELAY, self.keep)

    def keep(self) -> None:
        """Keep what is in the composer now (nothing, if it is empty)."""
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        if self.template is not None and not self.answering:  # a batch is made at once, or not
            self.service.composing.save(self.key, self.template.id, self.variables())

    @property
    def has_text(self) -> bool:
        """Something typed into the template's fields."""
        return any(self.variables().values())

    def action_leave(self) -> None:
        self.keep()
        self.dismiss(None)

    def on_unmount(self) -> None:
        if self._save_timer is not None:  # closing with a save still to come: make it now
            self.keep()

    def variables(self) -> dict[str, str]:
        """The picked template's variables as typed (read from `typed`, not the fields, so
        it holds while the screen closes)."""
        if self.template is None:
            return {}
        return {
            v.name: self.typed[v.name] for v in self.template.variables if self.typed.get(v.name)
        }

    def refresh_preview(self) -> None:
        if self.template is None:
            return
        preview, findings = (
            self.query_one("#reply-preview", Static),
            self.query_one("#reply-findings", Static),
        )
        try:
            text, found = self.service.replies.preview(self.key, self.template.id, self.variables())
        except CrisisConsoleError as exc:
            preview.update(Text(str(exc), style="italic yellow"))
            findings.update("")
            return
        preview.update(fmt.plain(text))
        findings.update(findings_text(found))

    def action_submit(self) -> None:
        self._finish("submit")

    def action_send(self) -> None:
        self._finish("send")

    def _finish(self, how: str) -> None:
        if self.template is None:
            self.notify("Pick a template first.", severity="warning")
            return
        if self.answering:
            self._answer_all(how, self.template.id, self.variables())
            return
        act = self.service.replies.submit if how == "submit" else self.service.replies.send
        try:
            reply = act(self.key, self.template.id, self.variables())
        except (CrisisConsoleError, ValueError) as exc:
            self.notify(str(exc), title=f"Could not {how}", severity="error", timeout=10)
            return
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        self.service.composing.discard(self.key)  # it is a draft, or sent, now
        if reply.status == "sending":
            self.app.post_message(ReplyOnItsWay(reply.id))
        done = {
            "pending": "Draft submitted for approval.",
            "sent": "Sent.",
            "sending": "Sending: the outbox delivers it within a second.",
        }.get(reply.status, reply.status)

        self.notify(
            f"{done} ({reply.id[:8]})",
            severity="error" if reply.status == "failed" else "information",
        )
        self.dismiss(None)  # the app reloads the inbox at once (bug: it showed the row open)

    @work(thread=True, exclusive=True, group="batch")
    def _answer_all(self, how: str, template_id: str, variables: dict[str, str]) -> None:
        """A batch claims, fills and guards each mention: off the screen's thread."""
        try:
            result = self.service.batches.answer(list(self.answering), template_id, variables, how)
        except (CrisisConsoleError, ValueError) as exc:
            self.app.call_from_thread(
                self.notify, str(exc), title=f"Could not {how}", severity="error", timeout=10
            )
            return
        self.app.call_from_thread(self._answered_all, result)

    def _answered_all(self, result: BatchResult) -> None:
        drafts = all(r.status == "pending" for r in result.replies.values())
        lines = [result.summary("Drafts for approval" if drafts else "Replies")]
        refused = list(result.refused.items())
        lines += [f"{key}: {why}" for key, why in refused[:REFUSALS_SHOWN]]
        if len(refused) > REFUSALS_SHOWN:
            lines.append(f"… and {len(refused) - REFUSALS_SHOWN} more refused")
        title = f"Batch {result.batch[:8]}" if result.batch else "No batch made"
        self.notify("\n".join(lines), title=title, severity="warning" if refused else
                    "information", timeout=15)  # fmt: skip
        if result.batch:
            self.dismiss(True)
