"""The REPL driven through prompt_toolkit's pipe input, and once end to end in a real terminal."""

from __future__ import annotations

import io
import os
import signal
import sys
import threading

import pexpect
import pytest
from prompt_toolkit.document import Document
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from rich.console import Console

from playground import locations
from playground.params import SamplingParams
from playground.repl import Repl
from playground.repl_commands import CommandCompleter, toolbar_text

SEND = "\x1b\r"  # escape, enter: what alt+enter sends
EOF_KEY = "\x04"


def drive(engine, keys: str, params: SamplingParams | None = None, history=None):
    console = Console(file=io.StringIO(), width=120, force_terminal=False, color_system=None)
    with create_pipe_input() as pipe:
        pipe.send_text(keys + EOF_KEY)
        repl = Repl(engine, params or SamplingParams.make(max_new_tokens=8, seed=1), console=console,
                    history=history or InMemoryHistory(), input=pipe, output=DummyOutput())
        code = repl.run()
    return repl, code, console.file.getvalue()


def test_submit_streams_a_response_and_reports_status(engine):
    repl, code, out = drive(engine, "def f(x):\n    return" + SEND)
    assert code == 0
    run = repl.keeper.session.runs[0]
    assert run.prompt == "def f(x):\n    return"  # Enter added a line, alt+enter sent it
    assert run.responses[0].text in out and len(run.responses[0].token_ids) == 8
    assert "tokens · length · seed 1" in out and "ttft" in out and "tok/s" in out
    assert list(locations.history_dir().glob(f"{repl.keeper.session.id}/*.json"))  # runs are autosaved
    assert run.model.id == engine.name and run.model.device == "cpu"


def test_commands_change_the_parameters_with_the_cli_messages(engine):
    keys = "".join(line + "\r" for line in [
        "/set temperature 0", "/set top_k 40", "/set temperature 500", "/set tempature 1", "/set top_k",
        "/preset precise-code", "/seed 5", "/stop add \\n\\n", "/n 2", "/n 3", "/lang rust", "/lang klingon",
        "/show", "/bogus",
    ])
    repl, code, out = drive(engine, keys)
    assert (repl.params.temperature, repl.params.top_p, repl.params.top_k) == (0.2, 0.95, 0)
    assert (repl.params.seed, repl.params.stop, repl.params.num_responses) == (5, ("\n\n",), 2)
    assert "error: temperature must be between 0 and 100 (got '500')" in out
    assert "error: unknown parameter 'tempature'" in out and "error: usage: /set NAME VALUE" in out
    assert "error: num_responses must be between 1 and 2" in out
    assert repl.language == "rust" and "error: unknown language 'klingon'" in out
    assert "error: unknown command /bogus" in out and "repetition_penalty" in out


def test_values_are_echoed_as_they_are_typed(engine):
    keys = "".join(line + "\r" for line in ["/set max_new_tokens none", "/stop add \\n", "/seed random",
                                             "/set min_p 0.00001"])
    repl, code, out = drive(engine, keys)
    assert repl.params.max_new_tokens is None and repl.params.stop == ("\n",)
    assert "max_new_tokens = none" in out and "stop = ['\\n']" in out and "seed = random" in out
    assert "min_p = 1.0e-05" in out and "None" not in out


def test_reset_history_help_save_and_load(engine):
    keys = "/set temperature 0\rdef g():" + SEND + "/history\r/save mine\r/reset\r/help\r/load mine\r"
    repl, code, out = drive(engine, keys)
    assert "def g():" in out and "saved" in out and (locations.sessions_dir() / "mine.json").exists()
    assert repl.params.temperature == 0  # restored by /load
    assert "/stop add TEXT | clear" in out and "loaded mine.json: 1 run(s)" in out


