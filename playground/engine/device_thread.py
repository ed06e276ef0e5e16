"""One long-lived thread for the compiled decode step's work.

CUDA graph trees (how torch.compile's reduce-overhead mode replays the step) keep what they
recorded per Python thread: a compiled step first called on a new thread is warmed up and
recorded again, into a new memory pool. The front-ends generate on a fresh worker thread each
time, so the engine runs compiled generations, and the warm-up before them, on this one thread.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")


class DeviceThread:
    """Runs calls one at a time on a single daemon thread (daemon: quitting the app never
    waits for a generation to end; the front-ends cancel theirs)."""

    def __init__(self, name: str = "starcoder-play-decode") -> None:
        self._calls: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    @property
    def ident(self) -> int | None:
        return self._thread.ident

    def run(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``function(*args, **kwargs)`` on the thread; its result or its exception here."""
        if threading.get_ident() == self._thread.ident:
            return function(*args, **kwargs)
        done: Future[T] = Future()
        self._calls.put((lambda: function(*args, **kwargs), done))
        return done.result()

    def _serve(self) -> None:
        while True:
            call, done = self._calls.get()
            try:
                done.set_result(call())
            except BaseException as error:  # noqa: BLE001 - handed to the caller
                done.set_exception(error)


_shared: DeviceThread | None = None
_shared_lock = threading.Lock()


def shared_device_thread() -> DeviceThread:
    """The process's one device thread (one set of CUDA graph trees for every engine)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = DeviceThread()
        return _shared
