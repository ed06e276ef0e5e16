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

    def assign(self, rows: Sequence[SamplingParams]) -> None:
        """Write a whole new set of rows into the same tensors (their addresses stay)."""
        for f in fields(self):
            target = getattr(self, f.name)
            target.copy_(torch.tensor([getattr(p, f.name) for p in rows], dtype=target.dtype))

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

    def reset(self, prompt_ids: torch.Tensor) -> None:
        """In place: the prompt's tokens seen, no token generated yet."""
        self.seen.zero_()
        self.seen[:, prompt_ids.reshape(-1)] = True
        self.counts.zero_()

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


def kept_sorted(logits: torch.Tensor, params: RowParams) -> tuple[torch.Tensor, torch.Tensor]:
    """top_k, top_p and min_p decided on one descending sort of the (tempered) logits.

    Returns the probabilities in sorted order with removed tokens at 0, and the order (token
    ids). Semantics are transformers' warpers applied in turn: top_k keeps ties with the k-th
    value; top_p drops the least likely tokens whose joint mass is <= 1 - top_p (the most
    likely token always stays); min_p keeps p >=
    min_p x p_max (a ratio, so the renormalisation after top_p does not change it).
    """
    vocab_size = logits.shape[-1]
    ordered, order = logits.sort(dim=-1, descending=True)
    k = torch.where(params.top_k > 0, params.top_k, torch.full_like(params.top_k, vocab_size)).clamp(max=vocab_size)
    ordered = ordered.masked_fill(ordered < ordered.gather(-1, (k - 1).unsqueeze(-1)), NEG_INF)
    probs = ordered.softmax(dim=-1)
    # The mass of each token and every less likely one, summed from the least likely up as
    # transformers does (summing from the top rounds to 1.0 early and would cut the tail).
    tail_mass = probs.flip(-1).cumsum(dim=-1).flip(-1)
    keep = tail_mass > (1 - params.top_p).unsqueeze(-1)
    keep[..., 0] = True  # the most likely token always stays
    keep &= probs >= params.min_p.unsqueeze(-1) * probs[..., :1]
    return probs * keep, order


def kept_unsorted(logits: torch.Tensor, params: RowParams) -> torch.Tensor:
    """min_p alone, with no sort: for when no row uses top_k or top_p (the host knows)."""
    probs = logits.softmax(dim=-1)
    return probs * (probs >= params.min_p.unsqueeze(-1) * probs.amax(dim=-1, keepdim=True))


def filter_logits(logits: torch.Tensor, params: RowParams) -> torch.Tensor:
    """Temperature, top_k, top_p and min_p in token order, removed tokens at -inf: the
    distribution a token is drawn from, for inspection and tests (sampling uses the sorted form)."""
    tempered = apply_temperature(logits, params.temperature)
    probs, order = kept_sorted(tempered, params)
    kept = torch.zeros_like(probs, dtype=torch.bool).scatter(-1, order, probs > 0)
    return tempered.masked_fill(~kept, NEG_INF)


_MASK32 = 0xFFFFFFFF
_MIX = 0x45D9F3B  # < 2**27, so a 32-bit value times it stays inside int64: no overflow anywhere


def _mix32(x: torch.Tensor) -> torch.Tensor:
    """A 32-bit integer hash (two multiply-xorshift rounds) in int64 arithmetic."""
    x = (((x >> 16) ^ x) * _MIX) & _MASK32
    x = (((x >> 16) ^ x) * _MIX) & _MASK32
    return (x >> 16) ^ x


def exponential_noise(seeds: torch.Tensor, step: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """Exp(1) noise [rows, vocab] from a hash of (row seed, step, token id).

    Counter-based rather than a stateful generator: pure tensor arithmetic that compiles and
    replays in CUDA graphs, and each row's draw depends only on its own seed and step, so a
    row samples the same tokens alone or beside another row.
    """
    seed32 = (seeds ^ (seeds >> 32)) & _MASK32
    row_key = _mix32(seed32 ^ _mix32(step & _MASK32))  # [rows]
    token_key = _mix32(torch.arange(vocab_size, device=seeds.device) + 0x9E3779B9 & _MASK32)  # [vocab]
    bits = _mix32(row_key.unsqueeze(-1) ^ token_key)  # one hash per (row, token)
    uniform = ((bits >> 8).to(torch.float32) + 0.5) * (1.0 / (1 << 24))  # in (0, 1), never 0 or 1
    return -torch.log(uniform)


def sample(weights: torch.Tensor, order: torch.Tensor | None, noise: torch.Tensor) -> torch.Tensor:
    """argmax(p / E) with E ~ Exp(1) is a draw from p. ``weights`` may be in sorted order
    (``order`` gives the token ids); the noise stays tied to token ids either way, so sorting
    never changes which token is drawn."""
    if order is None:
        return (weights / noise).argmax(dim=-1)
    choice = (weights / noise.gather(-1, order)).argmax(dim=-1, keepdim=True)
    return order.gather(-1, choice).squeeze(-1)


def next_tokens(logits: torch.Tensor, state: PenaltyState, params: RowParams, seeds: torch.Tensor,
                step: torch.Tensor, all_greedy: bool = False, needs_sort: bool = True) -> torch.Tensor:
    """The whole chain for one step: [rows, vocab] logits in, [rows] token ids out.

    ``seeds`` [rows] and ``step`` (the index of the token being drawn) feed the noise. The
    host may pass what it knows from the parameters: ``all_greedy`` skips filters and noise
    (they cannot change an argmax), ``needs_sort=False`` skips the sort when no row uses top_k
    or top_p. A compiled step passes neither and computes every row's way in one graph.
    """
    logits = logits.float()
    penalized = apply_penalties(logits, state, params)
    greedy = penalized.argmax(dim=-1)
    if all_greedy:
        tokens = greedy
    else:
        tempered = apply_temperature(penalized, params.temperature)
        if needs_sort:
            weights, order = kept_sorted(tempered, params)
        else:
            weights, order = kept_unsorted(tempered, params), None
        sampled = sample(weights, order, exponential_noise(seeds, step, logits.shape[-1]))
        tokens = torch.where(params.temperature > 0, sampled, greedy)
    state.record(tokens)
    return tokens


def host_shortcuts(rows: Sequence[SamplingParams]) -> dict[str, bool]:
    """What the host can tell from the parameters to skip work on the eager path."""
    return {"all_greedy": all(p.temperature == 0 for p in rows),
            "needs_sort": any(p.top_k > 0 or p.top_p < 1 for p in rows)}
