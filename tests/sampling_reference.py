"""The reference a sampled token is checked against: transformers' own logits processors
(RepetitionPenalty, Temperature, TopK, TopP, MinP, in that order) plus OpenAI's presence and
frequency penalties, and the statistics that test a stream of draws against that law."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest
import torch
from scipy import stats
from transformers.generation.logits_process import (
    MinPLogitsWarper,
    RepetitionPenaltyLogitsProcessor,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)

from playground.params import SamplingParams

VOCAB = 49152  # StarCoder2's vocabulary
#: Significance of every statistical test: each passes at p >= 1e-3.
ALPHA = 1e-3


@pytest.fixture(scope="module")
def one_thread():
    """These tests draw from [rows, 49152] tensors one small op after another: on shared cores
    a second intra-op thread mostly waits (and spins), so they run on one. Module-scoped, so
    that it also covers the module's fixtures."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def penalized(logits: torch.Tensor, params: SamplingParams, seen: Sequence[int] = (),
              generated: Sequence[int] = ()) -> torch.Tensor:
    """[vocab] logits after transformers' repetition penalty (over ``seen``: prompt and
    generated) and OpenAI's presence/frequency penalties (over ``generated``)."""
    scores = logits.float().clone().unsqueeze(0)
    if params.repetition_penalty != 1 and seen:
        scores = RepetitionPenaltyLogitsProcessor(params.repetition_penalty)(torch.tensor([list(seen)]), scores)
    counts = torch.bincount(torch.tensor(list(generated), dtype=torch.long), minlength=scores.shape[-1]).float()
    return scores[0] - params.presence_penalty * (counts > 0) - params.frequency_penalty * counts


def warped(scores: torch.Tensor, params: SamplingParams) -> torch.Tensor:
    """Temperature, top_k, top_p and min_p with transformers' warpers; removed tokens at -inf.

    The scores are shifted to a maximum of 0 first: the same softmax (a shift changes no
    probability), and what the chain does so that a tiny temperature cannot overflow."""
    scores = (scores - scores.max()).unsqueeze(0)
    warpers = [TemperatureLogitsWarper(params.temperature)]
    if params.top_k:
        warpers.append(TopKLogitsWarper(params.top_k))
    if params.top_p < 1:
        warpers.append(TopPLogitsWarper(params.top_p))
    if params.min_p:
        warpers.append(MinPLogitsWarper(params.min_p))
    for warper in warpers:
        scores = warper(None, scores)
    return scores[0]


def tempered(scores: torch.Tensor, params: SamplingParams) -> torch.Tensor:
    """The scores shifted to a maximum of 0, through transformers' TemperatureLogitsWarper."""
    return TemperatureLogitsWarper(params.temperature)(None, (scores - scores.max()).unsqueeze(0))[0]


def allowed_set(scores: torch.Tensor, params: SamplingParams) -> torch.Tensor:
    """The tokens transformers' warpers leave finite, closed under exact ties: a tie at the
    top_p boundary is kept whole (transformers keeps part of it, chosen by its sort order; top_k
    and min_p never split a tie). ``scores``: the penalized logits."""
    values = tempered(scores, params)
    return values >= values[torch.isfinite(warped(scores, params))].min()


def reference_law(logits: torch.Tensor, params: SamplingParams, seen: Sequence[int] = (),
                  generated: Sequence[int] = ()) -> np.ndarray:
    """The probability of every token, float64 [vocab], under the reference; 0 outside the
    allowed set. (At temperature 0: the argmax, the lowest id among ties.)"""
    scores = penalized(logits, params, seen, generated)
    if params.temperature == 0:
        law = np.zeros(scores.shape[-1])
        law[int(scores.argmax())] = 1.0
        return law
    allowed = allowed_set(scores, params)
    return tempered(scores, params).double().masked_fill(~allowed, float("-inf")).softmax(-1).numpy()


class LawCheck:
    """Draws checked against their laws as they come (the law may change from draw to draw):
    the randomized probability integral transform (for a draw k from a law p over the tokens
    in id order, F(k-) + V p(k) with V ~ U(0, 1) is exactly uniform, tested with KS) and the
    log-likelihood's z-score (its sum against its expectation and variance under the laws)."""

    def __init__(self, seed: int = 0) -> None:
        self._rng = np.random.default_rng(seed)
        self._law: np.ndarray | None = None
        self._summary: tuple[np.ndarray, float, float] = (np.zeros(0), 0.0, 0.0)
        self.pit: list[float] = []
        self.log_likelihood = self.expected = self.variance = 0.0
        self.outside: list[int] = []

    def add(self, law: np.ndarray, token: int) -> None:
        """One draw; ``law`` float64 [vocab] (the same array may serve many draws in a row)."""
        if law is not self._law:  # the summary of the last law seen (it is kept alive, so never stale)
            positive = law[law > 0]
            logs = np.log(positive)
            expected = float((positive * logs).sum())
            self._law, self._summary = law, (np.cumsum(law), expected, float((positive * logs**2).sum()) - expected**2)
        cdf, expected, variance = self._summary
        if law[token] <= 0:
            self.outside.append(token)
            return
        self.pit.append(cdf[token] - law[token] + self._rng.random() * law[token])
        self.log_likelihood += math.log(law[token])
        self.expected, self.variance = self.expected + expected, self.variance + variance

    def ks_pvalue(self) -> float:
        return float(stats.kstest(self.pit, "uniform").pvalue)

    def z_pvalue(self) -> float:
        if self.variance <= 1e-12:  # point masses only: every draw was the one possible token
            return 1.0
        return float(2 * stats.norm.sf(abs((self.log_likelihood - self.expected) / math.sqrt(self.variance))))

    def assert_fits(self) -> None:
        assert not self.outside, f"{len(self.outside)} draws outside the allowed set, e.g. {self.outside[:5]}"
        assert self.ks_pvalue() >= ALPHA, self.ks_pvalue()
        assert self.z_pvalue() >= ALPHA, self.z_pvalue()
