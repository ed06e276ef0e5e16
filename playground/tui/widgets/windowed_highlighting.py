"""Syntax highlighting for the rows near the viewport only.

TextArea rebuilds its highlight map from a query over the whole syntax tree on every edit:
about 75 ms for a 16k-token document, so a streaming response or a long prompt stalls the UI.
This base class bounds that query to a window of rows around what is visible (tree-sitter takes
a point range) and rebuilds when scrolling leaves the window. The highlight loop itself stays
TextArea's own.

Textual has no public hook for this: it overrides TextArea's private ``_build_highlight_map``
and ``_watch_scroll_y`` and narrows the document's public ``query_syntax_tree`` while the map is
built. So pyproject pins Textual to the major version this was checked on
(``TESTED_TEXTUAL_MAJOR``), and a test fails loudly on another one.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Offset
from textual.widgets import TextArea
from textual.widgets.text_area import Document, Location

from playground.tui.widgets.value_box import run_own_binding

#: Rows highlighted above and below the viewport, so scrolling a little needs no rebuild.
MARGIN_ROWS = 120
#: The Textual major version whose TextArea internals this was checked against.
TESTED_TEXTUAL_MAJOR = 8
#: The frame the editor and the responses (text or heatmap) share: a titled border that lights up with focus.
FRAME_CSS = """
    height: 1fr;
    border: tall $panel;
    border-title-color: $text-accent;
    border-subtitle-color: $text-muted;
    &:focus { border: tall $primary; }
"""


class WindowedHighlighting(TextArea):
    """A TextArea that highlights only the rows near its viewport; the editor and the
    responses share its frame: a titled border that lights up with focus. ``ctrl+a`` selects
    everything (``home`` still goes to the line's start), and editing keys run in the order
    they were typed, however fast (see ``value_box``)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+a", "select_all", "Select all", show=False, tooltip="Select the whole text"),
    ]

    DEFAULT_CSS = f"WindowedHighlighting {{ {FRAME_CSS} }}"

    async def _on_key(self, event: events.Key) -> None:
        if not await run_own_binding(self, event):
            await super()._on_key(event)

    def location_at(self, index: int) -> Location:
        """The (row, column) of a character offset into the text."""
        return self._text_document().get_location_from_index(index)

    def index_at(self, location: Location) -> int:
        """The character offset of a (row, column) in the text."""
        return self._text_document().get_index_from_location(location)

    def _text_document(self) -> Document:
        document = self.document
        if not isinstance(document, Document):  # TextArea only ever holds a Document (or a subclass)
            raise TypeError(f"{type(self).__name__} holds a {type(document).__name__}, not a text document")
        return document

    _highlighted_rows: tuple[int, int] = (0, -1)

    def _viewport_rows(self) -> tuple[int, int]:
        top = self.wrapped_document.offset_to_location(Offset(0, int(self.scroll_y)))[0]
        # A document row takes at least one screen row, so this many rows always cover the view.
        return top, top + self.size.height

    def _build_highlight_map(self) -> None:
        top, bottom = self._viewport_rows()
        window = (max(0, top - MARGIN_ROWS), bottom + MARGIN_ROWS)
        self._highlighted_rows = window
        document = self.document
        query_all = document.query_syntax_tree

        def query_window(query: Any, start_point: Any = None, end_point: Any = None) -> Any:
            return query_all(query, (window[0], 0), (window[1], 0))

        document.query_syntax_tree = query_window  # type: ignore[method-assign]
        try:
            super()._build_highlight_map()
        finally:
            del document.query_syntax_tree

    def _watch_scroll_y(self) -> None:
        super()._watch_scroll_y()
        top, bottom = self._viewport_rows()
        first, last = self._highlighted_rows
        if top < first or bottom > last:
            self._build_highlight_map()
            self.refresh()