def test_two_responses_are_printed_after_streaming(engine):
    repl, code, out = drive(engine, "/n 2\rimport os" + SEND)
    responses = repl.keeper.session.runs[0].responses
    assert len(responses) == 2 and "--- response 1 (seed 1) ---" in out and "--- response 2 (seed 2) ---" in out


def test_fim_marker_splits_the_prompt(engine):
    repl, code, out = drive(engine, "/fim\ra = <FILL>\nprint(a)" + SEND + "/fim\rno marker" + SEND)
    run = repl.keeper.session.runs[0]
    assert (run.prompt, run.suffix) == ("a = ", "\nprint(a)")
    assert "error: /fim is on: put <FILL> where the hole is" in out


def test_save_refuses_another_sessions_name_and_save_bang_overwrites(engine):
    from playground.sessions.session import Session, load_session_file
    from playground.sessions.store import SessionStore

    other = Session(prompt="print('other')\n")
    SessionStore().save(other, "taken")
    repl, code, out = drive(engine, "x = 1" + SEND + "/save taken\r")
    assert "/save! taken overwrites it" in out and "different session" in out
    assert load_session_file(locations.sessions_dir() / "taken.json").id == other.id  # kept
    repl, code, out = drive(engine, "x = 1" + SEND + "/save! taken\r")
    saved = load_session_file(locations.sessions_dir() / "taken.json")
    assert "saved" in out and saved.id == repl.keeper.session.id and saved.prompt == "x = 1"


def test_a_failed_autosave_is_one_warning_before_the_status_line_and_loses_nothing(engine, monkeypatch):
    import errno

    from playground.atomic import WriteFailed
    from playground.sessions import store

    def full_disk(path, text):
        raise WriteFailed(path, OSError(errno.ENOSPC, "No space left on device"))

    monkeypatch.setattr(store, "write_text_atomically", full_disk)
    repl, code, out = drive(engine, "x = 1" + SEND)
    assert code == 0 and len(repl.keeper.session.runs) == 1  # kept in memory for the next save
    assert "could not autosave the run (it is kept in memory)" in out and "free some space" in out
    assert out.index("could not autosave") < out.index("ttft")  # on disk (or said not to be) before the status


def test_seed_pins_the_last_seed_used(engine):
    repl, code, out = drive(engine, "x = 1" + SEND + "/seed\r", params=SamplingParams.make(max_new_tokens=3))
    assert repl.params.seed == repl.keeper.session.runs[0].params.seed


def test_completion_of_commands_and_parameter_names(engine):
    repl, _, _ = drive(engine, "")
    completer = CommandCompleter(repl)

    def complete(text):
        return [c.text for c in completer.get_completions(Document(text), None)]

    assert complete("/se") == ["/set", "/seed"]
    assert complete("/set te") == ["temperature"]
    assert complete("/set repe") == ["repetition_penalty"]
    assert "greedy" in complete("/preset g") and complete("/n ") == ["1", "2"]
    assert complete("def f") == []


def test_toolbar_shows_the_model_and_changed_parameters(engine):
    repl, _, _ = drive(engine, "/set temperature 0.3\r")
    text = toolbar_text(repl)
    assert engine.name in text and "temperature=0.3" in text and "max_new_tokens=8" in text
    repl, _, _ = drive(engine, "/set max_new_tokens none\r")
    assert "max_new_tokens=none" in toolbar_text(repl)  # as typed and echoed, not Python's None


