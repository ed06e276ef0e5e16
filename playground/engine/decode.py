"""The model side of the decode loop: one prefill, then one token per step with a KV cache.

This is the eager path: the model's own forward and transformers' DynamicCache, whose
sliding-window layers keep exactly the positions the model's attention may see. It runs
everywhere (CPU, CUDA, bitsandbytes) and is token-exact against ``model.generate``.
"""

from __future__ import annotations

import inspect
from typing import Any

import torch


def cache_keyword(model: Any) -> str:
    """transformers renamed ``past_key_values`` to ``cache`` in 5.x; accept either."""
    parameters = inspect.signature(model.forward).parameters
    return "cache" if "cache" in parameters else "past_key_values"


def new_cache(model: Any) -> Any:
    from transformers import DynamicCache

    return DynamicCache(config=model.config)


def prefill(model: Any, prompt_ids: torch.Tensor, cache: Any, keyword: str) -> torch.Tensor:
    """Run the whole prompt [1, T] once; logits of its last position only, [1, vocab]."""
    output = model(input_ids=prompt_ids, use_cache=True, logits_to_keep=1, **{keyword: cache})
    return output.logits[:, -1, :]


def decode_one_token(model: Any, tokens: torch.Tensor, cache: Any, keyword: str) -> torch.Tensor:
    """Feed each row's last token [rows]; next-token logits [rows, vocab]."""
    output = model(input_ids=tokens.unsqueeze(-1), use_cache=True, **{keyword: cache})
    return output.logits[:, -1, :]


def expand_rows(cache: Any, logits: torch.Tensor, rows: int) -> torch.Tensor:
    """Share one prefill between ``rows`` responses: copy the cache and the first logits."""
    if rows > 1:
        cache.batch_repeat_interleave(rows)
        logits = logits.expand(rows, -1)
    return logits
