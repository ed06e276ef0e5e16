"""The engine: a loaded model plus the host loop that streams, stops and steers generation."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import torch

from playground.engine.clock import GenerationClock
from playground.engine.decode_setup import DecodeSetup, check_setup
from playground.engine.decoders import Decoder, Decoders, choose_path, steps
from playground.engine.detok import IncrementalDetokenizer, StopMatcher
from playground.engine.device_thread import shared_device_thread
from playground.engine.fim import FIM_END_TOKENS, STARCODER2_SPECIAL_TOKENS, build_prompt, special_token_warnings
from playground.engine.formats import FormatCompiler
from playground.engine.handle import GenerationHandle, ParamChange
from playground.engine.loading import LoadedModel
from playground.engine.probabilities import InfoReader
from playground.engine.response_row import ResponseRow
from playground.engine.seeds import draw_seed, row_seeds
from playground.engine.types import (
    EventSink,
    GenerationRequest,
    GenerationResult,
    LiveChange,
    ResponseResult,
    StreamEvent,
)
from playground.errors import UserError
from playground.params import SamplingParams

T = TypeVar("T")


@dataclass(frozen=True)
class PreparedPrompt:
    ids: list[int]
    end_ids: frozenset[int]
    warnings: list[str]


class Engine:
    """Generates from a loaded model. One generation at a time; steer it through a handle."""

    def __init__(self, loaded: LoadedModel, decode: str = "auto",
                 compile_options: dict[str, Any] | None = None) -> None:
        self.loaded = loaded
        self.model = loaded.model
        self.tokenizer = loaded.tokenizer
        self.device = loaded.device
        self.context_window = loaded.context_window
        self._decoders = Decoders(self.model, self.device, choose_path(decode, self.model, self.device,
                                                                        loaded.quantize), compile_options)
        vocab = self.tokenizer.get_vocab()
        self._special_tokens = [t for t in STARCODER2_SPECIAL_TOKENS if t in vocab]
        self._fim_end_ids = frozenset(vocab[t] for t in FIM_END_TOKENS if t in vocab) | {loaded.eos_token_id}
        self._formats = FormatCompiler(self.tokenizer, self.model.config.vocab_size)

    @property
    def name(self) -> str:
        return self.loaded.name

    @property
    def decode_path(self) -> str:
        """eager, static or compiled: the path in use (lower than asked for after a fallback)."""
        return self._decoders.path

    def will_compile(self, rows: int) -> bool:
        """Whether the next generation with this many rows starts by compiling its decode step."""
        return self._decoders.will_compile(rows)

    def warm_up(self, rows: tuple[int, ...] = (1,)) -> float:
        """Compile the decode step for these batch sizes now (a minute or more for a 15B model
        on a GPU, seconds once the compile cache holds it), so that a generation does not wait
        for it; seconds spent. Batch 2 compiles on its first use unless named here. Nothing to
        do on the eager path. A fallback's notice comes with the next generation's warnings."""
        return self._on_device_thread(self._warm_up, rows)

    def _warm_up(self, rows: tuple[int, ...]) -> float:
        with torch.inference_mode():
            return sum(self._decoders.prepare(count) for count in rows)

    def _on_device_thread(self, function: Callable[..., T], *args: Any) -> T:
        """Compiled generations (and their warm-up) all run on one thread, which keeps the
        CUDA graphs they record (see device_thread.py); the other paths run on the caller's."""
        if self._decoders.path != "compiled":
            return function(*args)
        return shared_device_thread().run(function, *args)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False).input_ids)

    def prepare(self, request: GenerationRequest) -> PreparedPrompt:
        text = build_prompt(request.prompt, request.suffix)
        user_texts = [request.prompt] + ([request.suffix] if request.suffix else [])
        ids = self.tokenizer(text, add_special_tokens=False).input_ids
        if not ids:
            ids = [self.loaded.eos_token_id]  # an empty prompt starts a new document
        if len(ids) >= self.context_window:
            raise UserError(f"the prompt is {len(ids):,} tokens but the context window is "
                            f"{self.context_window:,}: shorten it to at most {self.context_window - 1:,} tokens")
        end_ids = self._fim_end_ids if request.is_fim else frozenset({self.loaded.eos_token_id})
        return PreparedPrompt(ids, end_ids, special_token_warnings(user_texts, self._special_tokens))

    def generate(self, request: GenerationRequest, on_event: EventSink | None = None,
                 handle: GenerationHandle | None = None) -> GenerationResult:
        """Generate, calling ``on_event`` with each step's tokens (from this thread, or from the
        engine's device thread on the compiled path); steer or stop it through ``handle``.

        A branch (``request.prefix_tokens``) first sends every row's prefix tokens as token
        events, in one call, token by token (row 0 then row 1 for each), once the prefill
        has computed their information; then the drawn (or forced) tokens, step by step."""
        return self._on_device_thread(self._generate, request, on_event, handle)

    def _generate(self, request: GenerationRequest, on_event: EventSink | None,
                  handle: GenerationHandle | None) -> GenerationResult:
        started = time.perf_counter()
        prepared = self.prepare(request)
        handle = handle or GenerationHandle()
        base_seed = request.params.seed if request.params.seed is not None else draw_seed()
        seeds = row_seeds(base_seed, request)
        rows = [self._new_row(i, p, prepared) for i, p in enumerate(request.row_params())]
        setup = DecodeSetup.from_request(request)
        check_setup(setup, self.model.lm_head.out_features, len(prepared.ids), self.context_window, prepared.end_ids)
        reader = InfoReader(self.tokenizer, setup.info_top or 0)
        given = len(setup.prefix)
        live_changes: list[LiveChange] = []
        first_token_at = last_token_at = None
        token_steps = 0
        with torch.inference_mode():
            compiling = self.will_compile(len(rows))
            preparing_s = self._decoders.prepare(len(rows))  # compile before the clock that matters
            decoder = self._decoders.decoder([row.params for row in rows], seeds, setup)
            formats = self._formats.matchers([row.params.response_format for row in rows], prepared.end_ids,
                                             setup.prefix, pinned=self.device.type == "cuda")
            if formats and setup.forced is not None:
                formats.check_forced(setup.forced, reader.text(setup.forced), [r.params.response_format for r in rows])
            decoder.set_mask(formats.fill() if formats else None)  # the first drawn token's, in the prefill
            live_changes += self._apply_changes(handle, request.scheduled, rows, decoder, at_token=given)

            def may_take(token_index: int) -> bool:
                """No surplus step: launch only while a row may still need this token."""
                return not handle.cancelled and any(row.finish_reason is None and given + token_index < row.limit
                                                    for row in rows)

            def before_launch(token_index: int) -> bool:
                live_changes.extend(self._apply_changes(handle, request.scheduled, rows, decoder,
                                                        given + token_index))
                go = may_take(token_index)
                if go and formats:
                    decoder.set_mask(formats.fill())
                return go

            prompt = torch.tensor([prepared.ids + list(setup.prefix)], dtype=torch.long, device=self.device)
            # One device-to-host copy per step; a format's mask for token k+1 needs token k: only
            # the forward of k+1 goes ahead, its sampling waits for the mask.
            for token_list, packed in steps(decoder, prompt, before_launch, may_take if formats else None):
                last_token_at = time.perf_counter()
                if first_token_at is None and given:
                    given_events = prefix_events(rows, setup.prefix, decoder.prefix_info, reader)
                    if on_event is not None:
                        on_event(given_events)
                first_token_at = first_token_at or last_token_at
                token_steps += 1
                if formats:
                    formats.accept(token_list, [row.finish_reason is None for row in rows])
                infos = [None] * len(rows) if packed is None else [reader.read(row) for row in packed]
                events = [event for row, t, info in zip(rows, token_list, infos) if row.finish_reason is None
                          for event in row.accept(t, info)]
                if on_event is not None:
                    on_event(events)
                if all(row.finish_reason is not None for row in rows) or handle.cancelled:
                    break
        tail_events: list[StreamEvent] = [row.cancel() for row in rows if row.finish_reason is None]
        if on_event is not None and tail_events:
            on_event(tail_events)
        finished = time.perf_counter()
        timing = GenerationClock(started, preparing_s, preparing_s if compiling else 0.0, first_token_at, last_token_at,
                        finished, token_steps)
        result = self._result(request, prepared, rows, seeds, base_seed, live_changes, timing)
        for response in result.responses:
            response.format_complete = formats.complete(response.index, response.finish_reason) if formats else None
        return result

    def _new_row(self, index: int, params: SamplingParams, prepared: PreparedPrompt) -> ResponseRow:
        room = self.context_window - len(prepared.ids)
        limit = room if params.max_new_tokens is None else min(params.max_new_tokens, room)
        return ResponseRow(index, params, room, limit, IncrementalDetokenizer(self.tokenizer),
                    StopMatcher(params.stop), prepared.end_ids)

    def _apply_changes(self, handle: GenerationHandle, scheduled: Sequence[LiveChange], rows: Sequence[ResponseRow],
                       decoder: Decoder, at_token: int) -> list[LiveChange]:
        """Apply what the handle asked for, and any recorded change due at this token (a replay),
        to every row they name; they take effect from token ``at_token`` on."""
        due = [ParamChange(c.name, c.value, c.row) for c in scheduled if c.at_token == at_token]
        applied: list[LiveChange] = []
        for change in handle.take_changes() + due:
            targets = [r for r in rows if r.finish_reason is None and change.row in (None, r.index)]
            for row in targets:
                if change.name == "max_new_tokens":
                    wanted = row.room if change.value is None else max(change.value, len(row.token_ids) + 1)
                    row.limit = min(wanted, row.room)
                elif change.name == "stop":
                    row.stopper.set_stops(change.value)
                row.params = row.params.replace(**{change.name: change.value})
                if change.name not in ("max_new_tokens", "stop"):
                    decoder.set_param(change.name, change.value, row.index, [r.params for r in rows])
                applied.append(LiveChange(row.index, at_token, change.name, change.value))
        return applied

    def _result(self, request: GenerationRequest, prepared: PreparedPrompt, rows: Sequence[ResponseRow],
                seeds: list[int], base_seed: int, live_changes: list[LiveChange],
                clock: GenerationClock) -> GenerationResult:
        params = request.params.replace(seed=base_seed)
        if params.max_new_tokens is None:
            params = params.replace(max_new_tokens=rows[0].limit)
        responses = [
            ResponseResult(row.index, "".join(row.parts), row.token_ids, row.finish_reason or "cancelled",
                           seed, row.params, None if request.logprobs is None else row.infos)
            for row, seed in zip(rows, seeds)
        ]
        return GenerationResult(self.name, len(prepared.ids), params, responses, clock.timings(self.loaded.load_s),
                                columns=request.columns, live_changes=live_changes,
                                warnings=self._decoders.take_notices() + prepared.warnings)


def prefix_events(rows: Sequence[ResponseRow], prefix: Sequence[int], packed: list[list[float]],
                  reader: InfoReader) -> list[StreamEvent]:
    """Every row takes a branch's given tokens, with their information when it was computed."""
    infos = [reader.read(row) for row in packed] if packed else [None] * len(prefix)
    return [event for token, info in zip(prefix, infos) for row in rows if row.finish_reason is None
            for event in row.accept(token, info)]
