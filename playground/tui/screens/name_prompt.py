"""A small modal that asks for a name (save as, rename, save preset) or a yes/no."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from playground.tui.safe_text import plain
from playground.tui.widgets.value_box import ValueBox


class NamePrompt(ModalScreen[str | None]):
    """Enter submits the name (an empty one keeps the prompt open); escape cancels (None)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel", id="prompt.cancel")]
    DEFAULT_CSS = """
    NamePrompt { align: center middle; }
    NamePrompt > Vertical { width: 70; height: auto; border: thick $primary; background: $surface; padding: 1 2; }
    NamePrompt Label { margin-bottom: 1; }
    """

    def __init__(self, question: str, default: str = "") -> None:
        super().__init__()
        self.question = question
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(plain(self.question))
            yield ValueBox(self.default, id="name-input", select_on_focus=True)  # keys in order, however fast

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        name = event.value.strip()
        if not name:  # an empty name is a slip, not a choice: stay open (escape cancels)
            self.notify("Type a name, or press escape to cancel.", severity="warning")
            return
        self.dismiss(name)


class Confirm(ModalScreen[bool]):
    """y confirms, n or escape declines."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "dismiss(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "dismiss(False)", "No", id="confirm.no"),
    ]
    DEFAULT_CSS = """
    Confirm { align: center middle; }
    Confirm > Label { width: 70; border: thick $error; background: $surface; padding: 1 2; }
    """

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        yield Label(Content.assemble(plain(self.question), "  ", ("y", "bold"), "/", ("n", "bold")))
