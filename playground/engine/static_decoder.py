"""The ring-buffer decode path: one decode step, forward and sampling chain, as a module whose
every per-step value is a buffer updated in place. Compiled (CUDA graphs on a GPU) it runs
without a host round trip but the one copy of the new tokens.

The step is two compiled functions, the forward (logits into a buffer) and the sampling chain,
launched back to back. Split, the host can queue the forward of token k+1 before it has token
k and fill a response format's mask for k+1 while the device runs it: the sampling, which
needs the mask, follows once the host has it. One graph each, with or without a format.
"""

from __future__ import annotations

import time
from typing import Any

import torch
from torch import nn

from playground.engine.compiling import compile_step
from playground.engine.decode_setup import DecodeSetup
from playground.engine.sampling.chain import next_tokens_with_info
from playground.engine.sampling.mask import all_allowed
from playground.engine.sampling.rows import PenaltyState, RowParams
from playground.engine.sampling.token_info import MOST_ALTERNATIVES, packed_width, prefix_info
from playground.engine.static import RingKVCache, cache_window, decode_forward, prefill_forward, share_prefill
from playground.params import SamplingParams

#: Prompt positions per prefill chunk: StarCoder2's window, so a prompt of up to 4k tokens is
#: one causal attention call (FlashAttention on a GPU) and longer ones go 4k at a time.
PREFILL_CHUNK = 4096
#: Calls that finish a compiled step: the first compiles, the next ones record and replay
#: the CUDA graph (CUDA graph trees warm up once, record once, then replay).
COMPILE_CALLS = 3


class DecodeStep(nn.Module):
    """One decode step, forward (``compute_logits``) and sampling (``sample``), with all its
    state as buffers: position, step, logits,
    tokens, seeds, per-row parameters, penalty counts and the ring cache. Buffers are fixed
    addresses, so the compiled step (and its CUDA graph) is reused for every token and every
    later generation, and a slider change is a write into a buffer, never a recompile. Every
    step also packs its tokens' information with the 20 best alternatives (``token_info``):
    one graph whether or not a generation asks for it; the host copies it only if asked."""

    # The buffers the step reads and writes by name (registered in __init__).
    tokens: torch.Tensor
    position: torch.Tensor
    step: torch.Tensor
    seeds: torch.Tensor
    packed: torch.Tensor
    token_mask: torch.Tensor
    logits: torch.Tensor

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
                   "layer_ids": self.cache.layer_ids, "seen": self.penalties.seen, "counts": self.penalties.counts,
                   "seeds": torch.zeros(rows, dtype=torch.long, device=device),
                   "tokens": torch.zeros(rows, dtype=torch.long, device=device),
                   "packed": torch.zeros(rows, packed_width(MOST_ALTERNATIVES), device=device),
                   "position": torch.zeros((), dtype=torch.long, device=device),
                   "step": torch.zeros((), dtype=torch.long, device=device),
                   "token_mask": all_allowed(rows, vocab_size, device),  # every bit set: no format
                   # The forward's result, read by the sampling: float32 as the chain reads it.
                   "logits": torch.zeros(rows, vocab_size, dtype=torch.float32, device=device),
                   **{f"param_{name}": tensor for name, tensor in vars(self.params).items()}}
        for name, tensor in buffers.items():
            self.register_buffer(name, tensor, persistent=False)

    def forward(self) -> torch.Tensor:
        """The whole step, uncompiled (the decoder compiles and runs the two halves)."""
        self.compute_logits()
        return self.sample()

    def compute_logits(self) -> None:
        """Each row's last token through the model: its next-token logits into ``logits``."""
        self.logits.copy_(decode_forward(self.model, self.cache, self.tokens, self.position))
        self.position.add_(1)

    def sample(self) -> torch.Tensor:
        """The sampling chain on ``logits`` (the mask first): the next tokens and their information."""
        tokens, packed = next_tokens_with_info(self.logits, self.penalties, self.params, self.seeds, self.step,
                                               MOST_ALTERNATIVES, mask=self.token_mask)
        self.tokens.copy_(tokens)
        self.packed.copy_(packed)
        self.step.add_(1)
        return tokens


