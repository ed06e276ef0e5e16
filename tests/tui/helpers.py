"""Driving the playground in tests: waiting on state, and a scripted engine for snapshots."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

from playground.engine.options import LoadOptions
from playground.engine.types import GenerationResult, ResponseResult, Timings, TokenEvent
from playground.params import SamplingParams
from playground.tui.app import create_app


async def wait_for(pilot, predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    waited = 0.0
    while not predicate():
        await pilot.pause(0.05)
        waited += 0.05
        if waited > timeout:
            raise AssertionError("timed out waiting for the app")
    await pilot.pause()


SCRIPT = ["    if n < 2:\n", "        return n\n", "    return fib(n - 1)", " + fib(n - 2)\n"]


@dataclass
class ScriptedEngine:
    """Streams a fixed script with fixed timings, so snapshots are byte-for-byte stable."""

    script: tuple[str, ...] = tuple(SCRIPT)

    def __post_init__(self) -> None:
        self.name = "scripted-model"
        self.context_window = 16_384
        self.loaded = SimpleNamespace(describe=lambda: "scripted-model on cpu · float32", load_s=0.5,
                                      device=SimpleNamespace(type="cpu"), is_demo=False)
        self.requests = []

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def generate(self, request, on_event=None, handle=None) -> GenerationResult:
        self.requests.append(request)
        rows = request.row_params()
        for step, piece in enumerate(self.script):
            if on_event is not None:
                on_event([TokenEvent(row, 100 + step, piece) for row in range(len(rows))])
        text = "".join(self.script)
        responses = [ResponseResult(i, text, list(range(100, 100 + len(self.script))), "length", 42 + i,
                                    p.to_dict()) for i, p in enumerate(rows)]
        return GenerationResult(self.name, 9, request.params.replace(seed=42).to_dict(), responses,
                                Timings(0.5, 0.085, 31.5, 0.2))


def scripted_app(prompt: str = "", params: SamplingParams | None = None, **kwargs):
    engine = ScriptedEngine()
    app = create_app(LoadOptions(model="scripted-model"), params, loader=lambda options, progress: engine,
                     prompt=prompt, **kwargs)
    app.scripted_engine = engine
    return app


def tiny_app(tiny_model_dir, params: SamplingParams | None = None, **kwargs):
    """The playground on a tiny model from the test fixtures, through the real loader."""
    return create_app(LoadOptions(model=str(tiny_model_dir), device="cpu"), params, **kwargs)
