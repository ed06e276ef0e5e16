"""Driving the playground in tests: waiting on state, and a scripted engine for snapshots."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from playground.engine.handle import GenerationHandle
from playground.engine.options import LoadOptions
from playground.engine.types import (
    EventSink,
    GenerationRequest,
    GenerationResult,
    ResponseResult,
    RowFinished,
    Timings,
    TokenEvent,
)
from playground.params import SamplingParams
from playground.runtime.engines import PlaygroundEngine
from playground.tui.app import PlaygroundApp, create_app


async def wait_for(pilot: Pilot[Any], predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    waited = 0.0
    while not predicate():
        await pilot.pause(0.05)
        waited += 0.05
        if waited > timeout:
            raise AssertionError("timed out waiting for the app")
    await pilot.pause()


def run_finished(app: PlaygroundApp) -> bool:
    """The last run has its result and nothing is generating."""
    run = app.generation.run
    return run is not None and run.result is not None and not app.generating


def tokens_streamed(app: PlaygroundApp) -> int:
    run = app.generation.run
    return 0 if run is None else sum(run.tokens.values())


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


def scripted_app(prompt: str = "", params: SamplingParams | None = None, **kwargs: Any) -> PlaygroundApp:
    engine = ScriptedEngine()
    app = create_app(LoadOptions(model="scripted-model"), params, loader=lambda options, progress: engine,
                     prompt=prompt, **kwargs)
    app.scripted_engine = engine  # type: ignore[attr-defined]
    return app


def tiny_app(tiny_model_dir: Path, params: SamplingParams | None = None, **kwargs: Any) -> PlaygroundApp:
    """The playground on a tiny model from the test fixtures, through the real loader."""
    return create_app(LoadOptions(model=str(tiny_model_dir), device="cpu"), params, **kwargs)
