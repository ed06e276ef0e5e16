"""The small modal that asks one question and reads one line back: the question above a box,
enter answers, escape cancels. ``NamePrompt`` and ``PathPrompt`` are its two kinds."""

from __future__ import annotations

from typing import ClassVar, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from playground.tui.safe_text import plain

AnswerType = TypeVar("AnswerType")


class TextPrompt(ModalScreen[AnswerType | None]):
    """Shows ``question`` and the box ``make_box`` gives (holding ``default``). Enter dismisses
    with ``answer(text)`` of the text typed (stripped); an empty one keeps the prompt open, a slip
    rather than a choice, and says ``EMPTY_HINT``. Subclasses bind escape to ``dismiss(None)``
    under their own binding id (the keymap names them)."""

    EMPTY_HINT: ClassVar[str] = "Type an answer, or press escape to cancel."
    DEFAULT_CSS = """
    TextPrompt { align: center middle; }
    TextPrompt > Vertical { height: auto; border: thick $primary; background: $surface; padding: 1 2; }
    TextPrompt Label { margin-bottom: 1; }
    """

    def __init__(self, question: str, default: str = "") -> None:
        super().__init__()
        self.question = question
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question_label())
            yield self.make_box()

    def question_label(self) -> Content:
        """The question, as text (it may name a user's file)."""
        return plain(self.question)

    def make_box(self) -> Input:
        raise NotImplementedError

    def answer(self, text: str) -> AnswerType:
        raise NotImplementedError

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            self.notify(self.EMPTY_HINT, severity="warning")
            return
        self.dismiss(self.answer(text))
