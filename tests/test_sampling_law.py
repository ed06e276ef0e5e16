"""Draws follow their law on the real 49,152-token vocabulary: no token outside the set
transformers' processors allow, and a goodness of fit at p >= 1e-3, for each filter alone and
combined, on peaky, flat, tied and nearly tied distributions (sampled from logits directly:
the model adds nothing to what is tested here).

The eager path's chain (``host_shortcuts``: the candidate prefilter) is drawn from here over
21,000 steps; the sorted chain that the static and compiled steps run gives the same tokens
(test_sampling_edges checks draw for draw) and is drawn from on its own here too.
"""

from __future__ import annotations

import pytest
import torch

from playground.engine.sampling.chain import host_shortcuts, next_tokens
from playground.engine.sampling.rows import PenaltyState, RowParams
from playground.params import SamplingParams
from tests.sampling_reference import VOCAB, LawCheck, allowed_set, one_thread, penalized, reference_law

pytestmark = pytest.mark.usefixtures(one_thread.__name__)

PROMPT = [7, 19, 19, 400, 30000]  # seen by the repetition penalty
GENERATED = [19, 2, 2, 2, 812]  # counted by presence and frequency (and seen)


def peaky(seed: int) -> torch.Tensor:
    """Like a code model's: a handful of likely tokens over a long tail (and the penalized ones
    among them)."""
    generator = torch.Generator().manual_seed(seed)
    logits = torch.randn(VOCAB, generator=generator)
    top = torch.randperm(VOCAB, generator=generator)[:6]
    logits[top] += torch.tensor([17.0, 16.0, 15.5, 14.0, 13.0, 12.0])
    logits[[19, 2, 812]] += 16.0
    return logits


def flat(seed: int) -> torch.Tensor:
    return torch.randn(VOCAB, generator=torch.Generator().manual_seed(seed)) * 0.3


def tied(seed: int) -> torch.Tensor:
    """Integer levels, so every level is a tie of many tokens: three tokens tied for the top, a
    group of five and one of forty below them (where top_p and min_p cut), a tied tail."""
    generator = torch.Generator().manual_seed(seed)
    logits = torch.randn(VOCAB, generator=generator).round()
    groups = torch.randperm(VOCAB, generator=generator)[:48]
    logits[groups[:3]], logits[groups[3:8]], logits[groups[8:]] = 17.0, 16.0, 13.0
    logits[[19, 2, 812]] = 16.0
    return logits


def nearly_tied(seed: int) -> torch.Tensor:
    """Tied levels pulled apart by one float32 step or 1e-6: close calls, no exact ties."""
    logits = tied(seed)
    jitter = torch.randint(0, 3, (VOCAB,), generator=torch.Generator().manual_seed(seed + 1))
    stepped = torch.nextafter(logits, torch.tensor(float("inf")))
    return torch.where(jitter == 1, stepped, logits + (jitter == 2) * 1e-6)


