"""A row's text where the server's stream does not give it: the tail it holds back, and the first
text of a request that continues from tokens ending inside a character.

The server's stream holds back the bytes of an unfinished character. At the end of a row the
in-process engine shows them as a whole decode does (``U+FFFD``), so the server path takes them
from a decode of the row's tokens too. A request that continues a row (after a live change, or
a branch's given tokens) sends the tokens so far as its prompt; when they end inside a
character, vLLM's incremental detokenizer (``tokenizers``' ``DecodeStream`` primed with that
prompt) cannot take up the stream there, and the request's first text comes with the decoded
prompt in front of it (vLLM 0.32, seen with the real StarCoder2 vocabulary on an emoji split in
bytes). The right text is known from the tokens: it is what the server's text ends with. vLLM
also looks for stop sequences in that text, the prompt's included (a newline in the prompt
would end the request at its first character), and holds back the text's last
``max(len(stop)) - 1`` characters while it runs (``vllm/v1/engine/detokenizer.py``), so such a
request is sent no stops: the row looks for them in the request's own text, as the server does
in any other request (``ServerRow.stopper``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from playground.server.connection import ServerError
from playground.server.pieces import REPLACEMENT
from playground.server.rows import ServerRow

Decode = Callable[[list[int]], str]


class RememberedDecode:
    """``decode`` that remembers its last answer: a restart asks for the same tokens' text up to
    three times (what the row held back, whether they end inside a character, then the first
    text's fix), which without a local tokenizer is a ``/detokenize`` each."""

    def __init__(self, decode: Decode) -> None:
        self._decode = decode
        self._last: tuple[tuple[int, ...], str] | None = None

    def __call__(self, ids: list[int]) -> str:
        key = tuple(ids)
        if self._last is None or self._last[0] != key:
            self._last = (key, self._decode(list(ids)))
        return self._last[1]


def settled(text: str) -> str:
    """A decoded text without the unfinished character it may end in: the part that stays."""
    return text.rstrip(REPLACEMENT)


def held_back(decode: Decode, row: ServerRow, ids: Sequence[int] | None = None, *, final: bool = True) -> str:
    """The text of the row's tokens (``ids``: all of them by default) that the server has not
    sent: the start of a possible stop sequence, or an unfinished character's bytes. ``final``:
    the row ends here, and an unfinished character shows as U+FFFD, as in process; otherwise
    (a request continues the row) only text that stays is released. Empty when the server
    cannot say (it is gone: the tokens are kept, their tail is lost with it)."""
    ids = list(row.token_ids if ids is None else ids)
    if not ids:
        return ""
    try:
        whole = decode(ids)
    except ServerError:
        return ""
    if not final:
        whole = settled(whole)
    shown = row.text + row.pending
    return whole[len(shown):] if whole.startswith(shown) else ""


def ends_inside_a_character(decode: Decode, ids: Sequence[int]) -> bool:
    """Whether a request continuing from ``ids`` starts inside a character (its first text then
    needs ``resynced``). False when the server cannot say: its request fails anyway."""
    if not ids:
        return False
    try:
        return decode(list(ids)).endswith(REPLACEMENT)
    except ServerError:
        return False


def resynced(decode: Decode, row: ServerRow, continued_from: int, new_ids: Sequence[int], text: str) -> str:
    """The first text of a request that continued the row from its first ``continued_from``
    tokens, inside a character, with anything in front of its own text cut off. The text of the
    request's tokens so far (``new_ids``, and the row's tokens after ``continued_from``, which
    came with no text) is known: the decode of all the row's tokens after what the row shows.
    The server's text ends with it: such a request is sent no stop sequences, so the server
    holds none of it back (``row.stopper``). A server whose text is not that is taken at its
    word, after the unfinished character the row held back (nothing is hidden)."""
    shown = row.text + row.pending
    try:
        before = decode(row.token_ids[:continued_from])
        after = decode([*row.token_ids, *new_ids])
    except ServerError:
        return text
    expected = after[len(shown):] if after.startswith(shown) else ""
    if expected and text.endswith(expected):
        return expected
    return (before[len(shown):] if before.startswith(shown) else "") + text
