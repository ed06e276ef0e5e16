"""The eager path's shortcut through the chain: decide top_k, top_p and min_p from the best
candidates instead of sorting the whole vocabulary, and draw the same token.

Every filter keeps the tokens at or above some value, so the kept set is a prefix of the
candidates (the best first) whenever its boundary can be seen from them: top_k's k-th value
and its ties, top_p's mass (the tokens beyond the candidates contribute their total, one sum),
min_p's ratio to the best token. When the kept set extends past the candidates, the draw is
still decided among them if the best candidate's score beats what any other token could reach
(its logit is at most the last candidate's, its noise at most GUMBEL_CEILING). The look goes to
the best 64, then 2,048, then 8,192 tokens, row by row; a row that none decides (or whose kept
mass or ratio lies so close to its threshold that float rounding could decide it) goes through
the sorted chain, and a row with no filter at all draws over the whole vocabulary unsorted. The
draw is the same argmax(logit + Gumbel) with the same noise per token id, so every way gives
the same token. Decisions run on the host: this path is for the eager loop, which syncs every
step anyway; the compiled step runs the sorted chain (one graph). 2,048 rather than 1,024 for
the second look: on the tiny real-vocabulary benchmark model the top_p 0.9 nucleus often holds
1,000-1,500 tokens, and a top-2,048 costs hardly more than a top-1,024.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import torch

from playground.engine.sampling.noise import GUMBEL_CEILING, gumbel_from_bits, host_bits
from playground.engine.sampling.rows import RowParams
from playground.engine.sampling.sorted_chain import sample_sorted

#: How many of the best tokens to look at, in turn; past that the full sort.
CANDIDATE_COUNTS = (64, 2048, 8192)
_LANES = 64  # a multiple of every CPU vector width (in float32 lanes, times the loop unroll)
#: A kept mass (top_p, on probabilities summing to 1) or a ratio (min_p, relative) this close
#: to its threshold is left to the sorted chain: its float32 softmax and cumsum err by less than
#: 5e-7 on the mass (measured over the vocabulary), and this side's float64 sums by less.
MARGIN = 2e-6
UNKNOWN = -1  # the candidates do not show enough to evaluate the filters (look at more)
UNDECIDED = -2  # a boundary too close to call from here (run the sorted chain)


@dataclass(frozen=True)
class RowSettings:
    """One row's filter parameters as the host sees them (read from the device tensors)."""

    sampled: bool
    top_k: int
    top_p: float
    top_p_threshold: float  # float32(1 - top_p), as the sorted chain computes it
    min_p: float  # the float32 value the sorted chain uses

    def filters(self, vocab_size: int) -> bool:
        """Whether any filter can remove a token (else the whole vocabulary is drawn from)."""
        return 0 < self.top_k < vocab_size or self.top_p < 1 or self.min_p > 0

    @classmethod
    def read(cls, params: RowParams) -> list[RowSettings]:
        columns = zip(params.temperature.tolist(), params.top_k.tolist(), params.top_p.tolist(),
                      params.min_p.tolist())
        return [cls(t > 0, k, p, float(np.float32(1.0 - p)), m) for t, k, p, m in columns]


def _tie_end(values: np.ndarray, floor: float) -> int:
    """How many of the descending ``values`` are >= ``floor``."""
    return int(np.count_nonzero(values >= floor))


def kept_prefix(values: np.ndarray, vocab_size: int, row: RowSettings,
                total_mass: Callable[[], float]) -> tuple[int, bool] | int:
    """Which candidates (tempered logits, descending, the best = 0) the filters keep: (limit,
    bounded) for the first ``limit`` of them, ``bounded`` False when the kept set goes on past
    the candidates (then all of them are kept); or UNKNOWN / UNDECIDED. ``total_mass`` gives
    sum(exp(tempered)) over the whole vocabulary."""
    count = len(values)
    limit, bounded = count, False
    k = row.top_k if 0 < row.top_k < vocab_size else vocab_size
    if k < vocab_size:
        if k > count:
            return UNKNOWN
        end = _tie_end(values, values[k - 1])  # ties with the k-th stay, as in TopKLogitsWarper
        if end < count:
            limit, bounded = end, True
        elif row.top_p < 1:
            return UNKNOWN  # top_p normalizes over top_k's set, which goes on past the candidates
    if row.top_p < 1:
        weights = np.exp(values[:limit])
        mass = weights.sum() if bounded else total_mass()
        outside = 0.0 if bounded else max(mass - weights.sum(), 0.0)
        tail = (outside + np.cumsum(weights[::-1])[::-1]) / mass  # each token's and all less likely
        if np.any(np.abs(tail[1:] - row.top_p_threshold) <= MARGIN):
            return UNDECIDED
        kept = max(int(np.count_nonzero(tail > row.top_p_threshold)), 1)
        end = _tie_end(values, values[kept - 1])  # a tie at the cut stays whole
        if end < limit:
            limit, bounded = end, True
    if row.min_p > 0:
        ratio = np.exp(values[:limit])  # p / p_max, the best token being at 0
        if np.any(np.abs(ratio[values[:limit] < 0] - row.min_p) <= MARGIN * row.min_p):
            return UNDECIDED
        kept = max(int(np.count_nonzero(ratio >= row.min_p)), 1)
        if kept < limit:
            limit, bounded = kept, True
    return limit, bounded


