"""Stop sequences as an editable list. Typed escapes (\\n, \\t) become the real characters."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Label, ListItem, ListView

from playground.params import escape, unescape
from playground.tui.safe_text import plain


class StopListView(ListView):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("delete,backspace", "remove_selected", "Remove stop", id="stop.remove"),
    ]

    def action_remove_selected(self) -> None:
        if self.index is not None and isinstance(self.parent, StopList):
            self.parent.remove_at(self.index)


class StopList(Vertical):
    """Add a stop with enter in the box; remove the highlighted one with delete."""

    DEFAULT_CSS = """
    StopList {
        height: auto;
        & > Label { padding: 0 0 0 0; }
        & > StopListView { height: auto; max-height: 6; background: $surface; }
        & > Input { width: 1fr; }
    }
    """

    class Changed(Message):
        def __init__(self, stops: tuple[str, ...]) -> None:
            super().__init__()
            self.stops = stops

    def __init__(self, stops: tuple[str, ...]) -> None:
        super().__init__(id="stop-list")
        self.stops = stops

    def compose(self) -> ComposeResult:
        yield Label("stop sequences").with_tooltip("Generation ends at any of these; type \\n for a newline")
        yield StopListView(*self._items(), id="stop-items")
        yield Input(placeholder="add a stop (\\n = newline), enter", id="input-stop")

    def _items(self) -> list[ListItem]:
        return [ListItem(Label(plain(escape(stop)))) for stop in self.stops]

    def set_stops(self, stops: tuple[str, ...], *, notify: bool = False) -> None:
        self.stops = tuple(stops)
        view = self.query_one(StopListView)
        view.clear()
        view.extend(self._items())
        if notify:
            self.post_message(self.Changed(self.stops))

    def remove_at(self, index: int) -> None:
        self.set_stops(self.stops[:index] + self.stops[index + 1:], notify=True)

    @on(Input.Submitted, "#input-stop")
    def _add(self, event: Input.Submitted) -> None:
        event.stop()
        stop = unescape(event.value)
        event.input.value = ""
        if stop and stop not in self.stops:
            self.set_stops((*self.stops, stop), notify=True)
