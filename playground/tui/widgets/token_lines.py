"""A response's tokens laid out in lines for the heatmap, kept up to date piece by piece.

The text is cut at its newlines into paragraphs; each paragraph keeps its ``Content`` and the
lines it wraps to at the width last rendered. A streamed token changes the last paragraph only,
a cursor move the one or two paragraphs of the tokens it leaves and reaches: only those are
styled and wrapped again, so the work per frame and per key does not grow with the response.
(A ``Static`` holding the whole text re-wrapped and re-rendered all of it, every frame.)
Paragraphs are wrapped separately, which is what wrapping the whole text does: a newline always
ends a line. Hand-written: Textual's ``Log`` appends lines but styles none of them, and a
``TextArea`` has no per-token spans or click targets.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from textual.content import Content, Span
from textual.strip import Strip
from textual.style import Style

from playground.tui.probabilities import UNKNOWN_STYLE, TokenPiece, band_of
from playground.visible import printable

#: How a token with no text of its own (a special token, part of a split character) shows.
EMPTY_TOKEN = "·"
CURSOR_STYLE = "reverse underline"

#: Renders a paragraph's content to its lines at a width (the widget's own styles apply).
Render = Callable[[Content, int], list[Strip]]


def shown_text(piece: TokenPiece) -> str:
    """A token's text as the map shows it: control characters as pictures, an empty one as a dot."""
    return printable(piece.text) or EMPTY_TOKEN


def token_styles(piece: TokenPiece, *, heat: bool, cursor: int | None) -> list[str | Style]:
    """A token's spans' styles: the click that selects it, its heatmap band, the cursor."""
    styles: list[str | Style] = [Style.from_meta({"@click": f"select_token({piece.index})"})]
    if heat:
        band = band_of(piece.info)
        styles.append(band.style if band is not None else UNKNOWN_STYLE)
    if piece.index == cursor:
        styles.append(CURSOR_STYLE)
    return styles


@dataclass
class Paragraph:
    """One line of the text between newlines: ``(token index, text)`` parts (a token that holds
    a newline has a part on each side of it), and once rendered its content and lines."""

    parts: list[tuple[int, str]] = field(default_factory=list)
    content: Content | None = None
    lines: list[Strip] = field(default_factory=list)


class TokenLines:
    """The tokens of a response as paragraphs of rendered lines. ``update`` takes the tokens
    (again, each frame), ``restyle`` marks tokens to draw again (the cursor's), ``render``
    brings the lines up to date at a width; ``rendered`` counts the paragraphs drawn."""

    def __init__(self) -> None:
        self.pieces: list[TokenPiece] = []
        self.paragraphs: list[Paragraph] = [Paragraph()]
        self.first_paragraph: list[int] = []  # per token: the paragraph it starts in
        self.newline_tokens: list[int] = []  # the tokens that hold a newline, in order
        self.line_starts: list[int] = [0, 0]  # per paragraph its first line; the last is the count
        self.dirty: set[int] = {0}
        self.width = 0
        self.heat = True
        self.cursor: int | None = None
        self.rendered = 0

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
        last = self.paragraphs[keep]
        last.parts = [part for part in last.parts if part[0] < same]
        del self.first_paragraph[same:]
        self.newline_tokens = [index for index in self.newline_tokens if index < same]
        self.pieces = list(pieces)
        for piece in self.pieces[same:]:
            self.first_paragraph.append(len(self.paragraphs) - 1)
            first, *rest = shown_text(piece).split("\n")
            self.paragraphs[-1].parts.append((piece.index, first))
            if rest:
                self.newline_tokens.append(piece.index)
            self.paragraphs += [Paragraph([(piece.index, text)]) for text in rest]
        self.dirty = {index for index in self.dirty if index < keep} | set(range(keep, len(self.paragraphs)))
        del self.line_starts[keep + 1:]

    def restyle(self, *tokens: int | None) -> None:
        """Draw these tokens again (their styles changed)."""
        for token in tokens:
            if token is not None and 0 <= token < len(self.pieces):
                end = self.first_paragraph[token + 1] if token + 1 < len(self.pieces) else len(self.paragraphs) - 1
                self.dirty.update(range(self.first_paragraph[token], end + 1))

    def restyle_all(self) -> None:
        self.dirty.update(range(len(self.paragraphs)))

    def render(self, width: int, render: Render) -> None:
        """Bring the lines up to date at ``width`` (all of them when it changed)."""
        if width != self.width:
            self.width = width
            self.restyle_all()
        if not self.dirty:
            return
        for index in self.dirty:
            paragraph = self.paragraphs[index]
            paragraph.content = self._content(paragraph)
            paragraph.lines = render(paragraph.content, width) if width > 0 else []
            self.rendered += 1
        del self.line_starts[min(self.dirty) + 1:]
        for paragraph in self.paragraphs[len(self.line_starts) - 1:]:
            self.line_starts.append(self.line_starts[-1] + max(len(paragraph.lines), 1))
        self.dirty.clear()

    def _content(self, paragraph: Paragraph) -> Content:
        parts: list[str] = []
        spans: list[Span] = []
        start = 0
        for index, text in paragraph.parts:
            if not text:  # the rest of a token after its newline, when it ends there
                continue
            end = start + len(text)
            parts.append(text)
            spans += [Span(start, end, style)
                      for style in token_styles(self.pieces[index], heat=self.heat, cursor=self.cursor)]
            start = end
        return Content("".join(parts), spans=spans)

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
        before = "".join(text for part_token, text in self.paragraphs[index].parts if part_token < token)
        within = len(Content(before).wrap(max(self.width, 1))) - 1 if before else 0
        return self.line_starts[index] + within

    def content(self) -> Content:
        """The whole text as shown, each paragraph's styles on it (what the lines were drawn from)."""
        return Content("\n").join(p.content if p.content is not None else Content() for p in self.paragraphs)

    def line_start_tokens(self) -> list[int]:
        """The first token of each line of the text: the first, and each after a newline."""
        return [0] + [index + 1 for index in self.newline_tokens if index + 1 < len(self.pieces)]
