"""Seeds: drawn when none is given, and one per response row (no torch: a server uses them too)."""

from __future__ import annotations

import secrets

from playground.engine.types import GenerationRequest
from playground.params import SEED_LIMIT


def draw_seed() -> int:
    return secrets.randbelow(SEED_LIMIT)


def row_seeds(base_seed: int, request: GenerationRequest) -> list[int]:
    """Linked rows draw different samples (seed, seed+1); unlinked columns share the seed, so
    an A/B of one knob sees the same randomness, unless a column pins a seed of its own."""
    if request.columns is None:
        return [(base_seed + row) % SEED_LIMIT for row in range(request.params.num_responses)]
    return [column.seed if column.seed is not None else base_seed for column in request.columns]
