"""Sampling noise: a counter-based hash of (row seed, step, token id).

Counter-based rather than a stateful generator: pure integer tensor arithmetic that compiles,
replays in CUDA graphs and can be evaluated for any subset of tokens (the eager path draws it
for its candidate tokens only), and a row's draw depends only on its own seed and step, so a
row samples the same tokens alone or beside another row. torch offers no counter-based
generator over tensors (its Philox is internal to its kernels), hence this small hash.

Every value stays below 2**63 (32-bit lanes in int64, mixing multipliers below 2**27, token
ids below 2**31), so no arithmetic overflows on any device or compiler.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import torch

Bits = TypeVar("Bits", int, np.ndarray, torch.Tensor)

_MASK32 = 0xFFFFFFFF
_MIX = 0x45D9F3B  # odd and < 2**27: a bijection on 32 bits, and a 32-bit value times it stays inside int64
_TOKEN_MULTIPLIER = 0x9E3779B1  # 2**32 / golden ratio, odd: spreads consecutive token ids apart
_STEP_SALT = 0x85EBCA6B
_HIGH_SALT = 0xC2B2AE35
#: Uniforms carry 23 bits: (k + 0.5) / 2**23 is exact in float32 for every k < 2**23, so the
#: uniform lies in [2**-24, 1 - 2**-24] and never rounds to 0 or 1 (24 bits would round the top
#: value up to 1.0, and -log(1.0) = 0 then made the noise 0 and the sample NaN).
UNIFORM_BITS = 23
#: A floor under -log(u) that an accurate log never reaches (its least value is 2**-24): it
#: keeps the noise strictly positive even under a fast-math log that rounds log(1 - 2**-24) to 0.
_EXPONENTIAL_FLOOR = 2.0**-25
#: No Gumbel value exceeds -log(2**-25) = 17.3287 (the floor above), so a token whose logit is
#: more than this below the best score found cannot win the draw (a little slack for rounding).
GUMBEL_CEILING = 17.34


def _mix32(x: Bits) -> Bits:
    """A 32-bit integer hash (two multiply-xorshift rounds), a bijection. Written with plain
    operators, so the same code hashes Python ints, numpy int64 arrays and int64 tensors."""
    x = (((x >> 16) ^ x) * _MIX) & _MASK32
    x = (((x >> 16) ^ x) * _MIX) & _MASK32
    return (x >> 16) ^ x  # type: ignore[no-any-return]  # numpy's operators are typed Any


def row_keys(seed: Bits, step: Bits) -> tuple[Bits, Bits]:
    """Two 32-bit keys per row from its 63-bit seed and the step: the low half of the seed goes
    into the first, the high half into the second, so seeds that differ anywhere differ."""
    low, high = seed & _MASK32, (seed >> 32) & _MASK32
    first = _mix32(low ^ _mix32((step & _MASK32) ^ _STEP_SALT))
    second = _mix32(high ^ _mix32(first ^ _HIGH_SALT))
    return first, second


def token_bits(first: Bits, second: Bits, token_ids: Bits) -> Bits:
    """32 uniform bits per token from a row's keys (broadcast against ``token_ids``, which are
    below 2**31 so that the product stays inside int64)."""
    token_keys = ((token_ids + 1) * _TOKEN_MULTIPLIER) & _MASK32
    return _mix32(_mix32(token_keys ^ first) ^ second)


def random_bits(seeds: torch.Tensor, step: torch.Tensor, token_ids: torch.Tensor) -> torch.Tensor:
    """32 uniform bits (int64 in [0, 2**32)) per (row, token): ``seeds`` [rows], ``step`` a
    0-d tensor, ``token_ids`` [rows, n]."""
    first, second = row_keys(seeds, step)
    return token_bits(first.unsqueeze(-1), second.unsqueeze(-1), token_ids)


def host_bits(seeds: list[int], step: int, token_ids: np.ndarray) -> torch.Tensor:
    """``random_bits`` computed on the host with numpy (the same integers, several times
    faster for the few hundred candidate tokens of the eager path)."""
    keys = np.array([row_keys(seed, step) for seed in seeds], dtype=np.int64)
    return torch.from_numpy(token_bits(keys[:, :1], keys[:, 1:], token_ids.astype(np.int64)))


def uniform_from_bits(bits: torch.Tensor) -> torch.Tensor:
    """The top 23 bits as a float32 uniform in [2**-24, 1 - 2**-24], exactly."""
    return ((bits >> (32 - UNIFORM_BITS)).to(torch.float32) + 0.5) * (1.0 / (1 << UNIFORM_BITS))


def exponential_from_bits(bits: torch.Tensor) -> torch.Tensor:
    """Exp(1) noise, strictly positive and finite (at most 24 log 2 = 16.6)."""
    return (-torch.log(uniform_from_bits(bits))).clamp_min(_EXPONENTIAL_FLOOR)


def gumbel_from_bits(bits: torch.Tensor) -> torch.Tensor:
    """Gumbel noise, -log(E) with E ~ Exp(1), finite: argmax(logits + G) over the kept tokens is
    a draw from softmax(logits) over them."""
    return -torch.log(exponential_from_bits(bits))


def gumbel_noise(seeds: torch.Tensor, step: torch.Tensor, token_ids: torch.Tensor) -> torch.Tensor:
    """Gumbel noise float32 [rows, n] for ``token_ids`` [rows, n], tied to the token ids."""
    return gumbel_from_bits(random_bits(seeds, step, token_ids))
