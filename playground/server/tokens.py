"""The server's tokenizer (``/tokenize``, ``/detokenize``) as the front-ends use a tokenizer.

Token strings are learned from ``/tokenize`` (``return_token_strs``) and turned into text with
``tokenizers``' byte-level decoder (StarCoder2's tokenizer is byte-level BPE), so showing a
prompt token by token costs one request, not one per token. Each token's own text (an
alternative's, a branch's given tokens') comes from ``TokenPieces``: the model's tokenizer on
this machine when there is one, else the server's ``/detokenize``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from tokenizers import decoders

from playground.server.answers import detokenized, token_count, tokenized
from playground.server.connection import ServerConnection, ServerError
from playground.server.pieces import TokenPieces, local_tokenizer

#: A slow server must not freeze the prompt's token count for long.
COUNT_TIMEOUT_S = 2.0
#: Counts remembered (by text): the editor asks again for the same text as focus moves.
_COUNTS_KEPT = 64


class ServerTokenizer:
    """Counts, encodes and decodes with the model's own tokenizer, on the server."""

    def __init__(self, connection: ServerConnection, model: str, pieces: TokenPieces | None = None) -> None:
        self._connection, self._model = connection, model
        self._strings: dict[int, str] = {}
        self._counts: OrderedDict[str, int] = OrderedDict()
        self._byte_level = decoders.ByteLevel()
        self._pieces = pieces
        self._pieces_lock = threading.Lock()

    @property
    def pieces(self) -> TokenPieces:
        """Token texts, with the model's local tokenizer looked for on first use (not at start-up)."""
        with self._pieces_lock:
            if self._pieces is None:
                self._pieces = TokenPieces(self._connection, self._model, local_tokenizer(self._model))
            return self._pieces

    def encode(self, text: str) -> list[int]:
        answer = self._connection.post("/tokenize", {"model": self._model, "prompt": text,
                                                     "add_special_tokens": False, "return_token_strs": True})
        ids, strings = tokenized(answer, self._connection.shown_url)
        self._strings.update(zip(ids, strings))
        return ids

    def count(self, text: str) -> int:
        """The prompt's token count for the editor; the last known count (or 0) while the server
        cannot answer: the run itself reports what is wrong."""
        if text in self._counts:
            self._counts.move_to_end(text)
            return self._counts[text]
        try:
            answer = self._connection.post("/tokenize", {"model": self._model, "prompt": text,
                                                         "add_special_tokens": False}, timeout=COUNT_TIMEOUT_S)
            count = token_count(answer, self._connection.shown_url)
        except ServerError:
            return next(reversed(self._counts.values()), 0)
        self._counts[text] = count
        if len(self._counts) > _COUNTS_KEPT:
            self._counts.popitem(last=False)
        return count

    def convert_ids_to_tokens(self, ids: list[int]) -> list[str]:
        """Each id's vocabulary entry (as ``/tokenize`` named it); ``<id N>`` for one not seen."""
        return [self._strings.get(token_id, f"<id {token_id}>") for token_id in ids]

    def decode(self, token_ids: list[int]) -> str:
        local = self.pieces.decode(token_ids)
        if local is not None:
            return local
        if all(token_id in self._strings for token_id in token_ids):
            return str(self._byte_level.decode([self._strings[token_id] for token_id in token_ids]))
        answer = self._connection.post("/detokenize", {"model": self._model, "tokens": list(token_ids)})
        return detokenized(answer, self._connection.shown_url)

    def token_text(self, token_id: int) -> str:
        """One token's own text when known (``pieces.resolve`` learns it), else empty."""
        return self.pieces.text(token_id)
