"""The sampling chain against transformers' logits processors and a plain reference."""

import pytest
import torch
from transformers.generation.logits_process import (
    MinPLogitsWarper,
    RepetitionPenaltyLogitsProcessor,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)

from playground.engine.sampling import PenaltyState, RowParams, apply_penalties, filter_logits, next_tokens
from playground.params import SamplingParams

VOCAB = 300


def peaked_logits(rows: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(rows, VOCAB, generator=generator) * 3


def row_params(*rows: SamplingParams) -> RowParams:
    return RowParams.from_params(rows, "cpu")


def hf_allowed(logits: torch.Tensor, params: SamplingParams) -> torch.Tensor:
    """The tokens transformers' warpers leave finite, in our order (temperature first)."""
    scores = logits.clone()
    warpers = [TemperatureLogitsWarper(params.temperature)]
    if params.top_k:
        warpers.append(TopKLogitsWarper(params.top_k))
    if params.top_p < 1:
        warpers.append(TopPLogitsWarper(params.top_p))
    if params.min_p:
        warpers.append(MinPLogitsWarper(params.min_p))
    for warper in warpers:
        scores = warper(None, scores)
    return torch.isfinite(scores)


CASES = [
    SamplingParams.make(temperature=0.7, top_p=0.9),
    SamplingParams.make(temperature=1.3, top_k=5),
    SamplingParams.make(temperature=0.5, top_k=40, top_p=0.5),
    SamplingParams.make(temperature=1.0, top_p=1.0, min_p=0.1),
    SamplingParams.make(temperature=2.0, top_k=10, top_p=0.8, min_p=0.2),
    SamplingParams.make(temperature=0.3, top_p=0.01),
]


@pytest.mark.parametrize("params", CASES)
def test_filtered_set_matches_transformers(params):
    logits = peaked_logits(4, seed=1)
    ours = torch.isfinite(filter_logits(logits, row_params(*[params] * 4)))
    assert torch.equal(ours, hf_allowed(logits, params))
    assert ours.sum(-1).min() >= 1


def test_each_row_uses_its_own_parameters():
    logits = peaked_logits(2, seed=2)
    a, b = SamplingParams.make(top_k=3, top_p=1.0), SamplingParams.make(temperature=1.0, top_p=0.5, min_p=0.3)
    ours = torch.isfinite(filter_logits(logits, row_params(a, b)))
    assert torch.equal(ours[0], hf_allowed(logits[:1], a)[0])
    assert torch.equal(ours[1], hf_allowed(logits[1:], b)[0])
    assert ours[0].sum() == 3


def test_top_k_keeps_ties_like_transformers():
    logits = torch.tensor([[3.0, 2.0, 2.0, 1.0, 0.0]])
    top2 = row_params(SamplingParams.make(temperature=1.0, top_k=2, top_p=1.0))
    assert torch.isfinite(filter_logits(logits, top2)).tolist() == [[True, True, True, False, False]]
    off = row_params(SamplingParams.make(temperature=1.0, top_k=0, top_p=1.0))
    assert torch.isfinite(filter_logits(logits, off)).all()


def test_top_p_one_and_min_p_zero_keep_every_token():
    logits = peaked_logits(2, seed=3)
    params = row_params(*[SamplingParams.make(temperature=1.0, top_p=1.0, min_p=0.0)] * 2)
    assert torch.equal(filter_logits(logits, params), logits)


@pytest.mark.parametrize("min_p", [0.0, 0.2])
def test_skipping_the_sort_draws_the_same_tokens(min_p):
    """The eager path skips the sort when no row uses top_k or top_p; the compiled step
    always sorts. Both must draw the same token from the same noise."""
    params = row_params(*[SamplingParams.make(temperature=1.1, top_p=1.0, min_p=min_p)] * 2)
    for step in range(100):
        logits = peaked_logits(2, seed=step)
        state_a = PenaltyState.from_prompt(torch.tensor([[0]]), 2, VOCAB)
        state_b = PenaltyState.from_prompt(torch.tensor([[0]]), 2, VOCAB)
        seeds, at = torch.tensor([step, step + 1]), torch.tensor(step)
        sorted_way = next_tokens(logits, state_a, params, seeds, at, needs_sort=True)
        direct_way = next_tokens(logits, state_b, params, seeds, at, needs_sort=False)
        assert torch.equal(sorted_way, direct_way)


@pytest.mark.parametrize("params", CASES)
def test_sampled_tokens_are_always_inside_the_allowed_set(params):
    rows = 2
    seen_tokens: set[int] = set()
    for step in range(200):
        logits = peaked_logits(rows, seed=step)
        allowed = hf_allowed(logits, params)
        state = PenaltyState.from_prompt(torch.tensor([[VOCAB - 1]]), rows, VOCAB)
        seeds = torch.tensor([step * 2 + r for r in range(rows)])
        tokens = next_tokens(logits, state, row_params(*[params] * rows), seeds, torch.tensor(step))
        for row, token in enumerate(tokens.tolist()):
            assert allowed[row, token], (step, row, token)
            seen_tokens.add(token)
    assert len(seen_tokens) > 5  # really sampling, not a constant


def test_sampling_follows_the_distribution():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.2] + [1e-9] * 5]))
    params = row_params(SamplingParams.make(temperature=1.0, top_p=1.0))
    counts = torch.zeros(8)
    for step in range(4000):
        state = PenaltyState.from_prompt(torch.tensor([[7]]), 1, 8)
        counts[next_tokens(logits, state, params, torch.tensor([0]), torch.tensor(step))] += 1
    assert torch.allclose(counts[:3] / 4000, torch.tensor([0.5, 0.3, 0.2]), atol=0.03)


