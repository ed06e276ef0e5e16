"""The heatmap's lines kept up to date piece by piece (``TokenLines``): after any frames and
cursor moves they are what drawing the whole text again gives, and a frame or a cursor move
draws again only the paragraphs it touched (within a paragraph, only its last lines and the
lines of the restyled tokens), however long the response already is."""

from __future__ import annotations

import asyncio
import random

import pytest
from rich.segment import Segment
from textual.content import Content
from textual.strip import Strip

from playground.engine.types import TokenInfo
from playground.tui.probabilities import TokenPiece
from playground.tui.widgets.token_lines import TokenLines
from playground.tui.widgets.token_map import TokenMap
from tests.tui.helpers import scripted_app, stream_by_hand, token_frame, wait_for

#: Code-like pieces: newlines inside tokens and at their ends, an empty token, a control byte.
TEXTS = ["def", " f", "(x", "):\n    ", "return", " x", " +", " 1", "\n", "", "\n\n", "\x1b[", "y", " = [", "1]"]
WIDTH = 9


def draw(content: Content, width: int) -> list[Strip]:
    """Lines as the widget draws them, reduced to text and styles to compare."""
    return [Strip([Segment(line.plain, None)]) for line in content.wrap(width)]


def lines_text(lines: TokenLines) -> list[str]:
    return [lines.line(y).text for y in range(lines.line_count)]  # type: ignore[union-attr]


def piece(index: int, rng: random.Random) -> TokenPiece:
    info = None if index % 7 == 3 else TokenInfo(-rng.random() * 6, None, 1.0, 1)
    return TokenPiece(index, 100 + index, TEXTS[index % len(TEXTS)], info)


def from_scratch(pieces: list[TokenPiece], heat: bool, cursor: int | None, width: int) -> TokenLines:
    lines = TokenLines()
    lines.heat, lines.cursor = heat, cursor
    lines.update(pieces)
    lines.render(width, draw)
    return lines


def test_lines_kept_piece_by_piece_are_the_lines_drawn_from_scratch():
    rng = random.Random(7)
    lines, pieces = TokenLines(), []
    for step in range(120):
        if step % 11 == 10 and pieces:  # a run shown again from an earlier point: fewer tokens
            pieces = pieces[: rng.randrange(len(pieces))]
        else:
            pieces = pieces + [piece(len(pieces) + i, rng) for i in range(rng.randrange(1, 6))]
        lines.update(pieces)
        if step % 3 == 0:
            old, lines.cursor = lines.cursor, rng.randrange(len(pieces)) if pieces else None
            lines.restyle(old, lines.cursor)
        if step % 17 == 5:
            lines.heat = not lines.heat
            lines.restyle_all()
        width = WIDTH + (step % 40 == 39)  # now and then the width changes too
        lines.render(width, draw)
        expected = from_scratch(pieces, lines.heat, lines.cursor, width)
        assert lines_text(lines) == lines_text(expected), step
        assert lines.content() == expected.content(), step
        assert lines.line_start_tokens() == expected.line_start_tokens()
        if pieces:
            assert [lines.line_of(t) for t in range(len(pieces))] == [expected.line_of(t) for t in range(len(pieces))]


#: No newline at all (one paragraph as long as the response): words, spaces at token ends and
#: runs of them, words wider than the line (ASCII, wide and combining characters), a tab.
LONG_TEXTS = ["ab", " foo", "_x", ")", " 12", "ing  ", " the", "{\"", "::", "   ", "abcdefghijklmnopq", "rstu",
              "漢字", "かな漢字テキスト", "e\u0301", " 🙂", "x" * 23, "\t", "é"]


def long_piece(index: int, rng: random.Random) -> TokenPiece:
    texts = LONG_TEXTS if rng.random() < 0.05 else [text for text in LONG_TEXTS if text != "\t"]
    return TokenPiece(index, 100 + index, rng.choice(texts), TokenInfo(-rng.random() * 6, None, 1.0, 1))


