"""The thread-safe handle through which a UI steers a running generation."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from playground.params import LIVE_PARAMETERS, PARAMETERS, ParamError, check_stop


@dataclass(frozen=True)
class ParamChange:
    """A change requested while generating; ``row`` None means every row."""

    name: str
    value: Any
    row: int | None = None


class GenerationHandle:
    """Cancel a generation or change its parameters from another thread.

    The decode loop polls it once per step, so a cancel lands within one step and a change
    applies from the next token on. Values are validated here, in the caller's thread, so a
    bad value is refused at once instead of failing inside the loop.
    """

    def __init__(self) -> None:
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        self._pending: list[ParamChange] = []
        self._refused: dict[int, str] = {}  # rows the engine cannot change mid-stream, and why

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def refuse_changes(self, rows: Iterable[int], reason: str) -> None:
        """Called by an engine that cannot apply a change to ``rows`` mid-stream: from now on
        ``set_param`` for them (or for every row) raises ``ParamError(reason)``."""
        with self._lock:
            self._refused.update(dict.fromkeys(rows, reason))

    def set_param(self, name: str, value: Any, row: int | None = None) -> None:
        if name == "stop":
            value = check_stop(value)
        elif name in LIVE_PARAMETERS:
            value = PARAMETERS[name].check(value)
        else:
            raise ParamError(f"{name} cannot change during a generation")
        with self._lock:
            refused = [self._refused[r] for r in sorted(self._refused) if row in (None, r)]
            if refused:
                raise ParamError(refused[0])
            self._pending.append(ParamChange(name, value, row))

    def take_changes(self) -> list[ParamChange]:
        with self._lock:
            changes, self._pending = self._pending, []
        return changes
