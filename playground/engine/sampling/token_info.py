"""What the model thought of each token, computed on the device in the step that drew it.

One float32 row per response row, packed so that the token ids and their information reach
the host in the step's one copy:

    [token id, logprob, sampled_logprob, entropy, rank, top ids (``top``), top logprobs (``top``)]

``logprob``, ``entropy``, ``rank`` and the top alternatives are under the raw distribution:
log_softmax of the logits the step received, before penalties, temperature and filters.
``sampled_logprob`` is under the distribution the token was drawn from, NaN where nothing was
drawn (a greedy row, a forced token, a prefix token). Token ids and ranks are below 2**24, so
float32 holds them exactly.
"""

from __future__ import annotations

import torch

# The compiled step always computes MOST_ALTERNATIVES (one graph whatever the setting) and the
# host keeps the first N it was asked for.
from playground.engine.types import MOST_ALTERNATIVES

__all__ = ["MOST_ALTERNATIVES", "pack_info", "packed_width", "prefix_info", "raw_logprobs"]
#: Columns before the alternatives: token id, logprob, sampled_logprob, entropy, rank.
FIXED_COLUMNS = 5
#: Positions whose information is computed at a time for a prefix (bounds the float32 copy).
_PREFIX_SLICE = 256


def packed_width(top: int) -> int:
    return FIXED_COLUMNS + 2 * top


def raw_logprobs(logits: torch.Tensor) -> torch.Tensor:
    """log_softmax in float32 over logits [rows, vocab]. NaN counts as the lowest float and
    ±inf as the extreme finite ones (as the sampling chain reads them), so nothing is NaN."""
    return torch.nan_to_num(logits.float(), nan=torch.finfo(torch.float32).min).log_softmax(dim=-1)


def pack_info(logits: torch.Tensor, tokens: torch.Tensor, sampled_logprob: torch.Tensor, top: int) -> torch.Tensor:
    """The packed rows [rows, FIXED_COLUMNS + 2 top] for ``tokens`` [rows] drawn from ``logits``
    [rows, vocab]; ``sampled_logprob`` [rows] (NaN where nothing was drawn)."""
    logprobs = raw_logprobs(logits)
    chosen = logprobs.gather(-1, tokens.unsqueeze(-1))
    probs = logprobs.exp()
    entropy = -torch.where(probs > 0, probs * logprobs, torch.zeros_like(probs)).sum(dim=-1, keepdim=True)
    rank = (logprobs > chosen).sum(dim=-1, keepdim=True).float() + 1  # ties share the better rank
    columns = [tokens.unsqueeze(-1).float(), chosen, sampled_logprob.float().unsqueeze(-1), entropy, rank]
    if top > 0:
        best, ids = logprobs.topk(top, dim=-1)
        columns += [ids.float(), best]
    return torch.cat(columns, dim=-1)


def prefix_info(logits: torch.Tensor, prefix: torch.Tensor, top: int) -> torch.Tensor:
    """Packed rows [len(prefix), ...] for tokens that were given, not drawn: ``logits`` [K, vocab]
    are a teacher-forced forward's at the positions before each of the K ``prefix`` tokens."""
    pieces = []
    for start in range(0, prefix.shape[0], _PREFIX_SLICE):
        tokens = prefix[start: start + _PREFIX_SLICE]
        nothing_drawn = torch.full(tokens.shape, float("nan"), device=logits.device)
        pieces.append(pack_info(logits[start: start + _PREFIX_SLICE], tokens, nothing_drawn, top))
    return torch.cat(pieces) if pieces else torch.empty(0, packed_width(top), device=logits.device)
