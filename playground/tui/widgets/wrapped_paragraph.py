"""One paragraph of the heatmap (text between newlines) and its wrapped lines, drawn again in part.

A paragraph can be the whole response (the demo model's noise, minified JSON: no newline at
all), so neither a streamed token nor a cursor move may wrap all of it again. Textual wraps a
``Content`` with Rich's ``divide_line``, greedily, word by word (a word is its non-space run and
the spaces after it; a word wider than the line is folded with ``chop_cells``). A line break at
a *clean* point therefore stays where it is when text after it changes, and wrapping the text
from that point alone gives the lines that follow:

- a word start (a space before, none at it, past the spaces that start the text, which belong to
  the first word): the words before it keep their extent, and the word at it still does not fit
  after them: it can only grow when text is appended, and after other changes it keeps its
  width when a space already ends its run;
- a fold inside a word (two ASCII non-spaces around it: no grapheme joins them): the pieces
  before it are full whatever follows, provided the rest of the word folds the same way alone
  (its trailing spaces do not overflow the line: Rich folds them with the word, a lone word that
  fits keeps them).

Anywhere else (a tab, whose width depends on its column; a fold between other characters; a
width of one cell, where a wide character folds to an empty line that Rich drops at the start of
a text) the paragraph is wrapped again whole. A restyle (the cursor) draws again only the lines the token
covers, and keeps them when they hold the same text, which they do: styles never change widths.
``tests/tui/test_token_lines.py`` checks every case against wrapping the whole text.
Hand-written: Textual has no incremental wrapping.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rich._wrap import divide_line  # what Content._wrap_and_format breaks lines with
from rich.cells import cell_len
from textual.content import Content, Span
from textual.strip import Strip
from textual.style import Style

#: Renders a paragraph's content to its lines at a width (the widget's own styles apply).
Render = Callable[[Content, int], list[Strip]]
#: A token's spans' styles, by token index.
Styles = Callable[[int], Sequence[str | Style]]

SPACE = re.compile(r"\s")
WORD = re.compile(r"\s*\S+\s*")  # Rich's word (rich._wrap.re_word)


@dataclass
class Change:
    """What changed in a paragraph since it was drawn: its text from ``text_from`` on (only added
    to its end when ``appended``), the styles of the text ranges in ``restyled``, or all of it."""

    text_from: int | None = None
    appended: bool = True
    restyled: list[tuple[int, int]] = field(default_factory=list)
    full: bool = False


@dataclass
class Paragraph:
    """``(token index, text)`` parts (a token that holds a newline has a part on each side of it)
    with the offset each starts at, and once drawn its lines with the offset each starts at."""

    parts: list[tuple[int, str]] = field(default_factory=list)
    part_starts: list[int] = field(default_factory=list)
    text: str = ""
    starts: list[int] = field(default_factory=lambda: [0])
    lines: list[Strip] = field(default_factory=list)
    exact: bool = False  # ``starts`` are the lines' (the renderer wraps as Content does)

    def append(self, token: int, text: str) -> None:
        self.parts.append((token, text))
        self.part_starts.append(len(self.text))
        self.text += text

    def cut(self, token: int) -> tuple[int, bool]:
        """Drop the parts of tokens from ``token`` on: the offset the text changed from, and
        whether nothing was dropped."""
        keep = bisect_left(self.parts, token, key=lambda part: part[0])
        offset = self.part_starts[keep] if keep < len(self.parts) else len(self.text)
        kept_all = keep == len(self.parts)
        del self.parts[keep:], self.part_starts[keep:]
        self.text = self.text[:offset]
        return offset, kept_all

    def token_range(self, token: int) -> tuple[int, int] | None:
        """The text token ``token`` has in this paragraph, None when it has none."""
        at = bisect_left(self.parts, token, key=lambda part: part[0])
        if at == len(self.parts) or self.parts[at][0] != token:
            return None
        return self.part_starts[at], self.part_starts[at] + len(self.parts[at][1])

    def content(self, styles: Styles, start: int = 0, end: int | None = None) -> Content:
        """The text from ``start`` to ``end`` with its tokens' styles."""
        end = len(self.text) if end is None else end
        spans: list[Span] = []
        first = max(bisect_right(self.part_starts, start) - 1, 0)
        for (token, text), at in zip(self.parts[first:], self.part_starts[first:]):
            if at >= end:
                break
            low, high = max(at, start), min(at + len(text), end)
            if low < high:
                spans += [Span(low - start, high - start, style) for style in styles(token)]
        return Content(self.text[start:end], spans=spans)

    def line_at(self, offset: int) -> int:
        return bisect_right(self.starts, offset) - 1

    def restart(self, change: Change, width: int) -> int:
        """The start of the first line to wrap again: a clean line start before the change."""
        if not self.exact or change.full or width < 2 or "\t" in self.text:
            return 0
        if change.text_from is None:
            return len(self.text) + 1  # nothing to wrap again
        changed = change.text_from
        lead = len(self.text) - len(self.text.lstrip())  # the first word takes the spaces before it
        for line in range(bisect_left(self.starts, changed) - 1, 0, -1):
            at = self.starts[line]
            before, first = self.text[at - 1], self.text[at]
            if SPACE.match(before) and not SPACE.match(first) and at > lead:
                if change.appended or SPACE.search(self.text, at + 1, changed):
                    return at
            elif before.isascii() and first.isascii() and not SPACE.search(before + first):
                word = WORD.match(self.text, at)
                if word is not None and (cell_len(word.group().rstrip()) > width or cell_len(word.group()) <= width):
                    return at
        return 0

    def draw(self, change: Change, width: int, render: Render, styles: Styles) -> int:
        """Draw again what ``change`` touched at ``width``: the characters wrapped again."""
        start = self.restart(change, width)
        drawn = 0
        for low, high in change.restyled:
            if low < start:
                restyled = self._restyle(low, high, width, render, styles)
                if restyled is None:
                    start = 0
                    break
                drawn += restyled
        if start > len(self.text):
            return drawn
        line = self.line_at(start) if start else 0
        lines = render(self.content(styles, start), width) if width > 0 else []
        starts = [start] + [start + offset for offset in divide_line(self.text[start:], width)]
        if len(lines) != len(starts) and start:  # not wrapped as Content wraps: all of it again
            return drawn + self.draw(Change(full=True), width, render, styles)
        self.exact = len(lines) == len(starts)
        self.lines[line:] = lines
        self.starts[line:] = starts
        return drawn + len(self.text) - start

    def _restyle(self, low: int, high: int, width: int, render: Render, styles: Styles) -> int | None:
        """Draw the lines of text ``low``-``high`` again; None when they no longer match."""
        first, last = self.line_at(low), self.line_at(max(high - 1, low))
        start = self.starts[first]
        end = self.starts[last + 1] if last + 1 < len(self.starts) else len(self.text)
        content = self.content(styles, start, end)
        if last + 1 < len(self.starts):
            content = content.rstrip()  # as Textual draws a line that is not a paragraph's last
        lines = render(content, width)
        old = self.lines[first:last + 1]
        if len(lines) != len(old) or any(new.text != was.text for new, was in zip(lines, old)):
            return None
        self.lines[first:last + 1] = lines
        return end - start
