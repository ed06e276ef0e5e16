"""Driving the playground in tests: waiting on its state, and apps on scripted engines."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.command import CommandInput, CommandPalette
from textual.pilot import Pilot

from playground.engine.options import LoadOptions
from playground.engine.types import TokenInfo
from playground.params import SamplingParams
from playground.runtime.engines import PlaygroundEngine, ProgressCallback
from playground.runtime.opening import load_local_engine
from playground.runtime.running import Generation
from playground.tui.app import PlaygroundApp, create_app
from playground.tui.messages import TokensStreamed
from playground.tui.runs import RunState
from tests.fakes import ScriptedEngine


async def wait_for(pilot: Pilot[Any], predicate: Callable[[], bool], safety_net: float = 240.0) -> None:
    """Let the app run until ``predicate`` holds (a model loaded, a run finished). It is checked
    each time the app has handled what was posted; ``safety_net`` only ends a test that would
    otherwise hang, far beyond any wait on a busy machine."""
    waited = 0.0
    while not predicate():
        await pilot.pause(0.05)
        waited += 0.05
        if waited > safety_net:
            raise AssertionError("the app never got there")
    await pilot.pause()


class ForwardGate:
    """Holds the model at its ``at``-th forward pass (the prefill is the first) until the test
    calls ``release``: the test acts mid-stream at a known step, however busy the machine."""

    def __init__(self, at: int) -> None:
        self.at = at
        self.calls = 0
        self.reached = threading.Event()
        self._released = threading.Event()

    def _hook(self, *args: Any) -> None:
        self.calls += 1
        if self.calls == self.at:
            self.reached.set()
            self._released.wait(timeout=240)  # a safety net for a failing test, not a synchronisation

    def release(self) -> None:
        self._released.set()

    def loader(self, options: LoadOptions, progress: ProgressCallback) -> PlaygroundEngine:
        """The real loader, with this gate on the model's forward pass."""
        engine = load_local_engine(options, progress)
        engine.model.register_forward_hook(self._hook)
        return engine


def palette_settled(app: Any, query: str) -> bool:
    """The command palette shows ``query`` and has finished searching for it. Waiting on hits alone
    is not enough: hits for an earlier keystroke may still be listed while the search for the
    last one runs, and a search still running when the app exits fails the test in Textual."""
    screen = app.screen
    if not isinstance(screen, CommandPalette) or screen.query_one(CommandInput).value != query:
        return False
    return not any(worker.group == CommandPalette._GATHER_COMMANDS_GROUP and not worker.is_finished
                   for worker in app.workers)


async def type_in_palette(pilot: Pilot[Any], query: str) -> None:
    """Open the command palette, type ``query`` and wait until its search has settled."""
    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, CommandPalette))
    await pilot.press(*query)
    await wait_for(pilot, lambda: palette_settled(pilot.app, query))


async def run_from_palette(pilot: Pilot[Any], query: str) -> None:
    """Run the palette's first hit for ``query``, as a user typing it and pressing Enter does."""
    await type_in_palette(pilot, query)
    await pilot.press("enter")
    await wait_for(pilot, lambda: not isinstance(pilot.app.screen, CommandPalette))


def token_frame(texts: list[str], first: int) -> TokensStreamed:
    """One streamed frame for response 1: ``texts`` as tokens ``first``, ``first + 1``, ... with
    the same probabilities each (the heatmap colours them all alike)."""
    infos: list[TokenInfo | None] = [TokenInfo(-0.5, None, 1.0, 1) for _ in texts]
    return TokensStreamed({0: "".join(texts)}, {0: len(texts)}, 0.1, 0.05, {0: [len(t) for t in texts]},
                          {0: list(range(first, first + len(texts)))}, {0: infos})


def stream_by_hand(app: PlaygroundApp, prompt: str) -> None:
    """The heatmap on and a run started, whose frames the test then hands to the app itself."""
    assert app.engine is not None, "stream once the model has loaded"
    app.state = app.state.replace(heatmap=True, probabilities=True)
    app.generation.run = RunState(Generation(app.engine, app.state.request(prompt)))
    app.generating = True


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
