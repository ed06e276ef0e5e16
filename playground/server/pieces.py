"""Each token's own text on a server, as the in-process engine names it (``decode([id])``).

The server's answers name tokens by id (a text can be several tokens), so a token's text is
found here: from the model's own ``tokenizer.json`` when the server's model names one on this
machine (a directory, or a hub id already in the local Hugging Face cache: nothing is
downloaded), decoded with the ``tokenizers`` library exactly as transformers' fast tokenizer
decodes it; otherwise from the server's ``/detokenize``, asked once per connection for the
ids not yet known, all of them in one request (see ``_ask_server``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

from tokenizers import Tokenizer

from playground.engine.detok import IncrementalDetokenizer
from playground.engine.fim import ENDOFTEXT
from playground.server.answers import detokenized, tokenized
from playground.server.connection import ServerConnection, ServerError

#: The separator between the tokens of one batched ``/detokenize``: a special token's text,
#: which no ordinary token contains, so the answer splits back into one text per token.
SEPARATOR_TEXT = ENDOFTEXT
#: A character split across tokens: the piece's own text, as ``decode([id])`` shows it.
REPLACEMENT = "\ufffd"


def local_tokenizer(model: str) -> Tokenizer | None:
    """The model's ``tokenizer.json`` from disk, when it is there: ``model`` a directory, or a hub
    id whose tokenizer is in the local cache (never downloaded). None otherwise."""
    path = Path(model).expanduser()
    candidate: Any = path / "tokenizer.json" if path.is_dir() else None
    if candidate is None and "://" not in model:
        try:
            from huggingface_hub import try_to_load_from_cache

            candidate = try_to_load_from_cache(model, "tokenizer.json")
        except (ValueError, OSError):  # not a hub id (HFValidationError is a ValueError)
            candidate = None
    if not isinstance(candidate, (str, Path)) or not Path(candidate).is_file():
        return None
    try:
        return Tokenizer.from_file(str(candidate))
    except Exception:  # noqa: BLE001 - tokenizers raises bare Exceptions: then the server names tokens
        return None


class _LocalDecoder:
    """What ``IncrementalDetokenizer`` needs of a tokenizer (transformers' fast tokenizer has both)."""

    def __init__(self, backend: Tokenizer) -> None:
        self.backend_tokenizer = backend

    def decode(self, ids: Sequence[int], **kwargs: object) -> str:
        return str(self.backend_tokenizer.decode(list(ids), skip_special_tokens=False))


class TokenPieces:
    """Token texts for one connection and model, cached; thread-safe (rows resolve in turn)."""

    def __init__(self, connection: ServerConnection, model: str, local: Tokenizer | None) -> None:
        self._connection, self._model, self._local = connection, model, local
        self._texts: dict[int, str] = {}
        self._separator: list[int] | None = None
        self._lock = threading.Lock()

    @property
    def is_local(self) -> bool:
        return self._local is not None

    def text(self, token_id: int) -> str:
        """The token's text when known (always, with a local tokenizer), else empty: no request."""
        if self._local is not None and token_id not in self._texts:
            self._texts[token_id] = str(self._local.decode([token_id], skip_special_tokens=False))
        return self._texts.get(token_id, "")

    def resolve(self, ids: Iterable[int]) -> None:
        """Learn the texts of ``ids`` not known yet: at most one request, none with a local
        tokenizer or when all are known. A server that cannot answer leaves them unnamed."""
        if self._local is not None:
            return
        with self._lock:
            unseen = sorted({int(token_id) for token_id in ids} - self._texts.keys())
            if unseen:
                with suppress(ServerError):  # the texts stay empty; the run reports a server that is gone
                    self._texts.update(zip(unseen, self._ask_server(unseen)))

    def decode(self, ids: Sequence[int]) -> str | None:
        """The text of ``ids`` together, decoded here; None without a local tokenizer."""
        return None if self._local is None else str(self._local.decode(list(ids), skip_special_tokens=False))

    def given_texts(self, ids: Sequence[int]) -> list[str]:
        """Each of a branch's given tokens' text as the in-process detokenizer streams it (a
        character split across tokens shows on the token that completes it). Without a local
        tokenizer: each token's own text, and where tokens are pieces of split characters, the
        decodes of each run of pieces from its start (one ``/detokenize``), the text showing
        where a decode stops ending in an unfinished character, as ``DecodeStream`` shows it."""
        if self._local is not None:
            detokenizer = IncrementalDetokenizer(_LocalDecoder(self._local))
            return [detokenizer.push(token_id) for token_id in ids]
        self.resolve(ids)
        texts = [self.text(token_id) for token_id in ids]
        runs = _piece_runs(texts)
        decoded = iter(self._decode_each([list(ids[start:end]) for start, stop in runs
                                          for end in range(start + 1, stop + 1)]))
        for start, stop in runs:
            shown = ""
            for position in range(start, stop):
                whole = next(decoded)
                finished = not whole.endswith(REPLACEMENT) and len(whole) > len(shown)
                texts[position], shown = (whole[len(shown):], whole) if finished else ("", shown)
        return texts

    def _ask_server(self, ids: list[int]) -> list[str]:
        """Each id's own text, all in one ``/detokenize`` (``_decode_each``)."""
        separator = self._separator_ids()
        known = {separator[0]: SEPARATOR_TEXT} if len(separator) == 1 else {}
        others = [token_id for token_id in ids if token_id not in known]  # the separator's text is known
        known.update(zip(others, self._decode_each([[token_id] for token_id in others])))
        return [known[token_id] for token_id in ids]

    def _decode_each(self, groups: list[list[int]]) -> list[str]:
        """Each group of ids decoded on its own: one ``/detokenize`` for all, the groups with a
        special token between each two, the answer split at it. The special token ends a split
        character's bytes as the end of the text would, so each part is what ``decode(group)``
        gives. One request per group instead where the model has no such token (or the split
        does not come out right)."""
        if not groups:
            return []
        separator = self._separator_ids()
        if len(separator) == 1 and not any(separator[0] in group for group in groups):
            joined = [token_id for group in groups for token_id in [*group, separator[0]]]
            parts = self._detokenize(joined).split(SEPARATOR_TEXT)
            if len(parts) == len(groups) + 1 and parts[-1] == "":
                return parts[:-1]
        return [self._detokenize(group) for group in groups]

    def _separator_ids(self) -> list[int]:
        if self._separator is None:
            answer = self._connection.post("/tokenize", {"model": self._model, "prompt": SEPARATOR_TEXT,
                                                         "add_special_tokens": False})
            self._separator = tokenized(answer, self._connection.shown_url)[0]
        return self._separator

    def _detokenize(self, ids: list[int]) -> str:
        answer = self._connection.post("/detokenize", {"model": self._model, "tokens": ids})
        return detokenized(answer, self._connection.shown_url)


def _piece_runs(texts: Sequence[str]) -> list[tuple[int, int]]:
    """``(start, stop)`` of each run of tokens whose own text is a piece of a split character
    (or empty), with the token after the run: its text, too, depends on the pieces before it
    (an unfinished character shows as U+FFFD in front of it). Text outside the runs is each
    token's own: a whole token's bytes never end a character the tokens before it began."""
    runs: list[tuple[int, int]] = []
    position = 0
    while position < len(texts):
        if texts[position] and REPLACEMENT not in texts[position]:
            position += 1
            continue
        start = position
        while position < len(texts) and not (texts[position] and REPLACEMENT not in texts[position]):
            position += 1
        runs.append((start, min(position + 1, len(texts))))
        position += 1
    return runs