def masked(seed: int) -> torch.Tensor:
    """Peaky, with a third of the vocabulary at -inf (as a model that masks tokens gives)."""
    logits = peaky(seed)
    logits[torch.randperm(VOCAB, generator=torch.Generator().manual_seed(seed))[: VOCAB // 3]] = float("-inf")
    logits[[19, 2, 812]] = 10.0
    return logits


DISTRIBUTIONS = {"peaky": peaky, "flat": flat, "tied": tied, "nearly_tied": nearly_tied, "masked": masked}
FILTERS = {
    "temperature": SamplingParams.make(temperature=0.8, top_p=1.0),
    "top_k": SamplingParams.make(temperature=1.5, top_k=5, top_p=1.0),
    "top_p": SamplingParams.make(temperature=0.7, top_p=0.9),
    "min_p": SamplingParams.make(temperature=1.0, top_p=1.0, min_p=0.1),
    "combined": SamplingParams.make(temperature=1.2, top_k=40, top_p=0.8, min_p=0.05),
    "penalties": SamplingParams.make(temperature=0.9, top_p=0.95, repetition_penalty=1.3, presence_penalty=0.5,
                                     frequency_penalty=0.4),
}
#: Where the kept set reaches far past the candidates every step is a full sort (5 ms on CPU):
#: those cases draw fewer.
SLOW = {("flat", "top_p"), ("flat", "min_p"), ("flat", "penalties"), ("flat", "temperature")}
DRAWS, SLOW_DRAWS, ROWS = 800, 60, 100


def penalty_state(rows: int) -> PenaltyState:
    state = PenaltyState.from_prompt(torch.tensor([PROMPT]), rows, VOCAB)
    for token in GENERATED:
        state.record(torch.full((rows,), token))
    return state


def draw(logits: torch.Tensor, params: SamplingParams, draws: int, sorted_chain: bool = False,
         first_seed: int = 0) -> list[int]:
    """``draws`` tokens: batches of ROWS rows with seeds first_seed + i, one step per batch."""
    tokens: list[int] = []
    for batch in range(0, draws, ROWS):
        rows = min(ROWS, draws - batch)
        shortcuts = {} if sorted_chain else host_shortcuts([params] * rows)
        seeds = torch.arange(first_seed + batch, first_seed + batch + rows)
        row_params = RowParams.from_params([params] * rows, "cpu")
        tokens += next_tokens(logits.expand(rows, -1), penalty_state(rows), row_params, seeds,
                              torch.tensor(batch // ROWS), **shortcuts).tolist()
    return tokens


def assert_follows_law(logits: torch.Tensor, params: SamplingParams, tokens: list[int]) -> None:
    allowed = allowed_set(penalized(logits, params, PROMPT + GENERATED, GENERATED), params)
    outside = [t for t in tokens if not allowed[t]]
    assert not outside, f"{len(outside)} of {len(tokens)} tokens outside the allowed set, e.g. {outside[:5]}"
    law = reference_law(logits, params, PROMPT + GENERATED, GENERATED)
    check = LawCheck()
    for token in tokens:
        check.add(law, token)
    check.assert_fits()


@pytest.mark.parametrize("filters", FILTERS)
@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_eager_chain_draws_follow_the_law(distribution, filters):
    logits, params = DISTRIBUTIONS[distribution](seed=11), FILTERS[filters]
    tokens = draw(logits, params, SLOW_DRAWS if (distribution, filters) in SLOW else DRAWS)
    assert_follows_law(logits, params, tokens)
    if distribution != "flat" or filters == "top_k":
        assert len(set(tokens)) > 1  # really sampling


@pytest.mark.parametrize("distribution, filters", [("tied", "combined"), ("masked", "penalties"), ("flat", "top_p")])
def test_sorted_chain_draws_follow_the_law(distribution, filters):
    """The chain the static and compiled steps run (one graph, a full sort every step)."""
    logits, params = DISTRIBUTIONS[distribution](seed=12), FILTERS[filters]
    assert_follows_law(logits, params, draw(logits, params, 80, sorted_chain=True))


def test_temperature_100_follows_the_law():
    params = SamplingParams.make(temperature=100.0, top_p=0.9)
    logits = peaky(seed=13)
    assert_follows_law(logits, params, draw(logits, params, 80))


def test_same_seed_same_tokens_different_seeds_differ_and_rows_are_independent():
    logits, params = peaky(seed=14), FILTERS["combined"]
    first, again = draw(logits, params, 200), draw(logits, params, 200)
    assert first == again
    assert first != draw(logits, params, 200, first_seed=1000)
    # A row beside another row (other seed, other parameters) draws what it draws alone.
    other = SamplingParams.make(temperature=0.3, top_k=3)
    for step in range(40):
        pair = next_tokens(logits.expand(2, -1), penalty_state(2), RowParams.from_params([params, other], "cpu"),
                           torch.tensor([step, 99]), torch.tensor(step), **host_shortcuts([params, other]))
        alone = next_tokens(logits.unsqueeze(0), penalty_state(1), RowParams.from_params([params], "cpu"),
                            torch.tensor([step]), torch.tensor(step), **host_shortcuts([params]))
        assert pair[0] == alone[0]
