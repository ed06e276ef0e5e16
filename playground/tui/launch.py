"""The playground as a program: its exit code, a crash reported once the terminal is back, and
no wait for a model still loading when the user (or SIGTERM) ends it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from pathlib import Path

from playground.engine.options import LoadOptions
from playground.params import SamplingParams
from playground.tui.app import create_app

#: How long an idle worker thread takes to notice the pool has shut down, at most.
_IDLE_THREAD_EXIT_S = 1.0


def run_playground(options: LoadOptions, params: SamplingParams, session: Path | None = None) -> int:
    """Run the app in the terminal and return its exit code (0, or 143 after SIGTERM, 129 after
    SIGHUP). A crash is re-raised once Textual has restored the terminal, for the CLI to word
    as one line with exit code 1."""
    app = create_app(options, params, session)
    loop = asyncio.new_event_loop()
    try:
        # Our own loop, not asyncio.run: that waits for every worker thread to end, and a
        # model loading in one cannot be interrupted (minutes for a 15B model).
        app.run(loop=loop)
    finally:
        loop.close()  # shuts the worker threads' pool down without waiting
    if app.crash is not None:
        raise app.crash
    code = app.return_code or 0
    if _worker_still_busy():
        # Everything the user made is on disk already (runs are saved when they finish);
        # the interpreter would otherwise join the thread before exiting.
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(AttributeError, OSError, ValueError):
                stream.flush()
        os._exit(code)
    return code


def _worker_still_busy() -> bool:
    """A worker thread (asyncio's default pool) still running its work after the app ended."""
    workers = [thread for thread in threading.enumerate() if thread.name.startswith("asyncio")]
    for thread in workers:
        thread.join(_IDLE_THREAD_EXIT_S)  # an idle one ends at once: the pool was shut down
    return any(thread.is_alive() for thread in workers)
