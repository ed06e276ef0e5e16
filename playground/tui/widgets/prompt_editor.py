"""The prompt editor: a code editor that also marks the hole for fill-in-the-middle."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual import on
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import TextArea

from playground.runtime.prompts import FILL_MARKER, split_at_marker
from playground.tui.state import PlaygroundState
from playground.tui.widgets.windowed_highlighting import WindowedHighlighting

#: How long typing must pause before a long prompt is tokenized again for the count.
COUNT_DELAY_S = 0.2


@dataclass(frozen=True)
class TokenCounter:
    """How the loaded model counts a prompt's tokens, and its context window."""

    count: Callable[[str], int]
    context_window: int


class PromptEditor(WindowedHighlighting):
    """A TextArea with line numbers and highlighting. Its title says the mode and language, its
    subtitle the prompt's tokens against the context window once a model is loaded. In FIM mode
    the hole is the first ``<FILL>`` marker in the text, or the cursor when there is none."""

    state: reactive[PlaygroundState] = reactive(PlaygroundState, init=False)
    """The playground's state, bound to the app's: FIM mode and the language."""

    counter: reactive[TokenCounter | None] = reactive(None, init=False)
    """The loaded model's token counter (None until a model has loaded), bound to the app's."""

    def __init__(self, text: str = "", *, state: PlaygroundState, theme: str = "monokai") -> None:
        super().__init__(text, language=state.language, theme=theme, soft_wrap=False, tab_behavior="indent",
                         show_line_numbers=True, id="prompt",
                         placeholder="Write code for StarCoder2 to continue, then press F5 "
                                     "(tab indents; F6 or shift+tab moves on)")
        self.set_reactive(PromptEditor.state, state)
        self._count_timer: Timer | None = None

    def on_mount(self) -> None:
        self._show_title()
        self._show_count()

    def watch_state(self, state: PlaygroundState) -> None:
        if self.language != state.language:
            self.language = state.language
        self._show_title()

    def watch_counter(self) -> None:
        self._show_count()

    @on(TextArea.Changed)
    def _edited(self) -> None:
        # Debounced: a long prompt is tokenized once typing pauses, not once per key.
        if self._count_timer is not None:
            self._count_timer.stop()
        self._count_timer = self.set_timer(COUNT_DELAY_S, self._show_count, name="count-tokens")

    def _show_title(self) -> None:
        mode = f"fill-in-the-middle (hole: {FILL_MARKER} or cursor)" if self.state.fim else "prompt"
        self.border_title = f"{mode} · {self.language or 'text'}"

    def _show_count(self) -> None:
        if self.counter is not None:
            self.border_subtitle = f"{self.counter.count(self.text):,} / {self.counter.context_window:,} tokens"

    def split_at_hole(self) -> tuple[str, str]:
        """(prefix, suffix) around the FIM hole."""
        hole = split_at_marker(self.text)
        if hole is not None:
            return hole
        offset = self.index_at(self.cursor_location)
        return self.text[:offset], self.text[offset:]

    def insert_fill(self, fill: str) -> None:
        """Put a generated fill into the hole (replacing the marker if there is one)."""
        text = self.text
        if FILL_MARKER in text:
            start = self.location_at(text.index(FILL_MARKER))
            end = self.location_at(text.index(FILL_MARKER) + len(FILL_MARKER))
            self.replace(fill, start, end)
        else:
            self.insert(fill)
