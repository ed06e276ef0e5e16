"""The playground in a real terminal (a pty): SIGTERM and a crash both leave the terminal as it
was (alternate screen left, mouse tracking off) and exit with a code that says what happened."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pexpect

ROOT = Path(__file__).resolve().parents[2]
LEAVE_ALTERNATE_SCREEN = b"\x1b[?1049l"
MOUSE_OFF = (b"\x1b[?1000l", b"\x1b[?1003l", b"\x1b[?1006l")

CRASHING_APP = """
import sys
from pathlib import Path
from playground import cli
from playground.tui import app, launch
from playground.tui.app import PlaygroundApp
from tests.fakes import ScriptedEngine

class Crashing(PlaygroundApp):
    CSS_PATH = Path(app.__file__).with_name("app.tcss")

    def action_help(self):
        raise RuntimeError("boom [/] on F1")

def crashing_app(options, params, session=None):
    return Crashing(options, params, loader=lambda o, p: ScriptedEngine())

launch.create_app = crashing_app
sys.exit(cli.main())
"""


def spawn(args: list[str], home: Path) -> pexpect.spawn:
    env = {**os.environ, "XDG_DATA_HOME": str(home / "data"), "XDG_CONFIG_HOME": str(home / "config"),
           "TERM": "xterm-256color", "PYTHONPATH": str(ROOT)}
    child = pexpect.spawn(sys.executable, args, env=env, cwd=str(ROOT), timeout=120, dimensions=(40, 140))
    child.expect_exact(b"\x1b[?1049h")  # the alternate screen
    child.expect_exact(b"Generate")  # the first frame: the footer is drawn
    return child


def finished(child: pexpect.spawn) -> bytes:
    child.expect(pexpect.EOF)
    child.close()
    return child.before


def assert_terminal_restored(tail: bytes) -> None:
    assert LEAVE_ALTERNATE_SCREEN in tail
    assert all(sequence in tail for sequence in MOUSE_OFF)


def test_sigterm_ends_the_playground_cleanly_even_while_the_model_loads(tmp_path):
    child = spawn(["-m", "playground", "--demo"], tmp_path)
    child.kill(signal.SIGTERM)
    tail = finished(child)
    assert_terminal_restored(tail)
    assert child.signalstatus is None and child.exitstatus == 128 + signal.SIGTERM
    assert b"Traceback" not in tail


def test_a_crash_restores_the_terminal_and_exits_non_zero_with_one_line(tmp_path):
    script = tmp_path / "crashing_app.py"  # a file: Textual reads the app class's source location
    script.write_text(CRASHING_APP)
    child = spawn([str(script)], tmp_path)
    child.send("\x1bOP")  # F1
    tail = finished(child)
    assert_terminal_restored(tail)
    assert child.exitstatus == 1
    after = tail[tail.rindex(LEAVE_ALTERNATE_SCREEN):].decode()
    assert "starcoder-play: internal error: RuntimeError: boom [/] on F1" in after
    assert "Traceback" not in after
