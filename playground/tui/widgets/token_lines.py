"""A response's tokens laid out in lines for the heatmap, kept up to date piece by piece.

The text is cut at its newlines into paragraphs (``wrapped_paragraph.Paragraph``); each keeps
the lines it wraps to at the width last rendered, with the text offset each starts at. A
streamed token changes the last paragraph only, and within it only its last lines are wrapped
again; a cursor move draws again only the lines of the tokens it leaves and reaches. So the work
per frame and per key does not grow with the response, even when the response is one paragraph
(no newline at all: the demo model's noise, minified JSON). (A ``Static`` holding the whole text
re-wrapped and re-rendered all of it, every frame.) Paragraphs are wrapped separately, which is
what wrapping the whole text does: a newline always ends a line. Hand-written: Textual's ``Log``
appends lines but styles none of them, and a ``TextArea`` has no per-token spans or click
targets.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from textual.content import Content
from textual.strip import Strip
from textual.style import Style

from playground.tui.probabilities import UNKNOWN_STYLE, TokenPiece, band_of
from playground.tui.widgets.wrapped_paragraph import Change, Paragraph, Render
from playground.visible import JOINER, ZERO_WIDTH_SPACE, printable

#: How a token with no text of its own (a special token, part of a split character) shows.
EMPTY_TOKEN = "·"
CURSOR_STYLE = "reverse underline"


def shown_text(piece: TokenPiece) -> str:
    """A token's text as the map shows it: control characters as pictures, an empty one as a dot.
    A joiner that starts a token shows as a zero-width space: after one that ends the token
    before, the two would make a run of joiners (see ``printable``; tokens are shown side by side)."""
    shown = printable(piece.text)
    return (ZERO_WIDTH_SPACE + shown[1:] if shown.startswith(JOINER) else shown) or EMPTY_TOKEN


def token_styles(piece: TokenPiece, *, heat: bool, cursor: int | None) -> list[str | Style]:
    """A token's spans' styles: the click that selects it, its heatmap band, the cursor."""
    styles: list[str | Style] = [Style.from_meta({"@click": f"select_token({piece.index})"})]
    if heat:
        band = band_of(piece.info)
        styles.append(band.style if band is not None else UNKNOWN_STYLE)
    if piece.index == cursor:
        styles.append(CURSOR_STYLE)
    return styles


class TokenLines:
    """The tokens of a response as paragraphs of rendered lines. ``update`` takes the tokens
    (again, each frame), ``restyle`` marks tokens to draw again (the cursor's), ``render``
    brings the lines up to date at a width; ``rendered`` counts the paragraphs drawn and
    ``wrapped`` the characters drawn (wrapped again or restyled)."""

    def __init__(self) -> None:
        self.pieces: list[TokenPiece] = []
        self.paragraphs: list[Paragraph] = [Paragraph()]
        self.first_paragraph: list[int] = []  # per token: the paragraph it starts in
        self.token_offsets: list[int] = []  # per token: where it starts in that paragraph
        self.newline_tokens: list[int] = []  # the tokens that hold a newline, in order
        self.line_starts: list[int] = [0, 0]  # per paragraph its first line; the last is the count
        self.changes: dict[int, Change] = {0: Change(full=True)}
        self.width = 0
        self.heat = True
        self.cursor: int | None = None
        self.rendered = 0
        self.wrapped = 0

    @property
    def line_count(self) -> int:
        return self.line_starts[-1]

    def update(self, pieces: Sequence[TokenPiece]) -> None:
        """Show ``pieces``: those before the first that changed keep their paragraphs."""
        old = self.pieces
        same = 0
        for before, now in zip(old, pieces):  # a streamed frame's pieces are the same objects
            if before is not now and before != now:
                break
            same += 1
        if same == len(old) == len(pieces):
            return
        keep = self.first_paragraph[same] if same < len(old) else len(self.paragraphs) - 1
        del self.paragraphs[keep + 1:]
        changed, appended = self.paragraphs[keep].cut(same)
        change = self.changes.setdefault(keep, Change())
        change.text_from = changed if change.text_from is None else min(change.text_from, changed)
        change.appended = change.appended and appended
        del self.first_paragraph[same:], self.token_offsets[same:]
        self.newline_tokens = [index for index in self.newline_tokens if index < same]
        self.pieces = list(pieces)
        for piece in self.pieces[same:]:
            self.first_paragraph.append(len(self.paragraphs) - 1)
            self.token_offsets.append(len(self.paragraphs[-1].text))
            first, *rest = shown_text(piece).split("\n")
            self.paragraphs[-1].append(piece.index, first)
            if rest:
                self.newline_tokens.append(piece.index)
            for text in rest:
                self.paragraphs.append(Paragraph())
                self.paragraphs[-1].append(piece.index, text)
        self.changes = {index: change for index, change in self.changes.items() if index <= keep}
        self.changes.update({index: Change(full=True) for index in range(keep + 1, len(self.paragraphs))})
        del self.line_starts[keep + 1:]

    def restyle(self, *tokens: int | None) -> None:
        """Draw these tokens again (their styles changed)."""
        for token in tokens:
            if token is not None and 0 <= token < len(self.pieces):
                end = self.first_paragraph[token + 1] if token + 1 < len(self.pieces) else len(self.paragraphs) - 1
                for index in range(self.first_paragraph[token], end + 1):
                    covered = self.paragraphs[index].token_range(token)
                    if covered is not None:
                        self.changes.setdefault(index, Change()).restyled.append(covered)

    def restyle_all(self) -> None:
        self.changes = {index: Change(full=True) for index in range(len(self.paragraphs))}

    def render(self, width: int, render: Render) -> None:
        """Bring the lines up to date at ``width`` (all of them when it changed)."""
        if width != self.width:
            self.width = width
            self.restyle_all()
        if not self.changes:
            return
        for index, change in self.changes.items():
            self.wrapped += self.paragraphs[index].draw(change, width, render, self._styles)
            self.rendered += 1
        del self.line_starts[min(self.changes) + 1:]
        for paragraph in self.paragraphs[len(self.line_starts) - 1:]:
            self.line_starts.append(self.line_starts[-1] + max(len(paragraph.lines), 1))
        self.changes.clear()

    def _styles(self, token: int) -> list[str | Style]:
        return token_styles(self.pieces[token], heat=self.heat, cursor=self.cursor)

    def line(self, y: int) -> Strip | None:
        """Line ``y`` as last rendered (an empty paragraph is a blank line), None past the end."""
        if not 0 <= y < self.line_count:
            return None
        index = bisect_right(self.line_starts, y) - 1
        lines = self.paragraphs[index].lines
        offset = y - self.line_starts[index]
        return lines[offset] if offset < len(lines) else Strip([])

    def line_of(self, token: int) -> int:
        """The line token ``token`` starts on (as last rendered)."""
        index = self.first_paragraph[token]
        return self.line_starts[index] + self.paragraphs[index].line_at(self.token_offsets[token])

    def content(self) -> Content:
        """The whole text as shown, each paragraph's styles on it (what the lines were drawn from)."""
        return Content("\n").join(paragraph.content(self._styles) for paragraph in self.paragraphs)

    def line_start_tokens(self) -> list[int]:
        """The first token of each line of the text: the first, and each after a newline."""
        return [0] + [index + 1 for index in self.newline_tokens if index + 1 < len(self.pieces)]
