"""Write failures and two writers at once: one line each, nothing lost in memory or on disk.

The tests run as root, so a chmod'ed folder would not stop a write: unwritable places here are
a path under a regular file, ``/proc``, a full disk simulated by failing the system call, and a
real file-size limit (``RLIMIT_FSIZE``) in a child process.
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from playground import locations
from playground.atomic import WriteFailed, ensure_private_file, write_text_atomically
from playground.config import load_config, remember_theme
from playground.params import SamplingParams
from playground.presets import save_user_preset
from playground.sessions.session import Session, load_session_file
from playground.sessions.store import SessionStore
from tests.session_records import make_run


def no_temporaries(folder: Path) -> bool:
    return not list(folder.rglob(".*.tmp")) if folder.exists() else True


@pytest.mark.parametrize("where", ["under a file", "proc"])
def test_saving_where_nothing_can_be_written_is_one_line_and_loses_nothing(tmp_path, where):
    store = SessionStore()
    session = Session(prompt="keep me")
    store.record_run(session, make_run(1))
    if where == "under a file":
        (tmp_path / "file").write_text("x")
        target = str(tmp_path / "file" / "session.json")
    else:
        target = "/proc/starcoder-play-session.json"
    with pytest.raises(WriteFailed) as caught:
        store.save(session, target)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(target.rsplit("/", 1)[0]) and "cannot be written" in message
    assert len(session.runs) == 1 and session.saved_path is None and session.prompt == "keep me"


def test_autosave_into_an_unwritable_data_dir_keeps_the_run_in_memory(tmp_path, monkeypatch):
    (tmp_path / "not-a-dir").write_text("x")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "not-a-dir"))
    store = SessionStore()
    session = Session()
    run = make_run(1)
    with pytest.raises(WriteFailed, match="cannot be written"):
        store.record_run(session, run)
    assert session.runs == [run]


@pytest.mark.parametrize("failing", ["write", "fsync", "replace"])
def test_a_full_disk_leaves_the_old_file_and_no_temporary(monkeypatch, failing):
    store = SessionStore()
    session = Session(prompt="v1")
    store.record_run(session, make_run(1))
    path = store.save(session, "full")
    before = path.read_text()

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    store.record_run(session, make_run(2))
    target = {"write": "playground.atomic.os.fdopen", "fsync": "playground.atomic.os.fsync",
              "replace": "playground.atomic.os.replace"}[failing]
    monkeypatch.setattr(target, no_space)
    with pytest.raises(WriteFailed, match="No space left on device; free some space"):
        store.save(session)
    monkeypatch.undo()
    assert path.read_text() == before and no_temporaries(locations.sessions_dir())
    assert len(session.runs) == 2


def test_theme_and_preset_writes_on_a_full_disk_are_one_line(monkeypatch):
    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("playground.atomic.os.replace", no_space)
    with pytest.raises(WriteFailed, match="config.toml: cannot be written"):
        remember_theme("starcoder-light")
    with pytest.raises(WriteFailed, match="mine.toml: cannot be written"):
        save_user_preset("mine", SamplingParams())


FILE_SIZE_LIMIT = r"""
import resource, signal
from playground.sessions.store import SessionStore
from tests.session_records import make_run
store = SessionStore()
session = store.open("big")
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))
session.runs.append(make_run(3, text="z" * 300_000))
try:
    store.save(session)
except Exception as error:
    print(type(error).__name__, error)
"""


def test_a_real_file_size_limit_fails_the_write_and_keeps_the_file(isolated_dirs):
    store = SessionStore()
    session = Session(prompt="small")
    store.record_run(session, make_run(1))
    path = store.save(session, "big")
    before = path.read_text()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.run([sys.executable, "-c", FILE_SIZE_LIMIT], capture_output=True, text=True, env=env,
                           cwd=Path(__file__).parents[1])
    assert child.returncode == 0, child.stderr
    assert child.stdout.startswith("WriteFailed ") and "File too large" in child.stdout
    assert path.read_text() == before and no_temporaries(locations.sessions_dir())


def test_repl_history_is_private_and_an_unusable_one_is_refused(tmp_path):
    path = locations.repl_history_file()
    ensure_private_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o644)  # as older versions left it
    ensure_private_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    (tmp_path / "file").write_text("x")
    with pytest.raises(WriteFailed):
        ensure_private_file(tmp_path / "file" / "repl_history")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(WriteFailed):  # neither hangs nor writes into a pipe
        ensure_private_file(fifo)


def test_every_user_file_is_private(tmp_path):
    store = SessionStore()
    session = Session()
    history = store.record_run(session, make_run(1))
    written = [history, store.save(session, "p"), store.export(session),
               save_user_preset("mine", SamplingParams())]
    remember_theme("starcoder-light")
    written.append(locations.config_file())
    write_text_atomically(tmp_path / "plain.txt", "x")
    written.append(tmp_path / "plain.txt")
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in written} == {oct(0o600)}
    assert load_config().theme == "starcoder-light"


CONCURRENT_WRITER = r"""
import sys
from playground.sessions.store import SessionStore
from tests.session_records import make_run
store, base = SessionStore(), int(sys.argv[1])
session = store.open("shared")
print("ready", flush=True)
sys.stdin.readline()  # both start writing at once, on the parent's word
for number in range(base, base + 25):
    store.record_run(session, make_run(number))
    store.save(session)
print("done", flush=True)
"""


def test_two_writers_on_one_session_lose_nothing():
    store = SessionStore()
    session = Session(prompt="shared")
    store.record_run(session, make_run(0))
    store.save(session, "shared")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    writers = [subprocess.Popen([sys.executable, "-c", CONCURRENT_WRITER, str(base)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True, env=env, cwd=Path(__file__).parents[1])
               for base in (100, 200)]
    for writer in writers:
        assert writer.stdout.readline() == "ready\n"
    for writer in writers:
        writer.stdin.write("go\n")
        writer.stdin.flush()
    for writer in writers:
        assert writer.stdout.readline() == "done\n"
        assert writer.wait() == 0
    expected = [0, *range(100, 125), *range(200, 225)]
    saved = load_session_file(store.path_for("shared"))
    assert sorted(r.params.seed for r in saved.runs) == expected  # every run of both, in the saved file
    history = locations.history_dir() / session.id
    assert len(list(history.glob("*.json"))) == len(expected)  # and each once in the history
    [entry] = store.entries()
    assert entry.runs == len(expected) and entry.unsaved_runs == 0


def test_every_folder_a_write_creates_is_private_whatever_the_umask(tmp_path):
    old_umask = os.umask(0o022)
    try:
        write_text_atomically(tmp_path / "data" / "starcoder-play" / "history" / "id" / "run.json", "{}")
    finally:
        os.umask(old_umask)
    for folder in ("data", "data/starcoder-play", "data/starcoder-play/history", "data/starcoder-play/history/id"):
        assert stat.S_IMODE((tmp_path / folder).stat().st_mode) == 0o700, folder