@pytest.mark.parametrize("width", [1, 2, 3, 4, 7, 16, 40])
def test_a_long_paragraph_kept_piece_by_piece_is_the_paragraph_wrapped_whole(width):
    rng = random.Random(width)
    lines, pieces = TokenLines(), []
    for step in range(150):
        if step % 13 == 12 and pieces:  # shown again from an earlier point, within the paragraph
            pieces = pieces[: rng.randrange(len(pieces))]
        else:
            pieces = pieces + [long_piece(len(pieces) + i, rng) for i in range(rng.randrange(1, 4))]
        lines.update(pieces)
        if step % 2 == 0 and pieces:
            old, lines.cursor = lines.cursor, rng.randrange(len(pieces))
            lines.restyle(old, lines.cursor)
        lines.render(width, draw)
        expected = from_scratch(pieces, lines.heat, lines.cursor, width)
        assert lines_text(lines) == lines_text(expected), step
        assert lines.content() == expected.content(), step


def test_a_frame_and_a_cursor_move_draw_again_only_the_paragraphs_they_touch():
    rng = random.Random(1)
    pieces = [piece(i, rng) for i in range(2000)]
    lines = from_scratch(pieces, True, None, WIDTH)
    for _ in range(3):
        drawn = lines.rendered
        pieces = pieces + [piece(len(pieces), rng)]
        lines.update(pieces)
        lines.render(WIDTH, draw)
        assert lines.rendered - drawn <= 2  # the last paragraph, and one a newline started
    drawn = lines.rendered
    lines.cursor = 500
    lines.restyle(None, 500)
    lines.render(WIDTH, draw)
    lines.cursor = 501
    lines.restyle(500, 501)
    lines.render(WIDTH, draw)
    assert lines.rendered - drawn <= 4


def test_a_frame_and_a_cursor_move_on_a_long_paragraph_wrap_only_its_last_lines_and_the_tokens_lines():
    rng = random.Random(3)
    pieces = [TokenPiece(i, 100 + i, rng.choice(["ab", " foo", "_x", " 12", "ing"]), None) for i in range(3000)]
    lines = from_scratch(pieces, True, None, 40)
    assert "\n" not in str(lines.content()) and lines.line_count > 100
    for _ in range(5):
        wrapped = lines.wrapped
        pieces = pieces + [TokenPiece(len(pieces), 100, " tail", None)]
        lines.update(pieces)
        lines.render(40, draw)
        assert lines.wrapped - wrapped <= 2 * 40 + 5  # from the start of a line at most two lines up
    for cursor in (1500, 1501, 2900):
        wrapped = lines.wrapped
        old, lines.cursor = lines.cursor, cursor
        lines.restyle(old, cursor)
        lines.render(40, draw)
        assert lines.wrapped - wrapped <= 4 * (40 + 5)  # the lines of the tokens left and reached
    assert lines_text(lines) == lines_text(from_scratch(pieces, True, 2900, 40))


def test_the_heatmap_draws_only_the_new_tokens_paragraphs_while_a_long_run_streams():
    async def run() -> None:
        app = scripted_app("def f():\n")
        async with app.run_test(size=(100, 34)) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            stream_by_hand(app, "def f():\n")
            line = ["    x", " = ", "1", "\n"]
            for first in range(0, 800, 4):
                app.on_tokens_streamed(token_frame(line, first))
            token_map = app.query_one("#heatmap-0", TokenMap)
            await wait_for(pilot, lambda: token_map.lines.line_count == 201)
            assert str(token_map.shown) == "    x = 1\n" * 200
            drawn = token_map.lines.rendered
            app.on_tokens_streamed(token_frame(line, 800))
            await wait_for(pilot, lambda: token_map.lines.line_count == 202)
            assert token_map.lines.rendered - drawn <= 2
            app.generating = False
    asyncio.run(run())


def test_the_heatmap_benchmark_runs_end_to_end():
    """A smoke test: its figures are not checked here (speed goals live in the benchmark)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    import heatmap_stream

    [(shown, *figures)] = heatmap_stream.main(["--shown", "30", "--frames", "2", "--text", "noise"])
    assert shown == 30 and len(figures) == 3 and all(figure >= 0 for figure in figures)
