"""The eager decode path: the model's own forward and transformers' DynamicCache, whose
sliding-window layers keep exactly the positions the model's attention may see. It runs
everywhere (CPU, CUDA, bitsandbytes) and is token-exact against ``model.generate``.
"""

from __future__ import annotations

import inspect
import time
from typing import Any

import torch

from playground.engine.decode_setup import DecodeSetup
from playground.engine.sampling.chain import host_shortcuts, next_tokens, next_tokens_with_info
from playground.engine.sampling.mask import load_mask
from playground.engine.sampling.rows import PenaltyState, RowParams
from playground.engine.sampling.token_info import prefix_info
from playground.params import SamplingParams


def cache_keyword(model: Any) -> str:
    """transformers renamed ``past_key_values`` to ``cache`` in 5.x; accept either."""
    parameters = inspect.signature(model.forward).parameters
    return "cache" if "cache" in parameters else "past_key_values"


def new_cache(model: Any) -> Any:
    from transformers import DynamicCache

    return DynamicCache(config=model.config)


def prefill(model: Any, prompt_ids: torch.Tensor, cache: Any, keyword: str, keep: int = 1) -> torch.Tensor:
    """Run the whole prompt [1, T] once; logits of its last ``keep`` positions only, [keep, vocab]."""
    output = model(input_ids=prompt_ids, use_cache=True, logits_to_keep=keep, **{keyword: cache})
    logits: torch.Tensor = output.logits[0, -keep:, :]
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
    device (on a CPU, computing in ``launch``). With ``setup.info_top`` set, each step also
    computes its tokens' information (``token_info``), copied with them; else none at all."""

    def __init__(self, model: Any, rows: list[SamplingParams], seeds: list[int], device: torch.device,
                 setup: DecodeSetup | None = None) -> None:
        self.model, self.device = model, device
        self.setup = setup or DecodeSetup()
        self.packed: torch.Tensor | None = None
        self.prefix_info: list[list[float]] = []
        self._received_info: list[list[float]] | None = None
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
        """``prompt`` [1, T]: the prompt's ids followed by ``setup.prefix``."""
        self.cache = new_cache(self.model)
        given = len(self.setup.prefix)
        keep = given + 1 if self.setup.prefix_info_wanted else 1
        logits = prefill(self.model, prompt, self.cache, self.keyword, keep)
        prefix = prompt[0, prompt.shape[1] - given:]
        if self.setup.info_top is not None and given:
            self.prefix_info = prefix_info(logits[:-1], prefix, self.setup.info_top).tolist()
        logits = expand_rows(self.cache, logits[-1:], self.rows)
        self.penalties = PenaltyState.from_prompt(prompt, self.rows, logits.shape[-1])
        self.penalties.record_given(prefix)
        self.step.fill_(given)
        self._sample(logits, self.setup.forced)

    def launch(self) -> None:
        self.launch_forward()
        self.launch_sampling()

    def launch_forward(self) -> None:
        started = time.perf_counter()
        self._logits = decode_one_token(self.model, self.tokens, self.cache, self.keyword)
        if self.device.type != "cuda":  # computed here; on CUDA only queued
            self.blocked_s += time.perf_counter() - started

    def launch_sampling(self) -> None:
        started = time.perf_counter()
        self._sample(self._logits)
        if self.device.type != "cuda":
            self.blocked_s += time.perf_counter() - started

    def _sample(self, logits: torch.Tensor, forced: int | None = None) -> None:
        if self.setup.info_top is None:
            self.tokens = next_tokens(logits, self.penalties, self.params, self.seeds, self.step,
                                      **self.shortcuts, forced=forced, mask=self.mask)
        else:  # the sorted chain: it gives the drawn token's probability (the prefilter would not)
            self.tokens, self.packed = next_tokens_with_info(
                logits, self.penalties, self.params, self.seeds, self.step, self.setup.info_top,
                self.shortcuts["all_greedy"], self.shortcuts["neutral_penalties"], forced, self.mask)
        self.step.add_(1)

    def request_tokens(self) -> None:
        """Nothing to queue: ``received_tokens`` copies synchronously."""

    def received_tokens(self) -> list[int]:
        started = time.perf_counter()
        if self.packed is None:
            tokens: list[int] = self.tokens.tolist()  # waits for the step on CUDA
        else:  # the tokens travel in the packed rows' first column: still one copy
            self._received_info = self.packed.tolist()
            tokens = [int(row[0]) for row in self._received_info]
        self.blocked_s += time.perf_counter() - started
        return tokens

    def received_info(self) -> list[list[float]] | None:
        """The packed information (``token_info``) of the tokens last received, if asked for."""
        return self._received_info
