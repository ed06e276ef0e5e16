"""The host side of per-token information: packed device rows (``sampling.token_info``) into
``TokenInfo``, with each token's and alternative's text, and the checks a request's
probability and branch settings must pass."""

from __future__ import annotations

import math
from typing import Any

from playground.engine.sampling.token_info import FIXED_COLUMNS
from playground.engine.types import Alternative, TokenInfo


class InfoReader:
    """Turns packed rows into ``TokenInfo`` with ``top`` alternatives (a row may carry more:
    the compiled step always computes 20). Token texts are decoded once each and kept."""

    def __init__(self, tokenizer: Any, top: int) -> None:
        self._tokenizer, self._top = tokenizer, top
        self._texts: dict[int, str] = {}

    def text(self, token_id: int) -> str:
        """The token's own text; a piece of a character split across tokens shows as U+FFFD."""
        if token_id not in self._texts:
            self._texts[token_id] = self._tokenizer.decode([token_id])
        return self._texts[token_id]

    def read(self, packed: list[float]) -> TokenInfo:
        width = (len(packed) - FIXED_COLUMNS) // 2
        ids = packed[FIXED_COLUMNS: FIXED_COLUMNS + self._top]
        logprobs = packed[FIXED_COLUMNS + width: FIXED_COLUMNS + width + self._top]
        token_id, logprob, sampled, entropy, rank = packed[:FIXED_COLUMNS]
        top = tuple(Alternative(int(i), p, self.text(int(i))) for i, p in zip(ids, logprobs))
        return TokenInfo(logprob, None if math.isnan(sampled) else sampled, entropy, int(rank), top,
                         self.text(int(token_id)))
