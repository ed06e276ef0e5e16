"""The REPL's input history in a file, which never stops the REPL.

prompt_toolkit's ``FileHistory`` raises from every Enter when the file cannot be written (a
read-only folder, a full disk), and prompt_toolkit then prints "Unhandled exception" each
time. This one says what went wrong once, keeps the rest of the session's lines in memory
(``ctrl+r`` still finds them), creates the file private (0600: it holds every prompt typed),
and reads only a regular file of sane size (not a FIFO or a link to /dev/zero).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from prompt_toolkit.history import FileHistory

from playground.runtime.describe import error_line

#: Far above years of typing; a larger file is not read (the REPL starts with an empty history).
MAX_HISTORY_BYTES = 64 * 1024 * 1024


class ReplHistory(FileHistory):
    """``problem`` holds the one line to show once, then None again (``take_problem``)."""

    def __init__(self, path: Path) -> None:
        super().__init__(str(path))
        self.path = path
        self.problem: str | None = None
        self.writable = True

    def _failed(self, error: OSError, doing: str) -> None:
        self.problem = f"REPL history {doing}: {error_line(error)}; this session's lines are kept in memory"

    def take_problem(self) -> str | None:
        problem, self.problem = self.problem, None
        return problem

    def load_history_strings(self) -> Iterable[str]:
        try:
            info = os.stat(self.path)
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_HISTORY_BYTES:
                self.problem = (f"REPL history {self.path} is not a regular file under "
                                f"{MAX_HISTORY_BYTES // (1024 * 1024)} MB: not read")
                return []
            return list(super().load_history_strings())
        except FileNotFoundError:
            return []
        except OSError as error:
            self._failed(error, "not read")
            return []

    def store_string(self, string: str) -> None:
        if not self.writable:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Created 0600 (before prompt_toolkit opens it for appending with the umask's mode).
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
            super().store_string(string)
        except OSError as error:
            self.writable = False  # said once; the lines stay in memory
            self._failed(error, "not saved")
