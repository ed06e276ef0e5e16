"""The prompt exactly as the model receives it: the formatted text and its tokens, id by id."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, TextArea

from playground.params import escape
from playground.runtime.tokens import PromptTokens
from playground.tui.safe_text import plain, plain_text


def visible(text: str) -> str:
    """A token's text with its whitespace visible: ``\\n``, ``\\t`` and ``␠``."""
    return escape(text).replace(" ", "␠")


class TokensScreen(ModalScreen[None]):
    """The formatted prompt (the fill-in-the-middle form with its special tokens) above a
    table of every token the model reads: position, id, vocabulary entry, text."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,f9,q", "dismiss", "Close", id="tokens.close")]
    DEFAULT_CSS = """
    TokensScreen { align: center middle; }
    TokensScreen > Vertical { width: 95%; height: 90%; border: thick $primary; background: $surface; }
    TokensScreen #formatted { height: 2fr; }
    TokensScreen DataTable { height: 3fr; }
    """

    def __init__(self, tokens: PromptTokens) -> None:
        super().__init__()
        self.tokens = tokens

    def compose(self) -> ComposeResult:
        tokens = self.tokens
        with Vertical():
            yield Label(plain(f"{len(tokens.ids):,} tokens · the text the model reads (escape closes):"))
            yield TextArea(tokens.text, read_only=True, soft_wrap=True, id="formatted")
            yield DataTable(cursor_type="row", zebra_stripes=True, id="token-table")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("#", "id", "token", "text")
        tokens = self.tokens
        for position, (token_id, token, text) in enumerate(zip(tokens.ids, tokens.tokens, tokens.texts)):
            table.add_row(str(position), str(token_id), plain_text(token), plain_text(visible(text)))
        table.focus()
