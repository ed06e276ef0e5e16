"""A response format's mask on the real 49,152-token vocabulary: draws stay in the allowed set
and follow the law of the masked logits (mask first, then penalties and filters), on the eager
chain (candidate prefilter) and the sorted chain the static and compiled steps run."""

from __future__ import annotations

import pytest
import torch

from playground.engine.sampling.chain import host_shortcuts, next_tokens
from playground.engine.sampling.mask import mask_words
from playground.engine.sampling.rows import RowParams
from playground.params import SamplingParams
from tests.sampling_reference import VOCAB, one_thread
from tests.test_sampling_law import FILTERS, ROWS, assert_follows_law, peaky, penalty_state

pytestmark = pytest.mark.usefixtures(one_thread.__name__)


def format_mask(seed: int, allowed_count: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A random allowed set (the model's likeliest tokens mostly outside it) and its bitmask."""
    allowed = torch.zeros(VOCAB, dtype=torch.bool)
    allowed[torch.randperm(VOCAB, generator=torch.Generator().manual_seed(seed))[:allowed_count]] = True
    allowed[[2, 19]] = True  # penalized tokens among them
    padded = torch.zeros(mask_words(VOCAB) * 32, dtype=torch.int64)
    padded[:VOCAB] = allowed.long()
    words = (padded.view(-1, 32) << torch.arange(32)).sum(-1)
    bits = torch.where(words >= 2**31, words - 2**32, words).to(torch.int32)
    return allowed, bits


def masked_draws(logits: torch.Tensor, bits: torch.Tensor, params: SamplingParams, draws: int,
                 sorted_chain: bool) -> list[int]:
    tokens: list[int] = []
    for batch in range(0, draws, ROWS):
        rows = min(ROWS, draws - batch)
        shortcuts = {} if sorted_chain else host_shortcuts([params] * rows)
        row_params = RowParams.from_params([params] * rows, "cpu")
        seeds = torch.arange(batch, batch + rows)
        tokens += next_tokens(logits.expand(rows, -1), penalty_state(rows), row_params, seeds,
                              torch.tensor(batch // ROWS), **shortcuts, mask=bits.expand(rows, -1)).tolist()
    return tokens


@pytest.mark.parametrize(("filters", "allowed_count", "sorted_chain"), [
    ("temperature", 40, False), ("combined", 3000, False), ("penalties", 12, False), ("top_p", 40, True),
])
def test_masked_draws_follow_the_law_of_the_masked_logits(filters, allowed_count, sorted_chain):
    logits, params = peaky(seed=21), FILTERS[filters]
    allowed, bits = format_mask(seed=22, allowed_count=allowed_count)
    tokens = masked_draws(logits, bits, params, 80 if sorted_chain else 600, sorted_chain)
    assert all(allowed[token] for token in tokens)
    assert_follows_law(logits.masked_fill(~allowed, float("-inf")), params, tokens)
    assert len(set(tokens)) > 1


def test_greedy_with_a_mask_is_the_argmax_over_the_allowed_tokens():
    logits = peaky(seed=23)
    allowed, bits = format_mask(seed=24, allowed_count=50)
    params = SamplingParams.make(temperature=0)
    for sorted_chain in (False, True):
        token = masked_draws(logits, bits, params, 1, sorted_chain)[0]
        assert token == int(logits.masked_fill(~allowed, float("-inf")).argmax()) != int(logits.argmax())
