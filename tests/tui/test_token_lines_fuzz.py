"""A reduced fuzz of the heatmap's lines kept piece by piece (``TokenLines``): random token
streams of long words, spaces at token starts and ends and runs of them, tabs, ``\\r`` and
``\\r\\n``, joiners and combining marks, wide characters, control characters (shown as
pictures), empty tokens, with random cursor moves, width changes, tokens dropped and the last
token cut short (a stop sequence). After every frame the lines must be those drawn from scratch
and those of the whole text wrapped at once. Deterministic seeds, a few seconds in all.

A zero-width joiner is only drawn inside a token after a character it joins: Rich 15.0.0's
``set_cell_size`` fails on a line that *starts* with two joiners and a wide character (the
whole text wrapped at once fails there too; it is Rich's, not this widget's)."""

from __future__ import annotations

import random

import pytest

from playground.engine.types import TokenInfo
from playground.tui.probabilities import TokenPiece
from playground.tui.widgets.token_lines import TokenLines
from tests.tui.test_token_lines import draw, from_scratch, lines_text

ATOMS = ["ab", "abcdefghijklmnopqrstuvwxyz0123456789", " ", "  ", "   ", " x", "x ", "\t", "\r", "\r\n", "\n",
         "e\u0301", "\u0301", "漢", "漢字テキスト", "🙂", "👨\u200d👩", "\x1b", "\x07", "", "é", "_", "\u00a0",
         "\u3000", "x" * 90, " " * 10, "\x0b", "\x85", "a\u200bb", "🇯🇵", "foo", " bar", "baz "]
NO_NEWLINE = [atom for atom in ATOMS if "\n" not in atom]


def random_piece(index: int, atoms: list[str], rng: random.Random) -> TokenPiece:
    text = "".join(rng.choice(atoms) for _ in range(rng.choice([0, 1, 1, 1, 2, 3])))
    info = TokenInfo(-rng.random() * 6, None, 1.0, 1) if rng.random() < 0.8 else None
    return TokenPiece(index, 100 + index, text, info)


@pytest.mark.parametrize(("seed", "atoms"), [(1, ATOMS), (2, ATOMS), (3, NO_NEWLINE), (4, NO_NEWLINE), (5, NO_NEWLINE)])
def test_random_streams_kept_piece_by_piece_are_the_whole_text_wrapped(seed: int, atoms: list[str]) -> None:
    rng = random.Random(seed)
    lines, pieces = TokenLines(), []
    width = rng.choice([1, 2, 3, 5, 9, 17, 80])
    for step in range(100):
        chance = rng.random()
        if chance < 0.06 and pieces:  # shown again from an earlier token
            pieces = pieces[: rng.randrange(len(pieces))]
        elif chance < 0.12 and pieces:  # the last token cut short (a stop sequence)
            last = pieces[-1]
            cut = last.text[: rng.randrange(len(last.text) + 1)]
            pieces = [*pieces[:-1], TokenPiece(last.index, last.token_id, cut, last.info)]
        else:
            pieces = pieces + [random_piece(len(pieces) + i, atoms, rng) for i in range(rng.randrange(1, 4))]
        lines.update(pieces)
        if rng.random() < 0.5 and pieces:
            old, lines.cursor = lines.cursor, rng.randrange(len(pieces))
            lines.restyle(old, lines.cursor)
        if rng.random() < 0.05:
            width = rng.randint(1, 80)
        lines.render(width, draw)
        expected = from_scratch(pieces, lines.heat, lines.cursor, width)
        assert lines_text(lines) == lines_text(expected), (step, width)
        assert lines.content() == expected.content(), step
        whole = [line.plain.rstrip() for line in lines.content().wrap(width)]
        assert [line.rstrip() for line in lines_text(lines)] == whole, (step, width)
        assert [lines.line_of(t) for t in range(len(pieces))] == [expected.line_of(t) for t in range(len(pieces))]