def sample_candidates(tempered: torch.Tensor, settings: list[RowSettings], params: RowParams,
                      seeds: torch.Tensor, step: torch.Tensor) -> torch.Tensor:
    """Tokens [rows] drawn exactly as ``sorted_chain.sample_sorted`` draws them: from the best
    candidates for each row they decide, by the sorted chain for the others. Greedy rows get a
    placeholder (the caller takes their argmax)."""
    vocab_size = tempered.shape[-1]
    host_seeds, host_step = seeds.tolist(), int(step)
    drawn: dict[int, int] = {r: 0 for r, row in enumerate(settings) if not row.sampled}
    pending = [r for r, row in enumerate(settings) if row.sampled]
    to_sort: list[int] = []
    for count in CANDIDATE_COUNTS:
        if not pending or count >= vocab_size:
            break
        settled, undecided, pending = _look(tempered, count, pending, settings, host_seeds, host_step)
        drawn.update(settled)
        to_sort += undecided
    unfiltered = [r for r in pending if not settings[r].filters(vocab_size)]
    if unfiltered:  # every token stays: draw over the whole vocabulary, no sort needed
        noise = gumbel_from_bits(host_bits([host_seeds[r] for r in unfiltered], host_step,
                                           np.arange(vocab_size)).to(tempered.device))
        drawn.update(zip(unfiltered, (tempered[unfiltered] + noise).argmax(dim=-1).tolist()))
    to_sort = sorted(to_sort + [r for r in pending if r not in unfiltered])
    if to_sort:
        index = torch.tensor(to_sort, device=tempered.device)
        subset = RowParams(**{name: value[index] for name, value in vars(params).items()})
        drawn.update(zip(to_sort, sample_sorted(tempered[index], subset, seeds[index], step).tolist()))
    return torch.tensor([drawn[r] for r in range(len(settings))], device=tempered.device)


def _look(tempered: torch.Tensor, count: int, pending: list[int], settings: list[RowSettings], seeds: list[int],
          step: int) -> tuple[dict[int, int], list[int], list[int]]:
    """One look at the best ``count`` tokens of the pending rows: the rows it settles (row ->
    token), the rows to run through the sorted chain, and the rows to look at further."""
    vocab_size = tempered.shape[-1]
    rows = tempered if len(pending) == len(settings) else tempered[pending]
    values, ids = rows.topk(count, dim=-1)
    host_values = values.double().cpu().numpy()
    masses = _LazyMasses(rows)
    verdicts = [kept_prefix(host_values[i], vocab_size, settings[r], partial(masses.__getitem__, i))
                for i, r in enumerate(pending)]
    kept = {i: verdict for i, verdict in enumerate(verdicts) if isinstance(verdict, tuple)}
    undecided = [pending[i] for i, verdict in enumerate(verdicts) if verdict == UNDECIDED]
    further = [pending[i] for i, verdict in enumerate(verdicts) if verdict == UNKNOWN]
    settled: dict[int, int] = {}
    if kept:
        order = list(kept)
        tokens, best = _draw_among(values[order], ids[order], np.array([kept[i][0] for i in order]),
                                   [seeds[pending[i]] for i in order], step)
        for i, token, score in zip(order, tokens, best):
            # A kept set that goes on past the candidates is settled among them only if no
            # other token (logit at most the last candidate's) could reach the best score.
            if kept[i][1] or score > host_values[i, -1] + GUMBEL_CEILING:
                settled[pending[i]] = token
            else:
                further.append(pending[i])
    return settled, undecided, sorted(further)


class _LazyMasses:
    """sum(exp(tempered)) per row over the vocabulary, computed on first use (float32 sums:
    relative error about 1e-7, far inside MARGIN)."""

    def __init__(self, tempered: torch.Tensor) -> None:
        self._tempered = tempered
        self._masses: list[float] | None = None

    def __getitem__(self, row: int) -> float:
        if self._masses is None:
            self._masses = self._tempered.exp().sum(dim=-1).tolist()
        return self._masses[row]


def _draw_among(values: torch.Tensor, ids: torch.Tensor, limits: np.ndarray, seeds: list[int],
                step: int) -> tuple[list[int], list[float]]:
    """argmax(logit + Gumbel) over each row's first ``limits`` candidates: the token ids and the
    best scores. The noise is drawn for whole multiples of _LANES candidates: a vectorized log
    and a scalar one may differ in the last bit, and the sorted chain's noise over the whole
    vocabulary (a multiple of 64) is all vectorized."""
    width = min(values.shape[-1], -(-int(limits.max()) // _LANES) * _LANES)
    values, ids = values[:, :width], ids[:, :width]
    noise = gumbel_from_bits(host_bits(seeds, step, ids.cpu().numpy()).to(values.device))
    beyond = torch.from_numpy(np.arange(width) >= limits[:, None]).to(values.device)
    best, choice = (values.masked_fill(beyond, float("-inf")) + noise).max(dim=-1, keepdim=True)
    return ids.gather(-1, choice).squeeze(-1).tolist(), best.squeeze(-1).tolist()
