"""Two texts compared for the screen: each cut into words, spaces and symbols, and the pieces
that differ marked (``difflib`` finds them: the standard library's matcher is all this needs)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

#: Words, runs of whitespace, and single other characters: code differs at these.
PIECE = re.compile(r"\w+|\s+|[^\w\s]")


@dataclass(frozen=True)
class Side:
    """One text as (piece, kind) parts, ``kind`` one of ``same``, ``changed``, ``only``."""

    parts: tuple[tuple[str, str], ...]


def compare(a: str, b: str) -> tuple[Side, Side, float]:
    """``a`` and ``b`` with what differs marked: ``changed`` where one replaced the other, ``only``
    where a side has text the other lacks; and how alike they are (0-1). Symmetric: difflib's
    matcher depends on the order of its inputs, so the pair is always matched in one order."""
    if b < a:
        right, left, alike = _compare(b, a)
        return left, right, alike
    return _compare(a, b)


def _compare(a: str, b: str) -> tuple[Side, Side, float]:
    pieces_a, pieces_b = PIECE.findall(a), PIECE.findall(b)
    matcher = difflib.SequenceMatcher(None, pieces_a, pieces_b, autojunk=False)
    left: list[tuple[str, str]] = []
    right: list[tuple[str, str]] = []
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        kind = {"equal": "same", "replace": "changed"}.get(tag, "only")
        if a1 > a0:
            left.append(("".join(pieces_a[a0:a1]), kind))
        if b1 > b0:
            right.append(("".join(pieces_b[b0:b1]), kind))
    return Side(tuple(left)), Side(tuple(right)), matcher.ratio()
