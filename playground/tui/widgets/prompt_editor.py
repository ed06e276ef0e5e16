"""The prompt editor: a code editor that also marks the hole for fill-in-the-middle."""

from __future__ import annotations

from playground.tui.widgets.windowed_highlighting import WindowedHighlighting

FILL_MARKER = "<FILL>"


class PromptEditor(WindowedHighlighting):
    """A TextArea with line numbers and highlighting. In FIM mode the hole is the first
    ``<FILL>`` marker in the text, or the cursor when there is none."""

    DEFAULT_CSS = """
    PromptEditor {
        height: 1fr;
        border: tall $panel;
        border-title-color: $text-accent;
        border-subtitle-color: $text-muted;
        &:focus { border: tall $primary; }
    }
    """

    def __init__(self, text: str = "", *, language: str = "python", theme: str = "monokai") -> None:
        super().__init__(text, language=language, theme=theme, soft_wrap=False, tab_behavior="indent",
                         show_line_numbers=True, id="prompt",
                         placeholder="Write code for StarCoder2 to continue, then press F5")

    def split_at_hole(self) -> tuple[str, str]:
        """(prefix, suffix) around the FIM hole."""
        text = self.text
        if FILL_MARKER in text:
            prefix, _, suffix = text.partition(FILL_MARKER)
            return prefix, suffix
        offset = self.document.get_index_from_location(self.cursor_location)
        return text[:offset], text[offset:]

    def insert_fill(self, fill: str) -> None:
        """Put a generated fill into the hole (replacing the marker if there is one)."""
        text = self.text
        if FILL_MARKER in text:
            start = self.document.get_location_from_index(text.index(FILL_MARKER))
            end = self.document.get_location_from_index(text.index(FILL_MARKER) + len(FILL_MARKER))
            self.replace(fill, start, end)
        else:
            self.insert(fill)
