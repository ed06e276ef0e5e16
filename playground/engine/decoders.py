"""The ways the engine turns a prompt into a stream of token ids, behind one protocol.

- eager (``eager.EagerDecoder``): the model's own forward and transformers' sliding-window
  cache. Runs everywhere (CPU, CUDA, bitsandbytes); token-exact against ``model.generate``.
- static and compiled (``static_decoder.StaticDecoder``): the ring-buffer cache and one
  decode step holding forward and sampling; compiled, with CUDA graphs on a GPU.

``steps`` drives any of them and hides the overlap: it yields each step's tokens, and with a
decoder that ``overlaps`` it has already launched the next step when it does (with a response
format, the next step's forward: its sampling waits for the host's mask). ``Decoders``
owns an engine's decode path: it builds, compiles and keeps one static decoder per batch
size, and falls back (compiled -> static -> eager) with one line saying so when a step
cannot compile or run on this machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import torch

from playground.engine.decode_setup import DecodeSetup
from playground.engine.eager import EagerDecoder
from playground.engine.static_decoder import StaticDecoder
from playground.params import SamplingParams

FALLBACK = {"compiled": "static", "static": "eager"}
DESCRIBED = {"compiled": "compiling the decode step", "static": "the static decode step"}


class Decoder(Protocol):
    """One generation's device side: prefill computes token 0, each ``launch`` one more.
    ``blocked_s`` counts the seconds the host spent waiting for the device (on a CPU,
    computing): a loop's time less that is host work."""

    blocked_s: float
    #: A branch's prefix tokens' packed information (``token_info``), set by ``prefill`` when
    #: the generation asked for information; else empty.
    prefix_info: list[list[float]]

    @property
    def overlaps(self) -> bool:
        """Whether a launched step runs on the device while the host goes on."""
        ...

    def set_param(self, name: str, value: Any, row: int | None, rows: list[SamplingParams]) -> None: ...

    def set_mask(self, bits: torch.Tensor | None) -> None:
        """The token bitmask of the next step's response formats (host; None: no format)."""
        ...

    def prefill(self, prompt: torch.Tensor) -> None: ...

    def launch(self) -> None:
        """Queue the next step: ``launch_forward`` then ``launch_sampling``."""
        ...

    def launch_forward(self) -> None:
        """Queue the next step's forward: its logits, from the current tokens."""
        ...

    def launch_sampling(self) -> None:
        """Queue the next step's sampling, with the mask and parameters set by now."""
        ...

    def request_tokens(self) -> None:
        """Queue the copy of the current tokens to the host (no wait)."""
        ...

    def received_tokens(self) -> list[int]:
        """The tokens ``request_tokens`` copied, one per row, once the copy is done."""
        ...

    def received_info(self) -> list[list[float]] | None:
        """Those tokens' packed information (``token_info``), copied with them, if asked for."""
        ...


StepTokens = tuple[list[int], list[list[float]] | None]


def steps(decoder: Decoder, prompt: torch.Tensor, before_launch: Callable[[int], bool],
          forward_ahead: Callable[[int], bool] | None = None) -> Iterator[StepTokens]:
    """Each step's tokens and their packed information (None unless asked for), token 0 first.
    ``before_launch(k)`` runs before token k is launched
    (live changes apply there, from token k on) and says whether to launch it at all.

    An overlapping decoder queues the copy of token k, launches token k+1 and only then waits
    for the copy, so the device computes k+1 while the host handles k; a live change made
    while token k is handled then applies from token k+2.

    With ``forward_ahead`` (a response format: the mask for token k+1 needs token k on the
    host), only the forward of k+1 goes ahead, when ``forward_ahead(k+1)`` says a row may
    still take it; ``before_launch(k+1)`` then runs once token k is handled (the mask and live
    changes apply to k+1) and its sampling follows. A forward that goes ahead of the token
    ending every row is the one step computed in vain.
    """
    decoder.prefill(prompt)
    if forward_ahead is None:
        yield from _whole_steps_ahead(decoder, before_launch)
    else:
        yield from _forwards_ahead(decoder, before_launch, forward_ahead)


