"""How many characters of a saved response each of its tokens wrote, from the tokens' own texts
(a session keeps those, not the streamed pieces), so a reopened run shows its heatmap again.

A token's own text is not always its share of the response: a character split across tokens
shows as U+FFFD in each piece (the streamed text gave it to the token that completed it), a stop
sequence cut the response inside its tokens, and an end token wrote nothing. Hand-written: no
library aligns token pieces with a text.
"""

from __future__ import annotations

from collections.abc import Sequence
from os.path import commonprefix

SPLIT = "\ufffd"


def token_chars(texts: Sequence[str], response: str) -> list[int] | None:
    """Characters of ``response`` per token, or None when the pieces cannot make it up."""
    chars: list[int] = []
    position = 0
    split: int | None = None  # the first token of a run of pieces of split characters
    for index, text in enumerate(texts):
        if SPLIT in text and not response.startswith(text, position):
            split = index if split is None else split
            chars.append(0)
            continue
        if split is not None:  # the split characters end where this piece's text is found
            found = response.find(text, position + 1) if text else len(response)  # they wrote one at least
            if found < position:
                return None
            chars[index - 1], position, split = found - position, found, None
        share = len(commonprefix([text, response[position:]]))
        chars.append(share)
        position += share
    if split is not None:  # the split characters reach the end
        chars[-1], position = len(response) - position, len(response)
    return chars if position == len(response) else None
