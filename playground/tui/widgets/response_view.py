"""A response as it streams: highlighted in the prompt's language, following the end."""

from __future__ import annotations

from textual.geometry import Offset
from textual.widgets.text_area import Selection

from playground.tui.widgets.windowed_highlighting import WindowedHighlighting
from playground.visible import printable  # a model's stray control byte shown, never sent

__all__ = ["ResponseView", "printable"]


class ResponseView(WindowedHighlighting):
    """Read-only code view that appends batches of text. It keeps to the end while the user
    is there, and stays put once they scroll up. In FIM mode it shows prefix + fill + suffix,
    the fill growing in place and selected (highlighted) when done."""

    DEFAULT_CSS = """
    ResponseView {
        &.-diverged { border: tall $warning; }
    }
    """

    def __init__(self, index: int, *, language: str = "python", theme: str = "monokai") -> None:
        super().__init__("", language=language, theme=theme, read_only=True, soft_wrap=True,
                         show_line_numbers=False, id=f"response-{index}", max_checkpoints=1,
                         highlight_cursor_line=False)
        self.index = index
        self._appending = False
        self.fill_start = 0  # document offset where streamed text goes
        self.streamed = ""
        self.border_title = f"response {index + 1}" if index else "response"

    def start(self, before: str = "", after: str = "") -> None:
        """Clear, then show ``before`` and ``after`` with the stream going between them."""
        self.load_text(printable(before + after))
        self.fill_start = len(before)
        self.streamed = ""
        self.border_subtitle = ""

    def append(self, text: str) -> None:
        if not text:
            return
        following = self.scroll_y >= self.max_scroll_y - 1
        location = self.location_at(self.fill_start + len(self.streamed))
        self._appending = True
        try:
            self.insert(printable(text), location, maintain_selection_offset=True)
        finally:
            self._appending = False
        self.streamed += text  # the real text, for copying and sessions
        if following:
            self.scroll_end(animate=False, immediate=True)

    def scroll_cursor_visible(self, center: bool = False, animate: bool = False) -> Offset:
        # An insert moves the cursor along; that must not drag a reader back down the page.
        if self._appending:
            return Offset()
        return super().scroll_cursor_visible(center, animate)

    def mark_divergence(self, start: int, length: int, token_index: int) -> None:
        """Highlight the first token that differs from the other column (``token_index`` from 0,
        said from 1 as the inspector and the runs list count)."""
        self.add_class("-diverged")
        self.border_subtitle = str(self.border_subtitle or "") + f" · diverges at token {token_index + 1}"
        end = min(start + length, len(self.streamed))
        self.selection = Selection(self.location_at(self.fill_start + start),
                                   self.location_at(self.fill_start + end))

    def highlight_fill(self) -> None:
        start = self.location_at(self.fill_start)
        end = self.location_at(self.fill_start + len(self.streamed))
        self.selection = Selection(start, end)
