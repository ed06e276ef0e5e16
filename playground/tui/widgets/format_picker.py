"""The response format picker: text, JSON, JSON Schema, regex or grammar, with an editor for the
schema, pattern or grammar that is checked as you type."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Label, Select, TextArea

from playground.response_format import (
    FORMAT_TYPES,
    LABELS,
    RESPONSE_FORMAT_HELP,
    VALUED_TYPES,
    FormatError,
    ResponseFormat,
    check_response_format,
)
from playground.tui.safe_text import plain

PLACEHOLDERS = {"json_schema": '{"type": "object", "properties": {…}}', "regex": "[a-z_][a-z0-9_]*",
                "grammar": 'start: expr   (Lark), or  root ::= "yes" | "no"   (GBNF)'}


class FormatPicker(Vertical):
    """How to format the response. Picking a type or editing the value checks it at once: a
    problem shows under the editor in one line, as plain text, and the last valid format stays;
    each new valid format is posted as ``Changed``."""

    DEFAULT_CSS = """
    FormatPicker {
        height: auto;
        & > Horizontal { height: 3; }
        & > Horizontal > Label { width: 19; padding: 1 1 0 0; }
        & #format-type { width: 1fr; }
        & #format-value { height: 6; background: $surface; }
        & #format-problem { color: $text-error; height: auto; }
    }
    """

    class Changed(Message):
        """The user chose a valid format ``response_format``."""

        def __init__(self, picker: FormatPicker, response_format: ResponseFormat) -> None:
            super().__init__()
            self.picker = picker
            self.response_format = response_format

        @property
        def control(self) -> FormatPicker:
            return self.picker

    def __init__(self, response_format: ResponseFormat) -> None:
        super().__init__(id="format-picker")
        self.response_format = response_format
        self.problem = ""

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label("format").with_tooltip(RESPONSE_FORMAT_HELP)
            yield Select([(LABELS[kind], kind) for kind in FORMAT_TYPES], value=self.response_format.type,
                         allow_blank=False, id="format-type")
        yield TextArea(self.response_format.value or "", id="format-value", soft_wrap=True,
                       placeholder=PLACEHOLDERS.get(self.response_format.type, ""))
        yield Label("", id="format-problem")

    def on_mount(self) -> None:
        self._show_editor(self.response_format.type)

    def set_format(self, response_format: ResponseFormat) -> None:
        """Show ``response_format`` (a preset, a session, the other column) without posting."""
        self.response_format = response_format
        with self.prevent(Select.Changed, TextArea.Changed):
            self.query_one("#format-type", Select).value = response_format.type
            editor = self.query_one("#format-value", TextArea)
            if response_format.value is not None and editor.text != response_format.value:
                editor.load_text(response_format.value)
        self._show_problem("")
        self._show_editor(response_format.type)

    def _show_editor(self, kind: str) -> None:
        editor = self.query_one("#format-value", TextArea)
        editor.display = kind in VALUED_TYPES
        editor.placeholder = PLACEHOLDERS.get(kind, "")

    def _show_problem(self, problem: str) -> None:
        self.problem = problem
        label = self.query_one("#format-problem", Label)
        label.update(plain(problem))
        label.display = bool(problem)

    @on(Select.Changed, "#format-type")
    @on(TextArea.Changed, "#format-value")
    def _edited(self, event: Message) -> None:
        event.stop()
        kind = str(self.query_one("#format-type", Select).value)
        self._show_editor(kind)
        value = self.query_one("#format-value", TextArea).text if kind in VALUED_TYPES else None
        try:
            chosen = check_response_format({"type": kind, "value": value})
        except FormatError as error:
            self._show_problem(str(error))
            return
        self._show_problem("")
        if chosen != self.response_format:
            self.response_format = chosen
            self.post_message(self.Changed(self, chosen))
