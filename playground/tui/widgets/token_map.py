"""A response shown token by token: coloured by probability (the heatmap), with a token cursor."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.visual import Visual
from textual.widget import Widget
from textual.widgets import Label

from playground.tui.probabilities import HEAT_BANDS, UNKNOWN_STYLE, TokenPiece
from playground.tui.widgets.token_lines import TokenLines
from playground.tui.widgets.windowed_highlighting import FRAME_CSS


class TokenText(Widget):
    """The tokens' lines inside a ``TokenMap``, drawn from ``TokenLines``: only the lines on
    screen are asked for, and only the lines that changed are drawn again. A click on a
    token runs its ``@click`` action here, which selects that token in the map."""

    DEFAULT_CSS = "TokenText { width: 1fr; height: auto; link-style: none; link-style-hover: underline; }"

    def __init__(self, lines: TokenLines) -> None:
        super().__init__()
        self.lines = lines

    def _draw(self, content: Content, width: int) -> list[Strip]:
        return Visual.to_strips(self, content, width, None, self.visual_style)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        self.lines.render(width, self._draw)
        return self.lines.line_count

    def render_line(self, y: int) -> Strip:
        self.lines.render(self.size.width, self._draw)
        line = self.lines.line(y)
        return Strip.blank(self.size.width, self.visual_style.rich_style) if line is None else line

    def changed(self) -> None:
        """The lines changed: draw the ones on screen again (and lay out when their count changed)."""
        count = self.lines.line_count
        width = self.size.width
        if width:
            self.lines.render(width, self._draw)
        self.refresh(layout=not width or self.lines.line_count != count)

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

    DEFAULT_CSS = f"TokenMap {{ {FRAME_CSS} }}"

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
        self.lines = TokenLines()
        self.lines.heat = heat
        self.set_reactive(TokenMap.heat, heat)

    def compose(self) -> ComposeResult:
        yield TokenText(self.lines)

    @property
    def pieces(self) -> list[TokenPiece]:
        return self.lines.pieces

    @property
    def shown(self) -> Content:
        """The text as shown, with its styles."""
        return self.lines.content()

    def show(self, pieces: Sequence[TokenPiece]) -> None:
        """Show these tokens (a streaming response's, again each frame: only what changed is drawn again)."""
        self.lines.update(pieces)
        if self.cursor is not None and self.cursor >= len(pieces):
            self.set_reactive(TokenMap.cursor, len(pieces) - 1 if pieces else None)
            self.lines.cursor = self.cursor
            self.lines.restyle(self.cursor)
        self._redraw()

    def watch_heat(self, heat: bool) -> None:
        self.lines.heat = heat
        self.lines.restyle_all()
        self._redraw()

    def watch_cursor(self, old: int | None, cursor: int | None) -> None:
        self.lines.cursor = cursor
        self.lines.restyle(old, cursor)
        self._redraw()
        if cursor is not None:
            self.call_after_refresh(self._scroll_to_cursor)
            self.post_message(self.CursorMoved(self, cursor))

    def _redraw(self) -> None:
        if self.is_mounted:
            self.query_one(TokenText).changed()

    def _scroll_to_cursor(self) -> None:
        if self.cursor is None or self.cursor >= len(self.pieces):
            return
        self.scroll_to_region(Region(0, self.lines.line_of(self.cursor), 1, 1), animate=False, immediate=True)

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
        starts = self.lines.line_start_tokens()
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
