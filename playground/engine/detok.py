"""Turning a growing list of token ids into text deltas, and finding stop strings in them.

Byte-level BPE splits multi-byte characters across tokens, so a token's text is only known
once the bytes after it have arrived. ``IncrementalDetokenizer`` streams through
``tokenizers.decoders.DecodeStream``, the tokenizer library's own incremental decoder (Rust,
about 1 µs a token against 10 µs for re-decoding a window in Python): it holds a token back
while its bytes end inside a character. It passes the exactness tests (multi-byte characters,
random token soup, the real vocabulary): the deltas concatenate to exactly
``tokenizer.decode(all_ids)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from tokenizers import Tokenizer
from tokenizers.decoders import DecodeStream


class Decoder(Protocol):
    """What detokenizing needs of a tokenizer: transformers' fast tokenizers have both."""

    @property
    def backend_tokenizer(self) -> Tokenizer: ...

    def decode(self, ids: Sequence[int], **kwargs: object) -> str: ...


def decode_ids(tokenizer: Decoder, ids: Sequence[int]) -> str:
    """Decode exactly: special tokens kept, no clean-up of spaces (code is whitespace-exact)."""
    return tokenizer.decode(list(ids), skip_special_tokens=False, clean_up_tokenization_spaces=False)


class IncrementalDetokenizer:
    """Feeds one token at a time; returns the text that is now certain."""

    def __init__(self, tokenizer: Decoder) -> None:
        self._tokenizer = tokenizer
        self._backend = tokenizer.backend_tokenizer
        self._stream = DecodeStream(skip_special_tokens=False)
        self._last_shown: list[int] = []  # the token whose text was shown last: context for flush()
        self._held: list[int] = []  # tokens pushed since then, their text not shown yet

    def push(self, token_id: int) -> str:
        text = self._stream.step(self._backend, token_id)
        if text is None:
            self._held.append(token_id)
            return ""
        self._last_shown, self._held = [token_id], []
        return text

    def flush(self) -> str:
        """The text still held back (an unfinished character at the very end, shown as a full
        decode shows it). DecodeStream has no flush of its own; this ends the stream."""
        if not self._held:
            return ""
        context = decode_ids(self._tokenizer, self._last_shown)
        text = decode_ids(self._tokenizer, self._last_shown + self._held)
        self._held = []
        return text[len(context):]


class StopMatcher:
    """Holds back text that could be the start of a stop string, so nothing streamed is
    ever taken back: the streamed text is always a prefix of the final text."""

    def __init__(self, stops: Sequence[str]) -> None:
        self.stops = tuple(stops)
        self._pending = ""
        self.stopped = False

    def set_stops(self, stops: Sequence[str]) -> None:
        self.stops = tuple(stops)

    def feed(self, delta: str) -> str:
        """Add text; return what can be shown now. Sets ``stopped`` when a stop string is hit."""
        if self.stopped:
            return ""
        buffer = self._pending + delta
        hits = [i for i in (buffer.find(s) for s in self.stops) if i >= 0]
        if hits:
            self.stopped = True
            self._pending = ""
            return buffer[: min(hits)]
        hold = self._longest_stop_prefix_suffix(buffer)
        self._pending = buffer[len(buffer) - hold :] if hold else ""
        return buffer[: len(buffer) - hold]

    def flush(self) -> str:
        text, self._pending = self._pending, ""
        return "" if self.stopped else text

    def _longest_stop_prefix_suffix(self, text: str) -> int:
        longest = 0
        for stop in self.stops:
            for size in range(min(len(stop) - 1, len(text)), longest, -1):
                if text.endswith(stop[:size]):
                    longest = size
                    break
        return longest