class InterruptingEngine:
    """The real engine; SIGINT arrives (as ctrl+c does) after a few streamed steps, and the
    decode loop waits until the REPL has cancelled, so the stop lands at the same step however
    busy the machine is."""

    def __init__(self, engine, after_steps: int) -> None:
        self.engine, self.after = engine, after_steps
        self.name, self.context_window, self.loaded = engine.name, engine.context_window, engine.loaded
        self.count_tokens = engine.count_tokens
        self.lost: list[int] = []  # steps whose ctrl+c never reached the REPL
        self.handler_at_kill: object = None

    def generate(self, request, on_event=None, handle=None):
        steps = [0]
        cancelled = threading.Event()
        cancel = handle.cancel

        def cancelling():
            cancel()
            cancelled.set()

        handle.cancel = cancelling

        def counting(events):
            steps[0] += 1
            on_event(events)
            if steps[0] == self.after:
                self.handler_at_kill = signal.getsignal(signal.SIGINT)
                os.kill(os.getpid(), signal.SIGINT)
                if not cancelled.wait(timeout=240):  # a safety net for a failing test, not a synchronisation
                    self.lost.append(steps[0])

        return self.engine.generate(request, counting, handle)


@pytest.fixture
def default_sigint():
    """SIGINT as a fresh process has it (KeyboardInterrupt in the main thread): an earlier test
    in this process may have left another handler behind (an event loop's that was never
    closed), which is not what a user's ctrl+c meets."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_ctrl_c_mid_stream_stops_and_returns_to_the_prompt(engine, default_sigint):
    slow = InterruptingEngine(engine, after_steps=4)
    params = SamplingParams.make(max_new_tokens=None, seed=2)
    repl, code, out = drive(slow, "x" + SEND + "y" + SEND, params=params)
    assert not slow.lost, f"a ctrl+c never reached the REPL's generation (SIGINT handler: {slow.handler_at_kill!r})"
    first, second = repl.keeper.session.runs
    assert first.responses[0].finish_reason == "cancelled" and code == 0
    assert len(first.responses[0].token_ids) in (4, 5)  # the step signalled, or the one after it
    assert second.prompt == "y"  # the REPL went on


def test_history_is_persisted_in_the_data_dir(engine):
    from prompt_toolkit.history import FileHistory

    path = locations.repl_history_file()
    path.parent.mkdir(parents=True)
    drive(engine, "def persisted():" + SEND, history=FileHistory(str(path)))
    assert "def persisted():" in path.read_text()


def test_end_to_end_in_a_real_terminal(tiny_model_dir, tmp_path):
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path), "TERM": "xterm"}
    child = pexpect.spawn(sys.executable, ["-m", "playground", "repl", "--model", str(tiny_model_dir),
                                           "--max-new-tokens", "6", "--seed", "3"],
                          env=env, encoding="utf-8", timeout=240, dimensions=(40, 120))  # a safety net
    try:
        child.expect("»")
        child.send("def f():")
        child.send(SEND)
        child.expect(r"6 tokens · length · seed 3")
        child.expect("»")
        child.send("/set temperature 500\r")
        child.expect("temperature must be between 0 and 100")
        child.send("/set temperature 0\r")
        child.expect("temperature = 0.0")
        child.send(EOF_KEY)
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    assert (tmp_path / "starcoder-play" / "repl_history").read_text().count("def f():") == 1


class BrokenEngine(InterruptingEngine):
    """An engine with a bug: the REPL must show one line and go on."""

    def generate(self, request, on_event=None, handle=None):
        raise RuntimeError("boom\nsecond line of the message")


def test_an_unexpected_error_is_one_line_and_the_repl_goes_on(engine):
    repl, code, out = drive(BrokenEngine(engine, after_steps=0), "x" + SEND + "/set temperature 0\r")
    assert "internal error: RuntimeError: boom" in out and "second line" not in out and "Traceback" not in out
    assert code == 0 and repl.params.temperature == 0 and not repl.keeper.session.runs


def test_stop_add_echoes_the_list_as_show_does(engine):
    keys = "/stop add \"\\n\\ndef \"\r/stop add \\[\r/show\r"
    repl, code, out = drive(engine, keys)
    assert repl.params.stop == ("\n\ndef ", "\\[")
    shown = repr(["\n\ndef ", "\\["])  # ['\n\ndef ', '\\[']: what /show and the toolbar print
    assert f"stop = {shown}" in out and out.count(shown) == 2, out