def test_temperature_zero_is_argmax_of_penalized_logits():
    logits = peaked_logits(1, seed=4)
    params = row_params(SamplingParams.make(temperature=0, repetition_penalty=1.5))
    state = PenaltyState.from_prompt(logits.argmax(-1, keepdim=True), 1, VOCAB)
    expected = RepetitionPenaltyLogitsProcessor(1.5)(logits.argmax(-1, keepdim=True), logits.clone()).argmax(-1)
    token = next_tokens(logits, state, params, torch.tensor([0]), torch.tensor(0))
    assert token.tolist() == expected.tolist()


def test_repetition_penalty_matches_transformers():
    logits = peaked_logits(1, seed=5)
    seen = torch.tensor([[1, 5, 5, 17, 200]])
    for penalty in (0.5, 1.3, 4.0):
        state = PenaltyState.from_prompt(seen, 1, VOCAB)
        ours = apply_penalties(logits, state, row_params(SamplingParams.make(repetition_penalty=penalty)))
        theirs = RepetitionPenaltyLogitsProcessor(penalty)(seen, logits.clone())
        assert torch.allclose(ours, theirs)


def reference_presence_frequency(logits, generated, presence, frequency):
    out = logits.clone()
    for token in set(generated):
        out[token] -= presence + frequency * generated.count(token)
    return out


def test_presence_and_frequency_count_generated_tokens_only():
    logits = peaked_logits(1, seed=6)
    prompt = torch.tensor([[3, 4]])
    generated = [4, 9, 9, 9, 250]
    state = PenaltyState.from_prompt(prompt, 1, VOCAB)
    for token in generated:
        state.record(torch.tensor([token]))
    params = row_params(SamplingParams.make(presence_penalty=0.7, frequency_penalty=-0.4))
    ours = apply_penalties(logits, state, params)[0]
    expected = reference_presence_frequency(logits[0], generated, 0.7, -0.4)
    assert torch.allclose(ours, expected)
    assert ours[3] == logits[0, 3]  # prompt-only token: untouched by presence/frequency


def test_noise_is_exponential_and_depends_only_on_seed_and_step():
    from playground.engine.sampling import exponential_noise

    noise = exponential_noise(torch.tensor([1, 2**62 + 5]), torch.tensor(7), 49152)
    assert noise.min() > 0 and torch.allclose(noise.mean(-1), torch.ones(2), atol=0.03)
    assert torch.allclose(noise.std(-1), torch.ones(2), atol=0.03)
    alone = exponential_noise(torch.tensor([2**62 + 5]), torch.tensor(7), 49152)
    assert torch.equal(alone[0], noise[1])  # a row's draw does not depend on the other rows
    assert not torch.equal(exponential_noise(torch.tensor([1]), torch.tensor(8), 49152)[0], noise[0])


def test_live_change_is_an_in_place_write():
    params = row_params(SamplingParams(), SamplingParams())
    tensor = params.temperature
    params.set("temperature", 0.0, row=1)
    params.set("top_k", 7)
    assert params.temperature is tensor and params.temperature.tolist() == [pytest.approx(0.7), 0.0]
    assert params.top_k.tolist() == [7, 7]
