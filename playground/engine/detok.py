"""Turning a growing list of token ids into text deltas, and finding stop strings in them.

Byte-level BPE splits multi-byte characters across tokens, so a token's text is only
known once the bytes after it have arrived. ``IncrementalDetokenizer`` re-decodes a short
window of tokens and emits text only when it ends on a whole character; the deltas
concatenate to exactly ``tokenizer.decode(all_ids)``.
"""

from __future__ import annotations

from typing import Protocol, Sequence

REPLACEMENT_CHARACTER = "\ufffd"


class Decoder(Protocol):
    def decode(self, ids: Sequence[int], **kwargs: object) -> str: ...


def decode_ids(tokenizer: Decoder, ids: Sequence[int]) -> str:
    """Decode exactly: special tokens kept, no clean-up of spaces (code is whitespace-exact)."""
    return tokenizer.decode(list(ids), skip_special_tokens=False, clean_up_tokenization_spaces=False)


class IncrementalDetokenizer:
    """Feeds one token at a time; returns the text that is now certain."""

    def __init__(self, tokenizer: Decoder) -> None:
        self._tokenizer = tokenizer
        self._ids: list[int] = []
        self._prefix_offset = 0
        self._read_offset = 0

    def push(self, token_id: int) -> str:
        self._ids.append(token_id)
        prefix_text = decode_ids(self._tokenizer, self._ids[self._prefix_offset : self._read_offset])
        text = decode_ids(self._tokenizer, self._ids[self._prefix_offset :])
        if len(text) > len(prefix_text) and not text.endswith(REPLACEMENT_CHARACTER):
            self._prefix_offset = self._read_offset
            self._read_offset = len(self._ids)
            return text[len(prefix_text) :]
        return ""

    def flush(self) -> str:
        """The text still held back (an unfinished character at the very end)."""
        prefix_text = decode_ids(self._tokenizer, self._ids[self._prefix_offset : self._read_offset])
        text = decode_ids(self._tokenizer, self._ids[self._prefix_offset :])
        self._prefix_offset = self._read_offset = len(self._ids)
        return text[len(prefix_text) :]


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
