"""The sampling chain, unit by unit, against transformers' logits processors on StarCoder2's
49,152-token vocabulary."""

import numpy as np
import pytest
import torch
from transformers.generation.logits_process import RepetitionPenaltyLogitsProcessor, TopPLogitsWarper

from playground.engine.sampling.chain import apply_penalties, filter_logits, host_shortcuts, next_tokens
from playground.engine.sampling.rows import PenaltyState, RowParams
from playground.params import SamplingParams
from tests.sampling_reference import VOCAB, allowed_set, one_thread

pytestmark = pytest.mark.usefixtures(one_thread.__name__)


def peaked_logits(rows: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(rows, VOCAB, generator=generator) * 3


def row_params(*rows: SamplingParams) -> RowParams:
    return RowParams.from_params(rows, "cpu")


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
    logits = peaked_logits(2, seed=1)
    ours = torch.isfinite(filter_logits(logits, row_params(params, params)))
    for row in range(2):
        assert torch.equal(ours[row], allowed_set(logits[row], params))
    assert ours.sum(-1).min() >= 1


def test_each_row_uses_its_own_parameters():
    logits = peaked_logits(2, seed=2)
    a, b = SamplingParams.make(top_k=3, top_p=1.0), SamplingParams.make(temperature=1.0, top_p=0.5, min_p=0.3)
    ours = torch.isfinite(filter_logits(logits, row_params(a, b)))
    assert torch.equal(ours[0], allowed_set(logits[0], a))
    assert torch.equal(ours[1], allowed_set(logits[1], b))
    assert ours[0].sum() == 3


def padded(values: list[float]) -> torch.Tensor:
    """A row of the real vocabulary size: ``values`` first, every other token at -inf."""
    row = torch.full((1, VOCAB), float("-inf"))
    row[0, : len(values)] = torch.tensor(values)
    return row


def test_top_k_keeps_ties_like_transformers():
    logits = padded([3.0, 2.0, 2.0, 1.0, 0.0])
    top2 = row_params(SamplingParams.make(temperature=1.0, top_k=2, top_p=1.0))
    assert torch.isfinite(filter_logits(logits, top2))[0, :5].tolist() == [True, True, True, False, False]
    off = row_params(SamplingParams.make(temperature=1.0, top_k=0, top_p=1.0))
    assert torch.isfinite(filter_logits(logits, off))[0, :5].all()


def test_a_tie_at_the_top_p_boundary_is_kept_whole():
    """Five tokens of 0.2: top_p 0.5 needs three of them. transformers keeps three, chosen by its
    sort order; the chain keeps all five rather than pick some of equal tokens."""
    logits = padded([1.0] * 5)
    params = SamplingParams.make(temperature=1.0, top_p=0.5)
    theirs = torch.isfinite(TopPLogitsWarper(0.5)(None, logits.clone()))[0, :5]
    assert theirs.sum() == 3
    assert torch.isfinite(filter_logits(logits, row_params(params)))[0, :5].all()


def test_top_p_threshold_is_float32_of_one_minus_top_p():
    """transformers compares the tail mass with float32(1 - top_p); 1 - float32(top_p) is larger
    for top_p = 0.9 and used to drop a token whose tail mass lies between the two."""
    reference, older = np.float32(1 - 0.9), np.float32(1 - np.float32(0.9))
    assert reference < older
    # Two tokens; the second's probability (its tail mass) just above float32(0.1): search the
    # float32 gaps around log(9) for one whose softmax lands between the two thresholds.
    gaps = torch.from_numpy(np.float32(np.log(9)) + np.arange(-2000, 2000, dtype=np.float32) * np.float32(1e-7))
    tails = torch.stack([torch.zeros_like(gaps), -gaps], dim=-1).softmax(-1)[:, 1]
    gap = gaps[(tails > float(reference)) & (tails <= float(older))][0].item()
    logits = padded([0.0, -gap])
    params = SamplingParams.make(temperature=1.0, top_p=0.9)
    theirs = torch.isfinite(TopPLogitsWarper(0.9)(None, logits.clone()))[0, :2]
    ours = torch.isfinite(filter_logits(logits, row_params(params)))[0, :2]
    assert theirs.tolist() == ours.tolist() == [True, True]


def test_top_p_one_and_min_p_zero_keep_every_token():
    logits = peaked_logits(2, seed=3)
    params = row_params(*[SamplingParams.make(temperature=1.0, top_p=1.0, min_p=0.0)] * 2)
    assert torch.equal(filter_logits(logits, params), logits - logits.amax(-1, keepdim=True))


def test_temperature_zero_is_argmax_of_penalized_logits():
    logits = peaked_logits(1, seed=4)
    params = SamplingParams.make(temperature=0, repetition_penalty=1.5)
    seen = logits.argmax(-1, keepdim=True)
    expected = RepetitionPenaltyLogitsProcessor(1.5)(seen, logits.clone()).argmax(-1)
    for shortcuts in ({}, host_shortcuts([params])):
        state = PenaltyState.from_prompt(seen, 1, VOCAB)
        token = next_tokens(logits, state, row_params(params), torch.tensor([0]), torch.tensor(0), **shortcuts)
        assert token.tolist() == expected.tolist()


def test_repetition_penalty_matches_transformers():
    logits = peaked_logits(1, seed=5)
    seen = torch.tensor([[1, 5, 5, 17, 200, 49151]])
    for penalty in (0.5, 1.3, 4.0):
        state = PenaltyState.from_prompt(seen, 1, VOCAB)
        ours = apply_penalties(logits, state, row_params(SamplingParams.make(repetition_penalty=penalty)))
        theirs = RepetitionPenaltyLogitsProcessor(penalty)(seen, logits.clone())
        assert torch.equal(ours, theirs)


def test_presence_and_frequency_count_generated_tokens_only():
    logits = peaked_logits(1, seed=6)
    prompt = torch.tensor([[3, 4]])
    generated = [4, 9, 9, 9, 250, 49000]
    state = PenaltyState.from_prompt(prompt, 1, VOCAB)
    for token in generated:
        state.record(torch.tensor([token]))
    params = row_params(SamplingParams.make(presence_penalty=0.7, frequency_penalty=-0.4))
    ours = apply_penalties(logits, state, params)[0]
    expected = logits[0].clone()
    for token in set(generated):  # OpenAI: logit -= presence * [count > 0] + frequency * count
        expected[token] -= 0.7 + -0.4 * generated.count(token)
    assert torch.allclose(ours, expected)
    assert ours[3] == logits[0, 3]  # prompt-only token: untouched by presence/frequency


def test_live_change_is_an_in_place_write():
    params = row_params(SamplingParams(), SamplingParams())
    tensor = params.temperature
    params.set("temperature", 0.0, row=1)
    params.set("top_k", 7)
    params.set("top_p", 0.95, row=0)
    assert params.temperature is tensor and params.temperature.tolist() == [pytest.approx(0.7), 0.0]
    assert params.top_k.tolist() == [7, 7]
    assert params.top_p.dtype == torch.float64 and params.top_p.tolist() == [0.95, 0.9]


def test_host_shortcuts_follow_the_parameters():
    card, greedy = SamplingParams(), SamplingParams.make(temperature=0)
    assert host_shortcuts([card]) == {"all_greedy": False, "neutral_penalties": True, "prefilter": True}
    assert host_shortcuts([greedy, greedy])["all_greedy"]
    assert not host_shortcuts([card, card.replace(frequency_penalty=0.1)])["neutral_penalties"]
