"""Driving the playground in tests: waiting on its state, and apps on scripted engines."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from playground.engine.options import LoadOptions
from playground.params import SamplingParams
from playground.tui.app import PlaygroundApp, create_app
from tests.fakes import ScriptedEngine


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


def scripted_app(prompt: str = "", params: SamplingParams | None = None, **kwargs: Any) -> PlaygroundApp:
    engine = ScriptedEngine()
    app = create_app(LoadOptions(model="scripted-model"), params, loader=lambda options, progress: engine,
                     prompt=prompt, **kwargs)
    app.scripted_engine = engine  # type: ignore[attr-defined]
    return app


def tiny_app(tiny_model_dir: Path, params: SamplingParams | None = None, **kwargs: Any) -> PlaygroundApp:
    """The playground on a tiny model from the test fixtures, through the real loader."""
    return create_app(LoadOptions(model=str(tiny_model_dir), device="cpu"), params, **kwargs)
