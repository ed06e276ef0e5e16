"""The eager decode path: the model's own forward and transformers' DynamicCache, whose
sliding-window layers keep exactly the positions the model's attention may see. It runs
everywhere (CPU, CUDA, bitsandbytes) and is token-exact against ``model.generate``.
"""

from __future__ import annotations

import inspect
import time
from typing import Any

import torch

from playground.engine.sampling.chain import host_shortcuts, next_tokens
from playground.engine.sampling.mask import load_mask
from playground.engine.sampling.rows import PenaltyState, RowParams
from playground.params import SamplingParams


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
    logits: torch.Tensor = output.logits[:, -1, :]
    return logits


def decode_one_token(model: Any, tokens: torch.Tensor, cache: Any, keyword: str) -> torch.Tensor:
    """Feed each row's last token [rows]; next-token logits [rows, vocab]."""
    output = model(input_ids=tokens.unsqueeze(-1), use_cache=True, **{keyword: cache})
    logits: torch.Tensor = output.logits[:, -1, :]
    return logits


def expand_rows(cache: Any, logits: torch.Tensor, rows: int) -> torch.Tensor:
    """Share one prefill between ``rows`` responses: copy the cache and the first logits."""
    if rows > 1:
        cache.batch_repeat_interleave(rows)
        logits = logits.expand(rows, -1)
    return logits


class EagerDecoder:
    """One generation on the eager path. Nothing overlaps: the host waits for each step's
    tokens before it launches the next. ``blocked_s``: seconds the host spent waiting on the
    device (on a CPU, computing in ``launch``)."""

    def __init__(self, model: Any, rows: list[SamplingParams], seeds: list[int], device: torch.device) -> None:
        self.model, self.device = model, device
        self.keyword = cache_keyword(model)
        self.params = RowParams.from_params(rows, device)
        self.seeds = torch.tensor(seeds, dtype=torch.long, device=device)
        self.shortcuts = host_shortcuts(rows)
        # The index of the token being drawn, on the device: advanced in place, never sent
        # from the host (a host-to-device copy and a sync per step on CUDA).
        self.step = torch.zeros((), dtype=torch.long, device=device)
        self.rows = len(rows)
        self.blocked_s = 0.0
        self.mask: torch.Tensor | None = None  # a response format's token bitmask, when a row has one

    @property
    def overlaps(self) -> bool:
        return False

    def set_param(self, name: str, value: Any, row: int | None, rows: list[SamplingParams]) -> None:
        self.params.set(name, value, row)
        self.shortcuts = host_shortcuts(rows)

    def set_mask(self, bits: torch.Tensor | None) -> None:
        self.mask = None if bits is None else load_mask(self.mask, bits, self.device)

    def prefill(self, prompt: torch.Tensor) -> None:
        self.cache = new_cache(self.model)
        logits = expand_rows(self.cache, prefill(self.model, prompt, self.cache, self.keyword), self.rows)
        self.penalties = PenaltyState.from_prompt(prompt, self.rows, logits.shape[-1])
        self._sample(logits)

    def launch(self) -> None:
        started = time.perf_counter()
        self._sample(decode_one_token(self.model, self.tokens, self.cache, self.keyword))
        if self.device.type != "cuda":  # computed here; on CUDA only queued
            self.blocked_s += time.perf_counter() - started

    def _sample(self, logits: torch.Tensor) -> None:
        self.tokens = next_tokens(logits, self.penalties, self.params, self.seeds, self.step, **self.shortcuts,
                                  mask=self.mask)
        self.step.add_(1)

    def request_tokens(self) -> None:
        """Nothing to queue: ``received_tokens`` copies synchronously."""

    def received_tokens(self) -> list[int]:
        started = time.perf_counter()
        tokens = self.tokens.tolist()  # waits for the step on CUDA
        self.blocked_s += time.perf_counter() - started
        return tokens
