"""Engines without a model, for the front-ends' tests: they satisfy ``PlaygroundEngine``
(mypy checks it) and stream a fixed script with fixed timings."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

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


@dataclass
class ScriptedEngine:
    """Streams a fixed script with fixed timings, so snapshots are byte-for-byte stable."""

    script: tuple[str, ...] = tuple(SCRIPT)
    name: str = "scripted-model"
    context_window: int = 16_384
    loaded: FakeLoaded = field(default_factory=lambda: FakeLoaded("scripted-model"))
    requests: list[GenerationRequest] = field(default_factory=list)

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def generate(self, request: GenerationRequest, on_event: EventSink | None = None,
                 handle: GenerationHandle | None = None) -> GenerationResult:
        self.requests.append(request)
        rows = request.row_params()
        for step, piece in enumerate(self.script):
            if on_event is not None:
                on_event([TokenEvent(row, 100 + step, piece) for row in range(len(rows))])
        if on_event is not None:
            on_event([RowFinished(row, "length") for row in range(len(rows))])
        text = "".join(self.script)
        responses = [ResponseResult(i, text, list(range(100, 100 + len(self.script))), "length", 42 + i, p)
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
        self.gate.wait(timeout=60)  # a safety net for a failing test, not a synchronisation
        return super().generate(request, on_event, handle)
