"""SIGTERM and SIGHUP end the playground cleanly: their default action kills the process with
the terminal left in the alternate screen and reporting the mouse; ending the app as ``ctrl+q``
does lets Textual's driver restore it."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import Any

from textual.app import App

#: 128 + the signal's number: what a shell reports for a program the signal ended.
EXIT_CODES = {signal.SIGTERM: 128 + signal.SIGTERM, signal.SIGHUP: 128 + signal.SIGHUP}


def exit_on_signals(app: App[Any]) -> None:
    """From the app's event loop: SIGTERM and SIGHUP exit the app with 143 and 129. Signals are
    delivered to the main thread only; elsewhere (a test's thread) nothing is installed."""
    loop = asyncio.get_running_loop()
    for signum, code in EXIT_CODES.items():
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, app.exit, None, code)
