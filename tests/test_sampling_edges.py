"""The chain's edges on the real vocabulary: the eager shortcut draws exactly what the sorted
chain draws, tiny and huge temperatures, non-finite logits, huge penalties, bf16 logits."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats

from playground.engine.sampling import prefilter
from playground.engine.sampling.chain import host_shortcuts, next_tokens
from playground.engine.sampling.rows import PenaltyState, RowParams
from playground.params import SamplingParams
from tests.sampling_reference import ALPHA, VOCAB, allowed_set, one_thread, penalized
from tests.test_sampling_law import DISTRIBUTIONS, FILTERS, assert_follows_law, draw, peaky

pytestmark = pytest.mark.usefixtures(one_thread.__name__)


def step_both_ways(logits: torch.Tensor, rows: list[SamplingParams], seeds: list[int], step: int,
                   state: PenaltyState | None = None) -> tuple[list[int], list[int]]:
    """One step through the eager chain (candidates) and through the sorted chain."""
    state = state or PenaltyState.from_prompt(torch.tensor([[5, 6]]), len(rows), VOCAB)
    out = []
    for shortcuts in (host_shortcuts(rows), {}):
        copy = PenaltyState(state.seen.clone(), state.counts.clone())
        out.append(next_tokens(logits, copy, RowParams.from_params(rows, "cpu"), torch.tensor(seeds),
                               torch.tensor(step), **shortcuts).tolist())
    return out[0], out[1]


def boundary_logits(tokens: int) -> torch.Tensor:
    """``tokens`` equal tokens and the rest at -inf: top_p 0.9 over ten of them puts a tail mass
    exactly on its threshold, a call the candidates leave to the sorted chain."""
    row = torch.full((VOCAB,), float("-inf"))
    row[torch.arange(tokens) * 97] = 1.0
    return row


MIXES = [
    [FILTERS["top_p"], FILTERS["combined"]],
    [FILTERS["penalties"], SamplingParams.make(temperature=0)],
    [FILTERS["temperature"], FILTERS["min_p"]],
    [FILTERS["top_k"], SamplingParams.make(temperature=0.7, top_k=900, top_p=0.97)],
    [SamplingParams.make(temperature=0.6, top_p=0.9), SamplingParams.make(temperature=0.7, top_p=0.9)],
]


def test_the_eager_shortcut_draws_exactly_what_the_sorted_chain_draws(monkeypatch):
    """Over every way the candidates can decide (at the first or the second look, by the noise
    bound, over the whole vocabulary unsorted) or not (the sorted chain): the same tokens."""
    outcomes: set[str] = set()
    kept_prefix, sample_sorted = prefilter.kept_prefix, prefilter.sample_sorted

    def record_kept(values, *args):
        verdict = kept_prefix(values, *args)
        outcomes.add(f"{len(values)}:{verdict if isinstance(verdict, int) else ('bounded' if verdict[1] else 'open')}")
        return verdict

    def record_sorted(*args):
        outcomes.add("sorted")
        return sample_sorted(*args)

    monkeypatch.setattr(prefilter, "kept_prefix", record_kept)
    monkeypatch.setattr(prefilter, "sample_sorted", record_sorted)
    names = list(DISTRIBUTIONS)
    for step in range(80):
        rows = MIXES[step % len(MIXES)]
        if step % 16 == 15:
            logits = boundary_logits(10).expand(2, -1)
        else:
            logits = torch.stack([DISTRIBUTIONS[names[(step + row) % len(names)]](step) for row in range(2)])
        state = PenaltyState.from_prompt(torch.tensor([[5, 6]]), 2, VOCAB)
        state.record(logits.argmax(-1))
        eager, reference = step_both_ways(logits, rows, [step, step + 1], step, state)
        assert eager == reference, (step, rows)
    first, second = prefilter.CANDIDATE_COUNTS[:2]
    assert outcomes >= {f"{first}:bounded", f"{first}:open", f"{second}:bounded", f"{second}:open", f"{first}:-1",
                        f"{first}:-2", "sorted"}, outcomes


@pytest.mark.parametrize("temperature", [1e-3, 1e-20, 1e-38, 1e-45])
def test_a_tiny_temperature_draws_the_argmax_without_nan(temperature):
    logits = peaky(seed=21)
    params = SamplingParams.make(temperature=temperature, top_p=0.9)
    assert set(draw(logits, params, 100)) == {int(logits.argmax())}
    assert set(draw(logits, params, 8, sorted_chain=True)) == {int(logits.argmax())}


def test_a_tiny_temperature_draws_tied_best_tokens_uniformly():
    """The tempered law's limit: the best tokens, equally. (Seeds 3 and 4 drew the same
    NaN-decided token before.)"""
    logits = peaky(seed=22)
    best = [10, 20_000, 49_151]
    logits[best] = logits.max() + 1
    params = SamplingParams.make(temperature=1e-30, top_p=0.9)
    tokens = draw(logits, params, 600)
    assert set(tokens) == set(best)
    assert stats.chisquare([tokens.count(t) for t in best]).pvalue >= ALPHA
    assert draw(logits, params, 40, first_seed=3) != draw(logits, params, 40, first_seed=4)
    assert set(draw(logits, params, 30, sorted_chain=True)) == set(best)
    greedy = draw(logits, SamplingParams.make(temperature=0), 5)
    assert set(greedy) == {10}  # temperature 0: the argmax, the lowest id among ties


@pytest.mark.parametrize("sorted_chain", [False, True])
def test_non_finite_logits_are_never_drawn_and_never_make_nan(sorted_chain):
    logits = peaky(seed=23)
    best = int(logits.argmax())
    nans = torch.randperm(VOCAB, generator=torch.Generator().manual_seed(0))[:500]
    nans = nans[nans != best]
    logits[nans] = float("nan")
    logits[:100] = float("-inf")
    params = FILTERS["combined"]
    tokens = draw(logits, params, 60, sorted_chain=sorted_chain)
    assert not set(tokens) & (set(nans.tolist()) | set(range(100)))
    assert_follows_law(torch.nan_to_num(logits, nan=float("-inf")), params, tokens)
    infinite = peaky(seed=24)
    infinite[777] = float("inf")
    assert set(draw(infinite, FILTERS["top_p"], 20, sorted_chain=sorted_chain)) == {777}
    all_nan = torch.full((VOCAB,), float("nan"))
    for token in draw(all_nan, FILTERS["top_p"], 4, sorted_chain=sorted_chain):
        assert 0 <= token < VOCAB  # garbage in, but still a token, no error


@pytest.mark.parametrize("penalty", [0.01, 5.0])
def test_huge_penalties_stay_finite_and_inside_the_allowed_set(penalty):
    logits = peaky(seed=25)
    params = SamplingParams.make(temperature=1.0, top_p=0.95, repetition_penalty=penalty, presence_penalty=-2.0,
                                 frequency_penalty=2.0)
    repeated = [int(t) for t in logits.topk(8).indices]
    state = PenaltyState.from_prompt(torch.tensor([repeated]), 2, VOCAB)
    state.counts[:, repeated] = 1e6  # each generated a million times: -2e6 on its logit
    scores = penalized(logits, params, seen=repeated)
    scores[repeated] = scores[repeated] - params.presence_penalty - params.frequency_penalty * 1e6
    allowed = allowed_set(scores, params)
    for step in range(6):
        eager, reference = step_both_ways(logits.expand(2, -1), [params, params], [step, step + 7], step, state)
        assert eager == reference
        assert all(allowed[token] for token in eager)


def test_bf16_logits_follow_the_law_of_their_values():
    logits = peaky(seed=26).bfloat16()
    params = FILTERS["top_p"]
    tokens = draw(logits, params, 400)
    assert_follows_law(logits.float(), params, tokens)


def test_temperature_100_on_two_rows_stays_inside_the_set():
    params = SamplingParams.make(temperature=100.0, top_k=50)
    logits = peaky(seed=27)
    allowed = np.flatnonzero(allowed_set(logits, params).numpy())
    for step in range(5):
        eager, reference = step_both_ways(logits.expand(2, -1), [params, params], [step, step + 1], step)
        assert eager == reference and set(eager) <= set(allowed.tolist())
