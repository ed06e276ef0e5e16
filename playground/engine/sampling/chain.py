"""The sampling chain as small pure functions over batched tensors.

logits -> penalties -> temperature -> top_k -> top_p -> min_p -> sample

Every parameter is a device tensor with one value per row, so two rows can sample with
different settings in one batch, and a live change is an in-place write into a tensor (no new
graph, no host round trip). Semantics follow transformers' logits processors
(RepetitionPenalty, Temperature, TopK, TopP, MinP, applied in that order) and OpenAI's
presence/frequency penalties over the generated tokens only.

A compiled step runs ``sorted_chain.sample_sorted`` (one sort of the vocabulary, tensor ops
only: one graph for every parameter mix). The eager path runs ``prefilter.sample_candidates``,
which draws the same tokens from the best 64, 2,048 or 8,192 candidates when they decide (else
it runs the sorted chain), and touches only the penalized tokens. ``next_tokens_with_info``
also reports each token's probabilities (``token_info``) from the logits the step received;
it runs the sorted chain, whose sort gives the drawn-from distribution's log-probability.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from playground.engine.sampling.mask import apply_token_mask
from playground.engine.sampling.prefilter import RowSettings, sample_candidates
from playground.engine.sampling.rows import PenaltyState, RowParams
from playground.engine.sampling.sorted_chain import draw_sorted, filter_sorted, sample_sorted
from playground.engine.sampling.token_info import pack_info
from playground.params import SamplingParams

_LOWEST = torch.finfo(torch.float32).min


def apply_penalties(logits: torch.Tensor, state: PenaltyState, params: RowParams) -> torch.Tensor:
    rep = params.repetition_penalty.unsqueeze(-1)
    penalized = torch.where(logits < 0, logits * rep, logits / rep)
    logits = torch.where(state.seen, penalized, logits)
    presence = params.presence_penalty.unsqueeze(-1) * (state.counts > 0)
    frequency = params.frequency_penalty.unsqueeze(-1) * state.counts
    return logits - presence - frequency


def apply_penalties_sparse(logits: torch.Tensor, state: PenaltyState, params: RowParams) -> torch.Tensor:
    """``apply_penalties`` on the seen tokens only (the same arithmetic, so the same values;
    every other logit passes unchanged): a few hundred tokens instead of the vocabulary, for
    the eager path (the index list has a data-dependent size, which a compiled graph avoids)."""
    rows, tokens = state.seen.nonzero(as_tuple=True)
    values = logits[rows, tokens]
    rep = params.repetition_penalty[rows]
    values = torch.where(values < 0, values * rep, values / rep)
    counts = state.counts[rows, tokens]
    values = values - params.presence_penalty[rows] * (counts > 0) - params.frequency_penalty[rows] * counts
    penalized = logits.clone()
    penalized[rows, tokens] = values
    return penalized


def sanitize(logits: torch.Tensor) -> torch.Tensor:
    """NaN becomes the lowest float and ±inf the extreme finite floats, so nothing after this
    can produce a NaN (a NaN logit is never drawn unless every logit of its row is one)."""
    return torch.nan_to_num(logits, nan=_LOWEST)


def apply_temperature(logits: torch.Tensor, temperature: torch.Tensor) -> torch.Tensor:
    """(logits - max) / T per row: the same softmax as logits / T, but never overflowing, so any
    positive temperature, however tiny, gives finite tempered logits (at most 0; the best is
    exactly 0). Greedy rows (T = 0) are decided by argmax elsewhere; they divide by 1 here."""
    safe = torch.where(temperature > 0, temperature, torch.ones_like(temperature))
    return (logits - logits.amax(dim=-1, keepdim=True)) / safe.unsqueeze(-1)


def filter_logits(logits: torch.Tensor, params: RowParams) -> torch.Tensor:
    """Temperature, top_k, top_p and min_p in token order, removed tokens at -inf: the
    distribution a token is drawn from (softmax of the result), for inspection and tests."""
    ordered, order = filter_sorted(apply_temperature(sanitize(logits.float()), params.temperature), params)
    return torch.empty_like(ordered).scatter_(-1, order, ordered)


def next_tokens(logits: torch.Tensor, state: PenaltyState, params: RowParams, seeds: torch.Tensor,
                step: torch.Tensor, all_greedy: bool = False, neutral_penalties: bool = False,
                prefilter: bool = False, forced: int | None = None, mask: torch.Tensor | None = None) -> torch.Tensor:
    """The whole chain for one step: [rows, vocab] logits in, [rows] token ids out.

    ``seeds`` [rows] and ``step`` (the index of the token being drawn) feed the noise. The
    eager host passes what it knows (``host_shortcuts``): ``all_greedy`` skips filters and
    noise, ``neutral_penalties`` skips penalties that change nothing, ``prefilter`` decides
    from the best candidates with a host check (identical tokens, far less work). A compiled
    step passes none of them and computes every row's way in one graph. ``forced``: a token
    every row takes instead of its draw (a branch's chosen alternative). ``mask``: a response
    format's token bitmask (mask.py), applied first: nothing after it sees a disallowed token.
    """
    drawn = draw(logits, state, params, seeds, step, all_greedy, neutral_penalties, prefilter, False, mask)[0]
    tokens = force(drawn, forced)
    state.record(tokens)
    return tokens


def next_tokens_with_info(logits: torch.Tensor, state: PenaltyState, params: RowParams, seeds: torch.Tensor,
                          step: torch.Tensor, top: int, all_greedy: bool = False, neutral_penalties: bool = False,
                          forced: int | None = None, mask: torch.Tensor | None = None,
                          ) -> tuple[torch.Tensor, torch.Tensor]:
    """``next_tokens`` (the same tokens, by the sorted chain) and their packed information
    (``token_info``), ``top`` alternatives each, computed on the logits the step received."""
    tokens, law = draw(logits, state, params, seeds, step, all_greedy, neutral_penalties, False, True, mask)
    law = torch.full(tokens.shape, float("nan"), device=tokens.device) if law is None or forced is not None else law
    tokens = force(tokens, forced)
    state.record(tokens)
    return tokens, pack_info(logits, tokens, law, top)


def draw(logits: torch.Tensor, state: PenaltyState, params: RowParams, seeds: torch.Tensor, step: torch.Tensor,
         all_greedy: bool = False, neutral_penalties: bool = False,
         prefilter: bool = False, with_law: bool = False,
         mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Tokens [rows] and, ``with_law`` (not with ``prefilter``), each one's log-probability under
    the distribution it was drawn from (NaN for greedy rows; None when every row is greedy)."""
    penalized = logits.float() if mask is None else apply_token_mask(logits.float(), mask)
    if not neutral_penalties:
        penalized = (apply_penalties_sparse if prefilter else apply_penalties)(penalized, state, params)
    penalized = sanitize(penalized)
    if all_greedy:
        return penalized.argmax(dim=-1), None
    if prefilter:
        tempered = apply_temperature(penalized, params.temperature)
        settings = RowSettings.read(params)
        drawn = sample_candidates(tempered, settings, params, seeds, step)
        tokens = drawn if all(row.sampled for row in settings) else \
            torch.where(params.temperature > 0, drawn, penalized.argmax(dim=-1))
        return tokens, None
    tempered, drew = apply_temperature(penalized, params.temperature), params.temperature > 0
    if not with_law:
        return torch.where(drew, sample_sorted(tempered, params, seeds, step), penalized.argmax(dim=-1)), None
    sampled, law = draw_sorted(tempered, params, seeds, step)
    return torch.where(drew, sampled, penalized.argmax(dim=-1)), torch.where(drew, law, float("nan"))


def force(tokens: torch.Tensor, forced: int | None) -> torch.Tensor:
    return tokens if forced is None else torch.full_like(tokens, forced)


def host_shortcuts(rows: Sequence[SamplingParams]) -> dict[str, bool]:
    """What the host can tell from the parameters to skip work on the eager path."""
    return {"all_greedy": all(p.temperature == 0 for p in rows),
            "neutral_penalties": all(p.repetition_penalty == 1 and p.presence_penalty == 0
                                     and p.frequency_penalty == 0 for p in rows),
            "prefilter": True}
