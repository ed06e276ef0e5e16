"""The two ways the engine turns a prompt into a stream of token ids.

- ``EagerDecoder``: the model's own forward and transformers' sliding-window cache. Runs
  everywhere (CPU, CUDA, bitsandbytes) and is token-exact against ``model.generate``.
- ``StaticDecoder``: the ring-buffer cache and one decode step, forward and sampling chain
  together, as a module whose every per-step value is a buffer updated in place; compiled
  (CUDA graphs on GPU) it runs without a host round trip but the one copy of the new tokens.

Both start from ``prefill`` (which samples token 0) and then ``launch`` one step at a time;
``fetch`` returns the current tokens on the host. ``overlaps`` says whether a launched step
runs while the host works, in which case the engine copies token k and launches k+1 before
detokenizing k.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from playground.engine.decode import cache_keyword, decode_one_token, expand_rows, new_cache, prefill
from playground.engine.sampling import PenaltyState, RowParams, host_shortcuts, next_tokens
from playground.engine.static_forward import RingKVCache, cache_window, decode_forward, prefill_forward, share_prefill
from playground.params import SamplingParams

PREFILL_CHUNK = 2048


class EagerDecoder:
    overlaps = False

    def __init__(self, model: Any, rows: list[SamplingParams], seeds: list[int], device: torch.device) -> None:
        self.model, self.device = model, device
        self.keyword = cache_keyword(model)
        self.params = RowParams.from_params(rows, device)
        self.seeds = torch.tensor(seeds, dtype=torch.long, device=device)
        self.shortcuts = host_shortcuts(rows)
        self.step = 0
        self.rows = len(rows)

    def set_param(self, name: str, value: Any, row: int | None, rows: list[SamplingParams]) -> None:
        self.params.set(name, value, row)
        self.shortcuts = host_shortcuts(rows)

    def prefill(self, prompt: torch.Tensor) -> None:
        self.cache = new_cache(self.model)
        logits = expand_rows(self.cache, prefill(self.model, prompt, self.cache, self.keyword), self.rows)
        self.penalties = PenaltyState.from_prompt(prompt, self.rows, logits.shape[-1])
        self._sample(logits)

    def launch(self) -> None:
        self._sample(decode_one_token(self.model, self.tokens, self.cache, self.keyword))

    def _sample(self, logits: torch.Tensor) -> None:
        step = torch.tensor(self.step, device=self.device)
        self.tokens = next_tokens(logits, self.penalties, self.params, self.seeds, step, **self.shortcuts)
        self.step += 1

    def fetch(self) -> list[int]:
        return self.tokens.tolist()


class DecodeStep(nn.Module):
    """One decode step, forward and sampling, with all its state as buffers: position, step,
    tokens, seeds, per-row parameters, penalty counts and the ring cache. Buffers are fixed
    addresses, so the compiled step (and its CUDA graph) is reused for every token and every
    later generation, and a slider change is a write into a buffer, never a recompile."""

    def __init__(self, model: Any, rows: int, device: torch.device) -> None:
        super().__init__()
        self.model = model
        dtype = next(model.parameters()).dtype
        vocab_size = model.lm_head.out_features
        self.cache = RingKVCache.allocate(model.config, rows, cache_window(model.config), dtype, device)
        self.params = RowParams.from_params([SamplingParams()] * rows, device)
        self.penalties = PenaltyState(torch.zeros(rows, vocab_size, dtype=torch.bool, device=device),
                                      torch.zeros(rows, vocab_size, dtype=torch.float32, device=device))
        buffers = {"keys": self.cache.keys, "values": self.cache.values, "slot_positions": self.cache.slot_positions,
                   "seen": self.penalties.seen, "counts": self.penalties.counts,
                   "seeds": torch.zeros(rows, dtype=torch.long, device=device),
                   "tokens": torch.zeros(rows, dtype=torch.long, device=device),
                   "position": torch.zeros((), dtype=torch.long, device=device),
                   "step": torch.zeros((), dtype=torch.long, device=device),
                   **{f"param_{name}": tensor for name, tensor in vars(self.params).items()}}
        for name, tensor in buffers.items():
            self.register_buffer(name, tensor, persistent=False)

    def forward(self) -> torch.Tensor:
        logits = decode_forward(self.model, self.cache, self.tokens, self.position)
        tokens = next_tokens(logits, self.penalties, self.params, self.seeds, self.step)
        self.tokens.copy_(tokens)
        self.position.add_(1)
        self.step.add_(1)
        return tokens


class StaticDecoder:
    """Owns one DecodeStep (and its compiled form) for a batch size; ``reset`` readies it for a
    new generation by writing into its buffers."""

    def __init__(self, model: Any, rows: int, device: torch.device, compiled: bool,
                 compile_options: dict[str, Any] | None = None) -> None:
        self.model, self.device, self.rows = model, device, rows
        self.overlaps = device.type == "cuda"
        self.step_module = DecodeStep(model, rows, device)
        self.params = self.step_module.params
        self.run_step = compile_step(self.step_module, device, compile_options or {}) if compiled else self.step_module
        if device.type == "cuda":
            self._host_tokens = torch.empty(rows, dtype=torch.long, pin_memory=True)
            self._copied = torch.cuda.Event()

    def reset(self, rows: list[SamplingParams], seeds: list[int]) -> StaticDecoder:
        self.params.assign(rows)
        self.step_module.seeds.copy_(torch.tensor(seeds, dtype=torch.long))
        self.step_module.cache.slot_positions.fill_(-1)
        return self

    def set_param(self, name: str, value: Any, row: int | None, rows: list[SamplingParams]) -> None:
        self.params.set(name, value, row)  # in place: the compiled step sees it on its next run

    def prefill(self, prompt: torch.Tensor) -> None:
        module = self.step_module
        logits = prefill_forward(self.model, module.cache, prompt, PREFILL_CHUNK).expand(self.rows, -1)
        share_prefill(module.cache)
        module.penalties.reset(prompt)
        module.step.fill_(0)
        module.tokens.copy_(next_tokens(logits, module.penalties, self.params, module.seeds, module.step))
        module.position.fill_(prompt.shape[1])
        module.step.fill_(1)

    def launch(self) -> None:
        self.run_step()

    def fetch(self) -> list[int]:
        tokens = self.step_module.tokens
        if self.device.type != "cuda":
            return tokens.tolist()
        # Copy the current tokens out before the next launch overwrites them; the host waits
        # for this copy only, not for the step queued behind it.
        self._host_tokens.copy_(tokens, non_blocking=True)
        self._copied.record()
        self._copied.synchronize()
        return self._host_tokens.tolist()


def compile_step(step: DecodeStep, device: torch.device, options: dict[str, Any]) -> Any:
    """torch.compile the step with no graph break allowed (fullgraph) and static shapes; on
    CUDA in reduce-overhead mode, which replays it as a CUDA graph."""
    mode = options.get("mode", "reduce-overhead" if device.type == "cuda" else None)
    return torch.compile(step, fullgraph=True, dynamic=False, mode=mode, backend=options.get("backend", "inductor"))


def choose_path(requested: str, model: Any, device: torch.device, quantize: str) -> str:
    if requested != "auto":
        return requested
    if device.type == "cuda" and quantize == "none":
        return "compiled"
    return "eager"
