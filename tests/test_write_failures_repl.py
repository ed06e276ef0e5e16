"""The REPL when writes fail (a path under a file, /proc, a full disk, an unwritable history):
one line each, the REPL keeps running, and nothing in memory is lost. Also: bracketed text
in its tables, and the autosave that comes before the status line."""

from __future__ import annotations

import errno
import io
import os

import pytest
from prompt_toolkit.history import InMemoryHistory
from rich.console import Console

from playground import locations
from playground.params import SamplingParams
from playground.repl import Repl
from playground.repl_history import ReplHistory
from playground.runtime.describe import error_line, error_message
from playground.runtime.keeper import SessionKeeper
from tests.fakes import ScriptedEngine
from tests.test_repl import SEND, drive


def full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every fsync fails as on a full disk (the data reaches the disk at fsync)."""
    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", no_space)


def test_an_os_error_is_one_line_naming_the_file_the_reason_and_the_fix():
    error = OSError(errno.ENOSPC, "No space left on device", "/data/x.json")
    assert error_line(error) == "/data/x.json: No space left on device (free some disk space and try again)"
    assert error_message(PermissionError(errno.EACCES, "Permission denied", "/ro/x")).startswith(
        "error: /ro/x: Permission denied (check the permissions")
    assert error_message(OSError("no errno")) == "internal error: OSError: no errno"  # a bug stays a bug


def test_save_failures_are_one_line_and_the_session_stays_in_memory(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    full_disk(monkeypatch)
    keys = "def f():" + SEND + f"/save {blocker}/x.json\r/save /proc/x.json\r/save disk-full\r/show\r"
    repl, code, out = drive(ScriptedEngine(), keys)
    flat = " ".join(out.split())  # the console wraps long lines
    assert flat.count("error: ") == 3 and "internal error" not in flat, out
    assert f"error: {blocker}: cannot be written" in flat and "error: /proc/x.json: cannot be written" in flat
    assert "disk-full.json" in flat and "No space left on device" in flat
    assert "warning: could not autosave" in out  # the run's own autosave met the full disk too
    assert "repetition_penalty" in flat.split("disk-full.json")[-1]  # /show ran after the failures
    assert code == 0 and len(repl.keeper.session.runs) == 1 and repl.keeper.session.runs[0].prompt == "def f():"


def test_an_unwritable_history_is_said_once_and_the_lines_stay_in_memory(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    history = ReplHistory(blocker / "repl_history")  # its folder is a file: every write fails
    repl, code, out = drive(ScriptedEngine(), "/seed 3\r/seed 4\rx = 1" + SEND, history=history)
    assert code == 0 and repl.params.seed == 4 and len(repl.keeper.session.runs) == 1
    warnings = [line for line in out.splitlines() if "REPL history" in line]
    assert len(warnings) == 1 and str(blocker) in warnings[0]
    assert "this session's lines are kept in memory" in " ".join(out.split())
    assert history.get_strings()[-3:] == ["/seed 3", "/seed 4", "x = 1"]


def test_the_history_file_is_private_and_only_a_regular_file_is_read(tmp_path):
    path = tmp_path / "repl_history"
    history = ReplHistory(path)
    history.append_string("secret prompt")
    assert path.stat().st_mode & 0o777 == 0o600 and "secret prompt" in path.read_text()
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reading = ReplHistory(fifo)
    assert list(reading.load_history_strings()) == [] and "not a regular file" in (reading.take_problem() or "")


def test_a_full_disk_during_autosave_is_a_warning_and_the_run_is_kept(monkeypatch):
    full_disk(monkeypatch)
    repl, code, out = drive(ScriptedEngine(), "x = 1" + SEND + "y = 2" + SEND)
    assert len(repl.keeper.session.runs) == 2 and code == 0
    assert out.count("warning: could not autosave") == 2 and "No space left on device" in out


def test_the_run_is_autosaved_before_its_status_line_is_shown(monkeypatch):
    console = Console(file=io.StringIO(), width=120, force_terminal=False, color_system=None)
    shown_when_saved: list[str] = []
    record = SessionKeeper.record

    def recording(self, *args, **kwargs):
        shown_when_saved.append(console.file.getvalue())
        return record(self, *args, **kwargs)

    monkeypatch.setattr(SessionKeeper, "record", recording)
    repl = Repl(ScriptedEngine(), SamplingParams.make(seed=1), console=console, history=InMemoryHistory())
    repl.generate("x = 1")
    assert "tok/s" in console.file.getvalue() and len(shown_when_saved) == 1
    assert "tok/s" not in shown_when_saved[0]  # saved first, then the status line
    assert list(locations.history_dir().rglob("*.json"))


def test_bracketed_text_in_the_repls_tables():
    keys = "/stop add [/INST]\r/stop add x[/]\r/show\r[/]x = '[bold]'" + SEND + "/history\r"
    repl, code, out = drive(ScriptedEngine(), keys, params=SamplingParams.make(seed=1),
                            history=InMemoryHistory())
    assert "error" not in out, out
    assert "['[/INST]', 'x[/]']" in out and "[/]x = '[bold]'" in out
