"""The reply composer: claim the mention, pick a template allowed for it, fill its variables,
watch the preview and the policy findings, then submit a draft or send."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from crisis_console.core.actions import Permission
from crisis_console.core.errors import CrisisConsoleError
from crisis_console.core.replies.policy import Finding
from crisis_console.core.replies.templates import ReplyTemplate
from crisis_console.core.roster import may
from crisis_console.core.service import ConsoleService
from crisis_console.tui import formatting as fmt
from crisis_console.tui.messages import ReplyOnItsWay
from crisis_console.tui.widgets.alarm_banner import AlarmBanner


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
    """The template's form: Tab goes from the template list straight into its first
    variable, never to the scrolling container (it scrolls to follow the focus)."""


class ReplyScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        # Priority: an Input has the focus while typing, and would take ctrl+e for itself.
        Binding("ctrl+s", "submit", "Submit draft", priority=True),
        Binding("ctrl+e", "send", "Send", priority=True),
    ]

    def __init__(self, service: ConsoleService, key: str) -> None:
        super().__init__()
        self.service, self.key = service, key
        self.choices: list[ReplyTemplate] = []
        self.template: ReplyTemplate | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield AlarmBanner(id="alarm-banner")
        yield Static(id="reply-mention")
        with Horizontal(id="reply-body"):
            yield OptionList(id="reply-templates")
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
        head.append_text(fmt.snippet(m.text, 200))
        self.query_one("#reply-mention", Static).update(head)
        hint = Text("The filled reply appears here once a template is picked.", style="dim")
        self.query_one("#reply-preview", Static).update(hint)
        options = self.query_one(OptionList)
        options.add_options([Option(f"{t.title}", id=t.id) for t in self.choices])
        if not self.choices:
            self.query_one("#reply-template-title", Label).update(
                "No approved template fits this mention, your role and the crisis level."
            )
        options.focus()
        if not may(self.service.operator, Permission.SEND):
            self.query_one("#reply-findings", Static).update(
                Text("You submit drafts; the social team approves and sends.", style="dim")
            )

    async def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.template = next(t for t in self.choices if t.id == event.option.id)
        self.query_one("#reply-template-title", Label).update(
            f"{self.template.title} ({self.template.id})"
        )
        box = self.query_one("#reply-variables", Vertical)
        await box.remove_children()
        for v in self.template.variables:
            label = f"{v.name}{' (required)' if v.required else ''}: {v.description}"
            await box.mount(Label(label), Input(id=f"var-{v.name}", placeholder=v.name))
        self.refresh_preview()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter on a template: on to its first variable, if it has one."""
        first = self.query_one("#reply-variables", Vertical).query(Input)
        if first:
            first.first().focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.refresh_preview()

    def variables(self) -> dict[str, str]:
        return {i.id.removeprefix("var-"): i.value for i in self.query(Input) if i.id and i.value}

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
        act = self.service.replies.submit if how == "submit" else self.service.replies.send
        try:
            reply = act(self.key, self.template.id, self.variables())
        except (CrisisConsoleError, ValueError) as exc:
            self.notify(str(exc), title=f"Could not {how}", severity="error", timeout=10)
            return
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
        self.app.pop_screen()
