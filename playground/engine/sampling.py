"""The sampling chain as small pure functions over batched tensors.

logits -> penalties -> temperature -> top_k -> top_p -> min_p -> sample

Every parameter is a device tensor with one value per row, so two rows can sample with
different settings in one batch, and a live change is an in-place write into a tensor
(no new graph, no host round trip). Semantics follow transformers' logits processors
(RepetitionPenalty, Temperature, TopK, TopP, MinP) and OpenAI's presence/frequency
penalties over the generated tokens only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import torch

from playground.params import SamplingParams

NEG_INF = float("-inf")


@dataclass
class RowParams:
    """Per-row sampling parameters as device tensors of shape [rows]."""

    temperature: torch.Tensor
    top_p: torch.Tensor
    min_p: torch.Tensor
    top_k: torch.Tensor
    repetition_penalty: torch.Tensor
    presence_penalty: torch.Tensor
    frequency_penalty: torch.Tensor

    @classmethod
    def from_params(cls, rows: Sequence[SamplingParams], device: torch.device | str) -> RowParams:
        def column(name: str, dtype: torch.dtype) -> torch.Tensor:
            return torch.tensor([getattr(p, name) for p in rows], dtype=dtype, device=device)

        return cls(**{f.name: column(f.name, torch.long if f.name == "top_k" else torch.float32)
                      for f in fields(cls)})

    def set(self, name: str, value: float, row: int | None = None) -> None:
        """Write one value in place; ``row`` None writes every row."""
        target = getattr(self, name)
        if row is None:
            target.fill_(value)
        else:
            target[row] = value


@dataclass
class PenaltyState:
    """Which tokens each row has seen (prompt + generated) and how often it generated each."""

    seen: torch.Tensor  # bool [rows, vocab]
    counts: torch.Tensor  # float32 [rows, vocab], generated tokens only

    @classmethod
    def from_prompt(cls, prompt_ids: torch.Tensor, rows: int, vocab_size: int) -> PenaltyState:
        device = prompt_ids.device
        seen = torch.zeros(rows, vocab_size, dtype=torch.bool, device=device)
        seen[:, prompt_ids.reshape(-1)] = True
        counts = torch.zeros(rows, vocab_size, dtype=torch.float32, device=device)
        return cls(seen, counts)

    def record(self, tokens: torch.Tensor) -> None:
        index = tokens.unsqueeze(-1)
        self.seen.scatter_(-1, index, True)
        self.counts.scatter_add_(-1, index, torch.ones_like(index, dtype=self.counts.dtype))


def apply_penalties(logits: torch.Tensor, state: PenaltyState, params: RowParams) -> torch.Tensor:
    rep = params.repetition_penalty.unsqueeze(-1)
    penalized = torch.where(logits < 0, logits * rep, logits / rep)
    logits = torch.where(state.seen, penalized, logits)
    presence = params.presence_penalty.unsqueeze(-1) * (state.counts > 0)
    frequency = params.frequency_penalty.unsqueeze(-1) * state.counts
    return logits - presence - frequency


def apply_temperature(logits: torch.Tensor, temperature: torch.Tensor) -> torch.Tensor:
    # Greedy rows (temperature 0) are decided by argmax before this; dividing by 1 keeps them finite.
    safe = torch.where(temperature > 0, temperature, torch.ones_like(temperature))
    return logits / safe.unsqueeze(-1)


def apply_top_k(logits: torch.Tensor, top_k: torch.Tensor) -> torch.Tensor:
    vocab_size = logits.shape[-1]
    k = torch.where(top_k > 0, top_k, torch.full_like(top_k, vocab_size)).clamp(max=vocab_size)
    kth_largest = logits.sort(dim=-1, descending=True).values.gather(-1, (k - 1).unsqueeze(-1))
    return logits.masked_fill(logits < kth_largest, NEG_INF)


def apply_top_p(logits: torch.Tensor, top_p: torch.Tensor) -> torch.Tensor:
    sorted_logits, sorted_index = logits.sort(dim=-1, descending=False)
    cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
    remove_sorted = cumulative <= (1 - top_p).unsqueeze(-1)
    remove_sorted[..., -1] = False  # the most likely token always stays
    remove = remove_sorted.scatter(-1, sorted_index, remove_sorted)
    return logits.masked_fill(remove, NEG_INF)


def apply_min_p(logits: torch.Tensor, min_p: torch.Tensor) -> torch.Tensor:
    probs = logits.softmax(dim=-1)
    threshold = min_p.unsqueeze(-1) * probs.amax(dim=-1, keepdim=True)
    # The top token has p = p_max >= min_p * p_max, so at least one token always survives.
    return logits.masked_fill(probs < threshold, NEG_INF)


def filter_logits(logits: torch.Tensor, params: RowParams) -> torch.Tensor:
    """Temperature, top_k, top_p and min_p: the distribution a sampled token is drawn from."""
    logits = apply_temperature(logits, params.temperature)
    logits = apply_top_k(logits, params.top_k)
    logits = apply_top_p(logits, params.top_p)
    return apply_min_p(logits, params.min_p)


def exponential_noise(shape: torch.Size, generators: Sequence[torch.Generator],
                      device: torch.device) -> torch.Tensor:
    """One Exp(1) draw per token and row, each row from its own seeded generator."""
    noise = torch.empty(shape, dtype=torch.float32, device=device)
    for row, generator in enumerate(generators):
        noise[row].exponential_(generator=generator)
    return noise


def sample(filtered: torch.Tensor, penalized: torch.Tensor, temperature: torch.Tensor,
           noise: torch.Tensor) -> torch.Tensor:
    """argmax(p / E) with E ~ Exp(1) is a draw from p; rows at temperature 0 take argmax."""
    probs = filtered.softmax(dim=-1)
    sampled = (probs / noise.clamp_min(1e-20)).argmax(dim=-1)
    greedy = penalized.argmax(dim=-1)
    return torch.where(temperature > 0, sampled, greedy)


def next_tokens(logits: torch.Tensor, state: PenaltyState, params: RowParams,
                generators: Sequence[torch.Generator], all_greedy: bool = False) -> torch.Tensor:
    """The whole chain for one step: [rows, vocab] logits in, [rows] token ids out.

    ``all_greedy`` (known on the host from the parameters) skips the filters and the noise,
    which cannot change an argmax; the generators are then not advanced.
    """
    logits = logits.float()
    penalized = apply_penalties(logits, state, params)
    if all_greedy:
        tokens = penalized.argmax(dim=-1)
    else:
        filtered = filter_logits(penalized, params)
        noise = exponential_noise(logits.shape, generators, logits.device)
        tokens = sample(filtered, penalized, params.temperature, noise)
    state.record(tokens)
    return tokens
