"""top_k, top_p, min_p and the draw on one ascending sort of the vocabulary, in tensor ops
only: one graph for every parameter mix, which the static and compiled steps run (and the eager
path falls back to when its candidates cannot decide)."""

from __future__ import annotations

import torch

from playground.engine.sampling.noise import gumbel_noise
from playground.engine.sampling.rows import RowParams

NEG_INF = float("-inf")


def top_p_threshold(top_p: torch.Tensor) -> torch.Tensor:
    """float32(1 - top_p), the order transformers computes it in (top_p is float64)."""
    return (1 - top_p).to(torch.float32)


def filter_sorted(tempered: torch.Tensor, params: RowParams) -> tuple[torch.Tensor, torch.Tensor]:
    """Returns the tempered logits sorted ascending (transformers sorts ascending too, so no
    flips) with removed tokens at -inf, and the order (token ids). Each filter keeps the tokens
    at or above a value, so a tie is never split: top_k keeps every token tied with the k-th
    (as transformers does); top_p drops the least likely tokens whose joint mass is <= 1 - top_p
    but keeps every token tied with the last one kept (transformers splits such a tie in sort
    order); min_p keeps p >= min_p x p_max over what top_k and top_p kept. The most likely
    token always stays.
    """
    vocab_size = tempered.shape[-1]
    ordered, order = tempered.sort(dim=-1)
    k = torch.where(params.top_k > 0, params.top_k, vocab_size).clamp(max=vocab_size)
    ordered = ordered.masked_fill(ordered < ordered.gather(-1, (vocab_size - k).unsqueeze(-1)), NEG_INF)
    # The mass of each token and every less likely one, summed from the least likely up as
    # transformers does (summing from the top rounds to 1.0 early and would cut the tail).
    tail_mass = ordered.softmax(dim=-1).cumsum(dim=-1)
    removed = (tail_mass <= top_p_threshold(params.top_p).unsqueeze(-1)).sum(dim=-1, keepdim=True)
    lowest_kept = ordered.gather(-1, removed.clamp(max=vocab_size - 1))
    ordered = ordered.masked_fill(ordered < lowest_kept, NEG_INF)
    probs = ordered.softmax(dim=-1)
    ordered = ordered.masked_fill(probs < params.min_p.unsqueeze(-1) * probs[..., -1:], NEG_INF)
    return ordered, order


def sample_sorted(tempered: torch.Tensor, params: RowParams, seeds: torch.Tensor, step: torch.Tensor) -> torch.Tensor:
    """A draw per row: argmax(logit + Gumbel) over the kept tokens, the noise tied to token ids."""
    _, order, choice = _choose(tempered, params, seeds, step)
    return order.gather(-1, choice).squeeze(-1)


def draw_sorted(tempered: torch.Tensor, params: RowParams, seeds: torch.Tensor,
                step: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``sample_sorted``'s tokens [rows] and the log-probability [rows] of each under the
    distribution it was drawn from (the kept tokens' softmax), from the same sort."""
    ordered, order, choice = _choose(tempered, params, seeds, step)
    logprob = ordered.gather(-1, choice) - ordered.logsumexp(dim=-1, keepdim=True)
    return order.gather(-1, choice).squeeze(-1), logprob.squeeze(-1)


def _choose(tempered: torch.Tensor, params: RowParams, seeds: torch.Tensor,
            step: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The filtered sorted logits, their order (token ids) and each row's chosen position."""
    ordered, order = filter_sorted(tempered, params)
    return ordered, order, (ordered + gumbel_noise(seeds, step, order)).argmax(dim=-1, keepdim=True)
