"""Sampling: logits -> penalties -> temperature -> top_k -> top_p -> min_p -> a token.

- ``rows``: the per-row parameters and penalty counts, as device tensors.
- ``chain``: penalties and temperature, and ``next_tokens``, one step of the whole chain.
- ``sorted_chain``: the filters and the draw on one sort of the vocabulary (the compiled step's).
- ``prefilter``: the eager path's exact shortcut through the best candidates.
- ``noise``: the counter-based noise the draws use.
"""

from playground.engine.sampling.chain import (
                                              apply_penalties,
                                              apply_penalties_sparse,
                                              apply_temperature,
                                              filter_logits,
                                              host_shortcuts,
                                              next_tokens,
                                              sanitize,
)
from playground.engine.sampling.noise import gumbel_noise
from playground.engine.sampling.rows import PenaltyState, RowParams
from playground.engine.sampling.sorted_chain import filter_sorted, sample_sorted

__all__ = ["PenaltyState", "RowParams", "apply_penalties", "apply_penalties_sparse", "apply_temperature",
           "filter_logits", "filter_sorted", "gumbel_noise", "host_shortcuts", "next_tokens", "sample_sorted",
           "sanitize"]
