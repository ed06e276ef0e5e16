"""The response format's token mask on the device: one bit per token, packed in int32 words
(llguidance's layout: token t is bit t % 32 of word t // 32), applied to the raw logits as the
first operation of the sampling chain, so every later step (penalties, temperature, filters,
greedy's argmax) only ever sees allowed tokens."""

from __future__ import annotations

import torch

WORD_BITS = 32


def mask_words(vocab_size: int) -> int:
    return (vocab_size + WORD_BITS - 1) // WORD_BITS


def all_allowed(rows: int, vocab_size: int, device: torch.device | str) -> torch.Tensor:
    """The mask that changes nothing (every bit set): what a step without a format reads."""
    return torch.full((rows, mask_words(vocab_size)), -1, dtype=torch.int32, device=device)


def allowed_tokens(bits: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """[rows, words] int32 bits -> [rows, vocab] bool, tensor ops only (one compiled graph)."""
    shifts = torch.arange(WORD_BITS, dtype=torch.int32, device=bits.device)
    unpacked = (bits.unsqueeze(-1) >> shifts) & 1  # arithmetic shift: bit 31 of -1 is still 1
    return unpacked.reshape(bits.shape[0], -1)[:, :vocab_size].bool()


def apply_token_mask(logits: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
    """Disallowed tokens at -inf; a new tensor (the raw logits stay for whoever reads them)."""
    return logits.masked_fill(~allowed_tokens(bits, logits.shape[-1]), float("-inf"))


def load_mask(target: torch.Tensor | None, bits: torch.Tensor, device: torch.device) -> torch.Tensor:
    """``bits`` (host) written into the device tensor ``target``, made on the first call; the
    copy does not wait (the step that reads it is queued after it on the same stream)."""
    if target is None:
        target = torch.empty(bits.shape, dtype=torch.int32, device=device)
    target.copy_(bits, non_blocking=bits.is_pinned())
    return target
