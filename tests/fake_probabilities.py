"""Deterministic per-token probabilities for the scripted engines: what a fake model "thought"
of each token, so the heatmap, the inspector and branching can be tested without a model.

Step ``s`` of the script writes token ``100 + s`` with probability ``SCRIPT_PROBABILITIES[s %
len]``; the rest of the mass goes to alternatives ``200 + k`` (text ``ALTERNATIVE_TEXT``), each
half the one before. Probabilities are exact, so tests can state what the screen must show.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from playground.engine.types import Alternative, GenerationRequest, TokenInfo

#: The chosen token's probability at each step: sure, likely, unsure, surprising, very surprising.
SCRIPT_PROBABILITIES = (0.95, 0.6, 0.2, 0.05, 0.004)
ALTERNATIVES = 8
ALTERNATIVE_BASE = 200
SCRIPT_BASE = 100


def alternative_text(k: int) -> str:
    return f" alt{k}"


def distribution(step: int) -> list[tuple[int, float]]:
    """(token id, probability) at ``step``, most likely first: the script's token and its alternatives."""
    chosen = SCRIPT_PROBABILITIES[step % len(SCRIPT_PROBABILITIES)]
    rest = [(ALTERNATIVE_BASE + k, (1 - chosen) * 0.5 ** (k + 1)) for k in range(ALTERNATIVES)]
    return sorted([(SCRIPT_BASE + step, chosen), *rest], key=lambda pair: -pair[1])


def info_at(step: int, token_id: int, alternatives: int, greedy: bool, script: Sequence[str]) -> TokenInfo:
    """What the fake model thought of ``token_id`` at ``step``, with ``alternatives`` of the top."""
    ranked = distribution(step)
    rank = next(i for i, (tid, _) in enumerate(ranked) if tid == token_id) + 1
    probability = ranked[rank - 1][1]
    entropy = -sum(p * math.log(p) for _, p in ranked)
    top = tuple(Alternative(tid, math.log(p), token_text(tid, script)) for tid, p in ranked[:alternatives])
    # A sampled row drew from a sharper distribution (as temperature < 1 makes it); greedy drew nothing.
    sampled = None if greedy else math.log(probability) * 0.8
    return TokenInfo(math.log(probability), sampled, entropy, rank, top, token_text(token_id, script))


def token_text(token_id: int, script: Sequence[str]) -> str:
    if token_id >= ALTERNATIVE_BASE:
        return alternative_text(token_id - ALTERNATIVE_BASE)
    return script[token_id - SCRIPT_BASE] if script else ""


def row_tokens(request: GenerationRequest, steps: int) -> list[int]:
    """The token ids a row writes: a branch's prefix, its forced token, then the script on."""
    tokens = list(request.prefix_tokens)
    if request.forced_token is not None:
        tokens.append(request.forced_token)
    return tokens + [SCRIPT_BASE + step for step in range(len(tokens), steps)]
