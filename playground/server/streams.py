"""One streamed request per row, each read in a thread of its own into one shared queue.

A row's stream is its own request (not ``n=2``), so two unlinked columns, and a live change
that restarts one row, need nothing special. Stopping a stream closes its connection, which
vLLM takes as an abort: the server stops generating within a token.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from playground.server.connection import ServerConnection, ServerError

COMPLETIONS = "/v1/completions"


#: When a chunk arrived (perf_counter seconds): a run's timings count arrivals, not when the
#: loop got to a chunk (chunks that queued up behind a slow screen are not instantaneous).
arrival_clock: Callable[[], float] = time.perf_counter


@dataclass(frozen=True)
class Chunk:
    """One streamed choice of row ``row``'s request number ``epoch``, ``received`` when."""

    row: int
    epoch: int
    choice: dict[str, Any]
    received: float = 0.0


@dataclass(frozen=True)
class Ended:
    """Row ``row``'s request number ``epoch`` is over: completely, or with ``error``."""

    row: int
    epoch: int
    error: ServerError | None = None
    chunks: int = 0


StreamItem = Chunk | Ended


class RowStream:
    """A row's request, streamed in a daemon thread into ``out``; ``stop`` ends it at the next
    chunk (the connection is closed, the server aborts the request)."""

    def __init__(self, connection: ServerConnection, body: dict[str, Any], row: int, epoch: int,
                 out: queue.Queue[StreamItem]) -> None:
        self.row, self.epoch = row, epoch
        self._connection, self._body, self._out = connection, body, out
        self._stopped = threading.Event()
        self._shut: Callable[[], None] | None = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"server-row-{row}", daemon=True)

    def start(self) -> RowStream:
        self._thread.start()
        return self

    def stop(self) -> None:
        """End the request now: a read waiting on a quiet server is woken, not waited out."""
        with self._lock:
            self._stopped.set()
            shut = self._shut
        if shut is not None:
            shut()

    def _opened(self, shut: Callable[[], None]) -> None:
        with self._lock:
            self._shut = shut
            stopped = self._stopped.is_set()
        if stopped:
            shut()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        count = 0
        try:
            with self._connection.events(COMPLETIONS, self._body, self._opened) as events:
                for event in events:
                    if self._stopped.is_set():
                        break
                    received = arrival_clock()
                    for choice in event.get("choices") or ():
                        count += 1
                        self._out.put(Chunk(self.row, self.epoch, choice, received))
        except ServerError as error:
            self._out.put(Ended(self.row, self.epoch, error, count))
            return
        except Exception as error:  # noqa: BLE001 - a malformed answer: reported as the row's failure
            self._out.put(Ended(self.row, self.epoch, ServerError(f"unexpected answer from the server: {error}"),
                                count))
            return
        self._out.put(Ended(self.row, self.epoch, None, count))
