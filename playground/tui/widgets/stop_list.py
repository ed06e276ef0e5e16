"""Stop sequences as an editable list. Typed escapes (\\n, \\t) become the real characters."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Label, ListItem, ListView

from playground.params import escape, unescape
from playground.tui.safe_text import plain
from playground.tui.widgets.value_box import ValueBox

#: Shown for a space at either end of a stop sequence, where a plain space would be invisible.
VISIBLE_SPACE = "␠"


def shown_stop(stop: str) -> str:
    """A stop as the list shows it: escapes for newlines and tabs, and spaces at its ends made
    visible (``"  available"`` shows as ``␠␠available``)."""
    text = escape(stop)
    body = text.strip(" ")
    if not body:
        return VISIBLE_SPACE * len(text)
    leading = len(text) - len(text.lstrip(" "))
    trailing = len(text) - len(text.rstrip(" "))
    return VISIBLE_SPACE * leading + body + VISIBLE_SPACE * trailing


class StopListView(ListView):
    """The stops; delete or backspace removes the highlighted one (the first, before any move)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("delete,backspace", "remove_selected", "Remove stop", id="stop.remove"),
    ]

    def on_focus(self) -> None:
        if self.index is None and len(self):
            self.index = 0

    def action_remove_selected(self) -> None:
        index = self.index if self.index is not None else (0 if len(self) else None)
        if index is not None and isinstance(self.parent, StopList):
            self.parent.remove_at(index)


class StopList(Vertical):
    """Add a stop with enter in the box; remove the highlighted one with delete."""

    DEFAULT_CSS = """
    StopList {
        height: auto;
        & > Label { padding: 0 0 0 0; }
        & > StopListView { height: auto; max-height: 6; background: $surface; }
        & > ValueBox { width: 1fr; }
    }
    """

    class Changed(Message):
        def __init__(self, stop_list: StopList, stops: tuple[str, ...]) -> None:
            super().__init__()
            self.stop_list = stop_list
            self.stops = stops

        @property
        def control(self) -> StopList:
            return self.stop_list

    def __init__(self, stops: tuple[str, ...]) -> None:
        super().__init__(id="stop-list")
        self.stops = stops

    def compose(self) -> ComposeResult:
        yield Label("stop sequences").with_tooltip("Generation ends at any of these; type \\n for a newline")
        yield StopListView(*self._items(), id="stop-items")
        yield ValueBox(placeholder="add a stop (\\n = newline), enter", id="input-stop")

    def _items(self) -> list[ListItem]:
        return [ListItem(Label(plain(shown_stop(stop)))) for stop in self.stops]

    def set_stops(self, stops: tuple[str, ...], *, notify: bool = False) -> None:
        """Show ``stops``; the highlight stays on the same row (or the last one, after a removal)."""
        self.stops = tuple(stops)
        view = self.query_one(StopListView)
        index = view.index
        view.clear()
        view.extend(self._items())
        if self.stops:
            view.index = min(index if index is not None else 0, len(self.stops) - 1)
        if notify:
            self.post_message(self.Changed(self, self.stops))

    def remove_at(self, index: int) -> None:
        self.set_stops(self.stops[:index] + self.stops[index + 1:], notify=True)

    @on(ValueBox.Submitted, "#input-stop")
    def _add(self, event: ValueBox.Submitted) -> None:
        event.stop()
        stop = unescape(event.value)
        event.input.value = ""
        if stop and stop not in self.stops:
            self.set_stops((*self.stops, stop), notify=True)
