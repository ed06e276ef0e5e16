"""A small modal that asks for a name (save as, rename, save preset) or a yes/no."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from playground.tui.safe_text import plain
from playground.tui.screens.text_prompt import TextPrompt
from playground.tui.widgets.value_box import ValueBox


class NamePrompt(TextPrompt[str]):
    """Enter submits the name (an empty one keeps the prompt open); escape cancels (None)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel", id="prompt.cancel")]
    EMPTY_HINT = "Type a name, or press escape to cancel."
    DEFAULT_CSS = "NamePrompt > Vertical { width: 70; }"

    def make_box(self) -> Input:
        return ValueBox(self.default, id="name-input", select_on_focus=True)  # keys in order, however fast

    def answer(self, text: str) -> str:
        return text


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
