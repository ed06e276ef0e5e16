"""Engines without a model, for the front-ends' tests: they satisfy ``PlaygroundEngine``
(mypy checks it) and stream a fixed script with fixed timings."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

from playground.engine.fim import build_prompt
from playground.engine.handle import GenerationHandle
from playground.engine.types import (
    EventSink,
    GenerationRequest,
    GenerationResult,
    ResponseResult,
    RowFinished,
    Timings,
    TokenEvent,
)
from playground.runtime.engines import PlaygroundEngine
from tests.fake_probabilities import info_at, row_tokens, token_text

SCRIPT = ["    if n < 2:\n", "        return n\n", "    return fib(n - 1)", " + fib(n - 2)\n"]


@dataclass(frozen=True)
class FakeDevice:
    type: str = "cpu"


@dataclass(frozen=True)
class FakeLoaded:
    """What a loaded model reports, for engines without one."""

    name: str
    revision: str | None = None
    device: FakeDevice = field(default_factory=FakeDevice)
    dtype: str = "float32"
    quantize: str = "none"
    load_s: float = 0.5
    is_demo: bool = False
    warnings: tuple[str, ...] = ()

    def describe(self) -> str:
        return f"{self.name} on {self.device.type} · {self.dtype}"


class FakeTokenizer:
    """Words and the spaces between them as tokens, numbered in order of first sight."""

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {"<|endoftext|>": 0}

    def encode(self, text: str) -> list[int]:
        return [self.vocab.setdefault(piece, len(self.vocab)) for piece in re.findall(r"\S+|\s+", text)]

    def convert_ids_to_tokens(self, ids: list[int]) -> list[str]:
        pieces = {token_id: piece for piece, token_id in self.vocab.items()}
        return [pieces[token_id] for token_id in ids]

    def decode(self, token_ids: list[int]) -> str:
        return "".join(self.convert_ids_to_tokens(token_ids))


@dataclass(frozen=True)
class FakePrepared:
    ids: list[int]


@dataclass
class ScriptedEngine:
    """Streams a fixed script with fixed timings, so snapshots are byte-for-byte stable. With
    ``request.logprobs`` set, every token carries the fixed probabilities of ``fake_probabilities``;
    a branch (``prefix_tokens``, ``forced_token``) writes its prefix, the forced token, then the
    rest of the script."""

    script: tuple[str, ...] = tuple(SCRIPT)
    name: str = "scripted-model"
    context_window: int = 16_384
    loaded: FakeLoaded = field(default_factory=lambda: FakeLoaded("scripted-model"))
    requests: list[GenerationRequest] = field(default_factory=list)
    tokenizer: FakeTokenizer = field(default_factory=FakeTokenizer)

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def prepare(self, request: GenerationRequest) -> FakePrepared:
        return FakePrepared(self.tokenizer.encode(build_prompt(request.prompt, request.suffix)) or [0])

    def generate(self, request: GenerationRequest, on_event: EventSink | None = None,
                 handle: GenerationHandle | None = None) -> GenerationResult:
        self.requests.append(request)
        rows = request.row_params()
        tokens = row_tokens(request, len(self.script))
        texts = [token_text(token, self.script) for token in tokens]
        want = request.logprobs
        infos = [None if want is None else
                 [info_at(step, token, want, p.temperature == 0, self.script) for step, token in enumerate(tokens)]
                 for p in rows]
        for step, (token, piece) in enumerate(zip(tokens, texts)):
            if on_event is not None:
                on_event([TokenEvent(row, token, piece, None if row_infos is None else row_infos[step])
                          for row, row_infos in enumerate(infos)])
        if on_event is not None:
            on_event([RowFinished(row, "length") for row in range(len(rows))])
        responses = [ResponseResult(i, "".join(texts), list(tokens), "length", 42 + i, p, infos[i])
                     for i, p in enumerate(rows)]
        return GenerationResult(self.name, 9, request.params.replace(seed=42), responses,
                                Timings(0.5, 0.085, 31.5, 0.2), columns=request.columns)


def _satisfies_the_protocol(engine: ScriptedEngine) -> PlaygroundEngine:
    return engine  # mypy checks that the scripted engine is a PlaygroundEngine


@dataclass
class GatedEngine(ScriptedEngine):
    """Holds each generation until the test opens ``gate``, so a test can act while it runs."""

    gate: threading.Event = field(default_factory=threading.Event)

    def generate(self, request: GenerationRequest, on_event: EventSink | None = None,
                 handle: GenerationHandle | None = None) -> GenerationResult:
        self.gate.wait(timeout=240)  # a safety net for a failing test, not a synchronisation
        return super().generate(request, on_event, handle)