def _whole_steps_ahead(decoder: Decoder, before_launch: Callable[[int], bool]) -> Iterator[StepTokens]:
    """No format: an overlapping decoder launches the whole next step before the host has this one."""
    launched = 1  # tokens whose computation has started: token 0 came with the prefill
    while True:
        decoder.request_tokens()
        ahead = decoder.overlaps and before_launch(launched)
        if ahead:
            decoder.launch()
            launched += 1
        yield decoder.received_tokens(), decoder.received_info()
        if not ahead:
            if not before_launch(launched):
                return
            decoder.launch()
            launched += 1


def _forwards_ahead(decoder: Decoder, before_launch: Callable[[int], bool],
                    forward_ahead: Callable[[int], bool]) -> Iterator[StepTokens]:
    """A format: the next forward goes ahead; its sampling waits for this token (and the mask)."""
    launched = 1
    while True:
        decoder.request_tokens()
        forwarded = decoder.overlaps and forward_ahead(launched)
        if forwarded:
            decoder.launch_forward()
        yield decoder.received_tokens(), decoder.received_info()
        if not before_launch(launched):
            return
        if not forwarded:
            decoder.launch_forward()
        decoder.launch_sampling()
        launched += 1


def choose_path(requested: str, model: Any, device: torch.device, quantize: str) -> str:
    if requested != "auto":
        return requested
    if device.type == "cuda" and quantize == "none":
        return "compiled"
    return "eager"


def describe_failure(error: BaseException) -> str:
    """The root cause in one line: torch wraps a backend's error (BackendCompilerFailed)."""
    seen = {id(error)}
    while (inner := getattr(error, "inner_exception", None) or error.__cause__) is not None and id(inner) not in seen:
        seen.add(id(inner))
        error = inner
    lines = [line for line in str(error).strip().splitlines() if line.strip()]
    return f"{type(error).__name__}: {lines[0][:120]}" if lines else type(error).__name__


class Decoders:
    """An engine's decode path and its static decoders, one per batch size, each kept with its
    compiled step for every later generation."""

    def __init__(self, model: Any, device: torch.device, path: str,
                 compile_options: dict[str, Any] | None = None) -> None:
        self.model, self.device, self.path = model, device, path
        self.compile_options = compile_options or {}
        self.static: dict[int, StaticDecoder] = {}
        self._notices: list[str] = []

    def will_compile(self, rows: int) -> bool:
        """Whether preparing this many rows compiles a step (a minute or more on a GPU)."""
        return self.path == "compiled" and not (rows in self.static and self.static[rows].ready)

    def prepare(self, rows: int) -> float:
        """Build and run this batch size's step if it has not run yet (compiling it on the
        compiled path); seconds spent, failed attempts included. A step that fails
        here moves the whole engine to the next path down and leaves a notice."""
        if self.path == "eager":
            return 0.0
        started = time.perf_counter()
        try:
            decoder = self.static.get(rows)
            if decoder is None:
                decoder = StaticDecoder(self.model, rows, self.device, compiled=self.path == "compiled",
                                        compile_options=self.compile_options)
                self.static[rows] = decoder
            return decoder.prepare()
        except Exception as error:  # noqa: BLE001 - any failure (driver, Triton, an op) falls back
            fallback = FALLBACK[self.path]
            self._notices.append(f"{DESCRIBED[self.path]} failed ({describe_failure(error)}); "
                                 f"decoding on the {fallback} path instead")
            self.static.clear()
            self.path = fallback
            if self.device.type == "cuda":
                torch.cuda.empty_cache()
            spent = time.perf_counter() - started
            return spent + self.prepare(rows)

    def take_notices(self) -> list[str]:
        """Fallback notices not yet shown, each once."""
        notices, self._notices = self._notices, []
        return notices

    def decoder(self, params: list[SamplingParams], seeds: list[int],
                setup: DecodeSetup | None = None) -> EagerDecoder | StaticDecoder:
        """A decoder readied for a new generation (``prepare`` first for the static paths)."""
        if self.path == "eager":
            return EagerDecoder(self.model, params, seeds, self.device, setup)
        return self.static[len(params)].reset(params, seeds, setup)