class StaticDecoder:
    """Owns one DecodeStep (and its compiled form) for a batch size; ``reset`` readies it for a
    new generation by writing into its buffers.

    With ``overlaps`` (the default on CUDA) the host queues the copy of token k, launches
    step k+1 and only then waits for the copy, so the device always has a step in hand while
    the host detokenizes; with a response format it launches the forward of k+1, and the
    sampling once the host has filled the mask (``launch_forward``, ``launch_sampling``).
    ``blocked_s`` counts the seconds the host spent waiting on the device (and, on a CPU,
    computing in ``launch``): what is left of the loop is host work.
    """

    def __init__(self, model: Any, rows: int, device: torch.device, compiled: bool,
                 compile_options: dict[str, Any] | None = None, overlap: bool | None = None) -> None:
        self.model, self.device, self.rows, self.compiled = model, device, rows, compiled
        self._overlap = device.type == "cuda" if overlap is None else overlap
        self.step_module = DecodeStep(model, rows, device)
        self.params = self.step_module.params
        module, options = self.step_module, compile_options or {}
        self.run_forward = compile_step(module.compute_logits, device, options) if compiled else module.compute_logits
        self.run_sampling = compile_step(module.sample, device, options) if compiled else module.sample
        self.ready = False
        self.blocked_s = 0.0
        pinned = device.type == "cuda"
        self.setup = DecodeSetup()
        self.prefix_info: list[list[float]] = []
        self._host_tokens = torch.empty(rows, dtype=torch.long, pin_memory=pinned)
        self._host_packed = torch.empty(rows, packed_width(MOST_ALTERNATIVES), pin_memory=pinned)
        self._received_info: list[list[float]] | None = None
        self._copied = torch.cuda.Event() if pinned else None  # type: ignore[no-untyped-call]

    @property
    def overlaps(self) -> bool:
        return self._overlap

    def prepare(self) -> float:
        """Run the step now, so that compiling (and recording the CUDA graph) happens here and
        not inside a timed generation; seconds spent, 0 once done. Raises what compiling
        raises. The state it leaves is overwritten by ``reset`` and ``prefill``."""
        if self.ready:
            return 0.0
        started = time.perf_counter()
        with torch.inference_mode():
            for _ in range(COMPILE_CALLS if self.compiled else 1):
                self.run_step()
            if self.device.type == "cuda":
                torch.cuda.synchronize(self.device)
        self.ready = True
        return time.perf_counter() - started

    def reset(self, rows: list[SamplingParams], seeds: list[int], setup: DecodeSetup | None = None) -> StaticDecoder:
        self.setup = setup or DecodeSetup()
        self.prefix_info, self._received_info = [], None
        self.params.assign(rows)
        self.step_module.seeds.copy_(torch.tensor(seeds, dtype=torch.long))
        self.step_module.cache.slot_positions.fill_(-1)
        return self

    def set_param(self, name: str, value: Any, row: int | None, rows: list[SamplingParams]) -> None:
        self.params.set(name, value, row)  # in place: the compiled step sees it on its next run

    def set_mask(self, bits: torch.Tensor | None) -> None:
        """A response format's bitmask into the step's mask buffer (all bits set: none)."""
        if bits is None:
            self.step_module.token_mask.fill_(-1)
        else:
            self.step_module.token_mask.copy_(bits, non_blocking=bits.is_pinned())

    def prefill(self, prompt: torch.Tensor) -> None:
        """``prompt`` [1, T]: the prompt's ids followed by ``setup.prefix``."""
        module, given = self.step_module, len(self.setup.prefix)
        keep = given + 1 if self.setup.prefix_info_wanted else 1
        logits = prefill_forward(self.model, module.cache, prompt, PREFILL_CHUNK, keep)
        prefix = prompt[0, prompt.shape[1] - given:]
        if self.setup.info_top is not None and given:
            self.prefix_info = prefix_info(logits[:-1], prefix, MOST_ALTERNATIVES).tolist()
        share_prefill(module.cache)
        module.penalties.reset(prompt)
        module.penalties.record_given(prefix)
        module.step.fill_(given)
        tokens, packed = next_tokens_with_info(logits[-1:].expand(self.rows, -1), module.penalties, self.params,
                                               module.seeds, module.step, MOST_ALTERNATIVES,
                                               forced=self.setup.forced, mask=module.token_mask)
        module.tokens.copy_(tokens)
        module.packed.copy_(packed)
        module.position.fill_(prompt.shape[1])
        module.step.fill_(given + 1)

    def run_step(self) -> None:
        """The forward and the sampling, back to back."""
        self.run_forward()
        self.run_sampling()

    def launch(self) -> None:
        self._run(self.run_step)

    def launch_forward(self) -> None:
        self._run(self.run_forward)

    def launch_sampling(self) -> None:
        self._run(self.run_sampling)

    def _run(self, part: Any) -> None:
        if self.device.type == "cuda":
            part()  # queued: returns once launched
            return
        started = time.perf_counter()
        part()  # computed here: time the host waits for the result
        self.blocked_s += time.perf_counter() - started

    def request_tokens(self) -> None:
        """Queue the copy of the current tokens to the host; the next launch may follow at once
        (it is ordered after the copy on the stream, so it cannot overwrite them first)."""
        if self.setup.info_top is None:
            self._host_tokens.copy_(self.step_module.tokens, non_blocking=self._copied is not None)
        else:  # the tokens travel in the packed rows' first column: still one copy
            self._host_packed.copy_(self.step_module.packed, non_blocking=self._copied is not None)
        if self._copied is not None:
            self._copied.record()

    def received_tokens(self) -> list[int]:
        """Wait for the copy ``request_tokens`` queued: the tokens it held."""
        if self._copied is not None:
            started = time.perf_counter()
            self._copied.synchronize()
            self.blocked_s += time.perf_counter() - started
        if self.setup.info_top is None:
            tokens: list[int] = self._host_tokens.tolist()
            return tokens
        self._received_info = self._host_packed.tolist()
        return [int(row[0]) for row in self._received_info]

    def received_info(self) -> list[list[float]] | None:
        """The packed information (``token_info``, 20 alternatives) of the tokens last received,
        if the generation asked for it."""
        return self._received_info
