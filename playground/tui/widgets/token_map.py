"""A response shown token by token: coloured by probability (the heatmap), with a token cursor."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content, Span
from textual.geometry import Region
from textual.message import Message
from textual.reactive import reactive
from textual.style import Style
from textual.widgets import Label, Static

from playground.tui.probabilities import HEAT_BANDS, UNKNOWN_STYLE, TokenPiece, band_of
from playground.tui.widgets.windowed_highlighting import FRAME_CSS
from playground.visible import printable

#: How a token with no text of its own (a special token, part of a split character) shows.
EMPTY_TOKEN = "·"
CURSOR_STYLE = "reverse underline"


def token_content(pieces: Sequence[TokenPiece], *, heat: bool, cursor: int | None) -> Content:
    """The tokens as one text, each a span that a click selects (``select_token(i)``), coloured by
    its heatmap band when ``heat`` is on, the one under ``cursor`` reversed. The model's text is
    never read as markup: it goes in as the text, the styles as spans."""
    parts: list[str] = []
    spans: list[Span] = []
    start = 0
    for piece in pieces:
        text = printable(piece.text) or EMPTY_TOKEN
        end = start + len(text)
        parts.append(text)
        spans.append(Span(start, end, Style.from_meta({"@click": f"select_token({piece.index})"})))
        if heat:
            band = band_of(piece.info)
            spans.append(Span(start, end, band.style if band is not None else UNKNOWN_STYLE))
        if piece.index == cursor:
            spans.append(Span(start, end, CURSOR_STYLE))
        start = end
    return Content("".join(parts), spans=spans)


class TokenText(Static):
    """The tokens' text inside a ``TokenMap``: a click on a token runs its ``@click`` action here,
    which selects that token in the map."""

    def action_select_token(self, index: int) -> None:
        self.query_ancestor(TokenMap).action_select_token(index)


class TokenMap(VerticalScroll, can_focus=True):
    """A response as its tokens. ``left``/``right`` move the token cursor, ``up``/``down`` by a
    line, ``home``/``end`` to the first and last token; a click puts it on a token. Posts
    ``TokenMap.CursorMoved``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "move(-1)", "Previous token", show=False, id="token-map.previous"),
        Binding("right", "move(1)", "Next token", show=False, id="token-map.next"),
        Binding("up", "move_line(-1)", "Token a line up", show=False, id="token-map.line-up"),
        Binding("down", "move_line(1)", "Token a line down", show=False, id="token-map.line-down"),
        Binding("home", "select_token(0)", "First token", show=False, id="token-map.first"),
        Binding("end", "select_token(-1)", "Last token", show=False, id="token-map.last"),
    ]

    DEFAULT_CSS = f"""
    TokenMap {{
        {FRAME_CSS}
        & > TokenText {{ width: 1fr; height: auto; link-style: none; link-style-hover: underline; }}
    }}
    """

    heat: reactive[bool] = reactive(True, init=False)
    """Colour each token by its probability."""

    cursor: reactive[int | None] = reactive(None, init=False)
    """The token under the cursor (None: none yet)."""

    @dataclass
    class CursorMoved(Message):
        """The token cursor moved to ``index``."""

        token_map: TokenMap
        index: int

        @property
        def control(self) -> TokenMap:
            return self.token_map

    def __init__(self, *, heat: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.pieces: list[TokenPiece] = []
        self.set_reactive(TokenMap.heat, heat)

    def compose(self) -> ComposeResult:
        yield TokenText()

    def show(self, pieces: Sequence[TokenPiece]) -> None:
        """Show these tokens (a streaming response's, again each frame)."""
        self.pieces = list(pieces)
        if self.cursor is not None and self.cursor >= len(self.pieces):
            self.set_reactive(TokenMap.cursor, len(self.pieces) - 1 if self.pieces else None)
        self._render_tokens()

    def watch_heat(self) -> None:
        self._render_tokens()

    def watch_cursor(self, cursor: int | None) -> None:
        self._render_tokens()
        if cursor is not None:
            self.call_after_refresh(self._scroll_to_cursor)
            self.post_message(self.CursorMoved(self, cursor))

    def _render_tokens(self) -> None:
        if self.is_mounted:
            self.query_one(TokenText).update(token_content(self.pieces, heat=self.heat, cursor=self.cursor))

    def _scroll_to_cursor(self) -> None:
        if self.cursor is None or not self.pieces:
            return
        before = "".join(printable(p.text) or EMPTY_TOKEN for p in self.pieces[: self.cursor])
        width = max(self.scrollable_content_region.width, 1)
        line = len(Content(before).wrap(width)) - 1 if before else 0
        self.scroll_to_region(Region(0, line, 1, 1), animate=False, immediate=True)

    def action_select_token(self, index: int) -> None:
        if self.pieces:
            self.cursor = index % len(self.pieces)
            self.focus()

    def action_move(self, step: int) -> None:
        if self.pieces:
            start = -1 if self.cursor is None else self.cursor
            self.cursor = min(max(start + step, 0), len(self.pieces) - 1)

    def action_move_line(self, step: int) -> None:
        """To the first token of the next (``step`` 1) or previous (-1) line."""
        if not self.pieces:
            return
        starts = [0] + [p.index + 1 for p in self.pieces[:-1] if "\n" in p.text]
        at = 0 if self.cursor is None else self.cursor
        line = max(i for i, s in enumerate(starts) if s <= at)
        self.cursor = starts[min(max(line + step, 0), len(starts) - 1)]


class HeatLegend(Horizontal):
    """What the heatmap's colours mean: one swatch per probability band."""

    DEFAULT_CSS = """
    HeatLegend {
        height: 1;
        width: 1fr;
        & > Label { padding: 0 1 0 0; }
    }
    """

    def compose(self) -> ComposeResult:
        yield Label("probability:", classes="legend-title")
        for band in HEAT_BANDS:
            yield Label(Content.styled(f" {band.label} ", band.style))
        yield Label(Content.styled(" unknown ", UNKNOWN_STYLE))
