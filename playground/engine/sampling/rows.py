"""Per-row sampling state held in device tensors: the parameters and the penalty counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import torch

from playground.params import SamplingParams

#: top_p is kept in float64 so that its threshold is float32(1 - top_p), computed in double as
#: transformers' TopPLogitsWarper does (1 - float32(top_p) moves boundary tokens).
_DTYPES = {"top_k": torch.long, "top_p": torch.float64}


@dataclass
class RowParams:
    """Per-row sampling parameters as device tensors of shape [rows] (top_k long, top_p
    float64, the rest float32)."""

    temperature: torch.Tensor
    top_p: torch.Tensor
    min_p: torch.Tensor
    top_k: torch.Tensor
    repetition_penalty: torch.Tensor
    presence_penalty: torch.Tensor
    frequency_penalty: torch.Tensor

    @classmethod
    def from_params(cls, rows: Sequence[SamplingParams], device: torch.device | str) -> RowParams:
        def column(name: str) -> torch.Tensor:
            dtype = _DTYPES.get(name, torch.float32)
            return torch.tensor([getattr(p, name) for p in rows], dtype=dtype, device=device)

        return cls(**{f.name: column(f.name) for f in fields(cls)})

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
