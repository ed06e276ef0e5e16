"""The sampling noise: strictly positive and finite by construction, uniform bits, and no
correlation between neighbouring tokens, steps or seeds (on the real vocabulary size)."""

import numpy as np
import pytest
import torch
from scipy import stats

from playground.engine.sampling.noise import (
    GUMBEL_CEILING,
    exponential_from_bits,
    gumbel_from_bits,
    gumbel_noise,
    host_bits,
    random_bits,
    uniform_from_bits,
)
from tests.sampling_reference import ALPHA, VOCAB, one_thread

pytestmark = pytest.mark.usefixtures(one_thread.__name__)

TOKENS = torch.arange(VOCAB)


def bits_for(seeds: list[int], steps: list[int]) -> torch.Tensor:
    """[len(seeds), len(steps), VOCAB] bits."""
    seed_tensor = torch.tensor(seeds)
    return torch.stack([random_bits(seed_tensor, torch.tensor(step), TOKENS.expand(len(seeds), -1))
                        for step in steps], dim=1)


def test_every_uniform_value_gives_positive_finite_noise():
    """All 2**23 values the uniform can take (with the low bits set, the case that rounded to
    1.0 and gave noise 0 before), and the extreme 32-bit words."""
    top = torch.arange(1 << 23, dtype=torch.long) << 9
    for bits in (top, top | 0x1FF, torch.tensor([0, 0xFFFFFFFF, 0xFFFFFE00, 0x1FF])):
        uniform = uniform_from_bits(bits)
        assert (uniform > 0).all() and (uniform < 1).all()
        exponential = exponential_from_bits(bits)
        assert (exponential > 0).all() and torch.isfinite(exponential).all()
        gumbel = gumbel_from_bits(bits)
        assert torch.isfinite(gumbel).all() and gumbel.max() <= GUMBEL_CEILING
    assert exponential_from_bits(torch.tensor([0xFFFFFFFF])).item() == pytest.approx(2.0**-24, rel=1e-3)


def test_bits_are_uniform():
    words = bits_for(list(range(8)), list(range(6))).flatten()  # 2.4M words
    for shift in (24, 16, 9, 0):  # the top byte, middle bits, the uniform's lowest bits, the low byte
        counts = torch.bincount((words >> shift) & 0xFF, minlength=256).numpy()
        assert stats.chisquare(counts).pvalue >= ALPHA, shift
    uniform = uniform_from_bits(words).numpy()
    assert stats.chisquare(np.histogram(uniform, bins=1024, range=(0, 1))[0]).pvalue >= ALPHA
    exponential = exponential_from_bits(words[:200_000]).numpy()
    assert stats.kstest(exponential, "expon").pvalue >= ALPHA


def correlation_pvalue(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(stats.pearsonr(a.flatten().double().numpy(), b.flatten().double().numpy()).pvalue)


def test_no_correlation_between_neighbouring_tokens_steps_and_seeds():
    seeds = [0, 1, 2, 2**32, 2**32 + 1, 2**62 + 5, 2**63 - 1]
    uniform = uniform_from_bits(bits_for(seeds, [0, 1, 2, 1000]))
    assert correlation_pvalue(uniform[..., :-1], uniform[..., 1:]) >= ALPHA  # token i, i + 1
    assert correlation_pvalue(uniform[:, :-1], uniform[:, 1:]) >= ALPHA  # step t, t + 1
    for a, b in [(0, 1), (1, 2), (0, 3), (2, 4), (3, 4), (5, 6)]:  # seed s, s + 1; seeds 2**32 apart
        assert correlation_pvalue(uniform[a], uniform[b]) >= ALPHA, (seeds[a], seeds[b])


def test_seeds_differing_anywhere_give_different_noise():
    """Folding the seed to 32 bits made seeds 0 and 2**32 + 1 draw identical noise."""
    seeds = [0, 2**32 + 1, 2**32, 1, 2**62, 2**63 - 1]
    words = bits_for(seeds, [0])[:, 0]
    for a in range(len(seeds)):
        for b in range(a + 1, len(seeds)):
            assert (words[a] == words[b]).float().mean() < 1e-3, (seeds[a], seeds[b])


def test_same_seed_step_and_token_give_the_same_noise_whatever_the_batch():
    ids = torch.randint(0, VOCAB, (3, 64), generator=torch.Generator().manual_seed(0))
    together = gumbel_noise(torch.tensor([5, 6, 2**40]), torch.tensor(9), ids)
    alone = gumbel_noise(torch.tensor([6]), torch.tensor(9), ids[1:2])
    assert torch.equal(together[1], alone[0])  # a row's noise does not depend on the other rows
    assert torch.equal(host_bits([5, 6, 2**40], 9, ids.numpy()), random_bits(torch.tensor([5, 6, 2**40]),
                                                                               torch.tensor(9), ids))
    assert not torch.equal(gumbel_noise(torch.tensor([6]), torch.tensor(10), ids[1:2]), alone)
