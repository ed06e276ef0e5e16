"""One generation: run in a thread, cancelled, and steered with live parameter changes.

The engine's loop runs in whichever thread calls ``Generation.run`` (a Textual worker, or the
thread ``run_interruptible`` starts); the UI thread steers it only through the handle.
"""

from __future__ import annotations

import threading
from typing import Any

from playground.engine.handle import GenerationHandle
from playground.engine.types import EventSink, GenerationRequest, GenerationResult
from playground.params import LIVE_PARAMETERS
from playground.runtime.engines import PlaygroundEngine
from playground.sessions.records import now_iso


def is_live(name: str) -> bool:
    """Whether a running generation takes a change of ``name`` (from its next token on)."""
    return name in LIVE_PARAMETERS or name == "stop"


class Generation:
    """A request on its engine, the handle that steers it, and when it started."""

    def __init__(self, engine: PlaygroundEngine, request: GenerationRequest) -> None:
        self.engine = engine
        self.request = request
        self.handle = GenerationHandle()
        self.started_at = now_iso()

    def run(self, on_event: EventSink | None = None) -> GenerationResult:
        """Generate, blocking this thread; ``on_event`` is called from it once per step."""
        return self.engine.generate(self.request, on_event, self.handle)

    def cancel(self) -> None:
        """Stop within one decode step; the result keeps what was generated."""
        self.handle.cancel()

    def steer(self, name: str, value: Any, row: int | None = None) -> bool:
        """Change a live parameter from the next token on (``row`` None: every row). False, and
        nothing sent, for a parameter a running generation cannot take."""
        if not is_live(name):
            return False
        self.handle.set_param(name, value, row)
        return True


def run_interruptible(generation: Generation, on_event: EventSink | None = None) -> GenerationResult:
    """Generate in a worker thread so that Ctrl+C (KeyboardInterrupt in this, the main thread)
    cancels the generation instead of killing it; its partial result comes back."""
    results: list[GenerationResult] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def work() -> None:
        try:
            results.append(generation.run(on_event))
        except BaseException as error:  # noqa: BLE001 - re-raised in the caller's thread
            errors.append(error)
        finally:
            done.set()

    thread = threading.Thread(target=work, name="generate", daemon=True)
    try:
        thread.start()
        _wait_cancelling_on_interrupt(done, generation)
    except KeyboardInterrupt:  # Ctrl+C before the wait began (the thread may already be streaming)
        generation.cancel()
        _wait_cancelling_on_interrupt(done, generation)
    if errors:
        raise errors[0]
    return results[0]


def _wait_cancelling_on_interrupt(done: threading.Event, generation: Generation) -> None:
    # Wait on an event, not Thread.join: a signal landing inside join() can leave the thread
    # looking finished while it still runs.
    while not done.is_set():
        try:
            done.wait(0.1)
        except KeyboardInterrupt:
            generation.cancel()
