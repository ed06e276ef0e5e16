"""Session records and files: round trip, exact replay, Markdown, version-1 files, crash safety."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from playground import locations
from playground.engine.handle import GenerationHandle
from playground.engine.types import GenerationRequest
from playground.params import SamplingParams
from playground.sessions.export import export_markdown
from playground.sessions.records import ModelRecord, RunRecord
from playground.sessions.session import Session, SessionError, load_session_file
from playground.sessions.store import SessionStore
from tests.session_records import make_run

PROMPT = "def fibonacci(n):\n    a, b = 0, 1\n"
V1_FILE = Path(__file__).parent / "data" / "session-v1.json"


def run_once(engine, request, handle=None, on_event=None):
    result = engine.generate(request, on_event, handle)
    record = RunRecord.from_result(request, result, "2026-11-25T00:00:00+00:00", ModelRecord.from_engine(engine))
    return record, result


def test_round_trip_keeps_everything_typed(engine):
    params = SamplingParams.make(seed=9, max_new_tokens=12, num_responses=2, stop=["\n\n"])
    record, result = run_once(engine, GenerationRequest(PROMPT, params))
    store = SessionStore()
    session = Session(prompt=PROMPT, params=params)
    store.record_run(session, record)
    path = store.save(session, "fib")
    assert path == locations.sessions_dir() / "fib.json" and session.saved_path == path
    loaded = load_session_file(path)
    assert loaded.runs == [record]  # every field, typed, equal after the round trip
    run = loaded.runs[0]
    assert run.responses[1].token_ids == result.responses[1].token_ids and run.params.seed == 9
    assert run.model == ModelRecord.from_engine(engine) and run.model.device == "cpu"
    assert run.versions["torch"] and run.versions["transformers"] and loaded.params == params
    data = json.loads(path.read_text())
    assert data["format"] == "starcoder-play-session" and data["schema_version"] == 2
    assert data["runs"][0]["model"]["id"] == engine.name  # human-readable JSON: each run names its model


def test_replay_gives_identical_tokens_including_live_changes(engine):
    handle = GenerationHandle()
    steps = []

    def on_event(events):
        steps.append(events)
        if len(steps) == 6:
            handle.set_param("temperature", 0.0)
        if len(steps) == 9:
            handle.set_param("top_k", 3)

    params = SamplingParams.make(temperature=1.3, top_p=1.0, max_new_tokens=25)
    record, result = run_once(engine, GenerationRequest(PROMPT, params), handle, on_event)
    assert len(record.live_changes) == 2
    SessionStore().save(Session(prompt=PROMPT, runs=[record]), "live")
    replay = SessionStore().open("live").runs[0].replay_request()
    again = engine.generate(replay)
    assert again.responses[0].token_ids == result.responses[0].token_ids
    assert [(c.at_token, c.name) for c in again.live_changes] == [(6, "temperature"), (9, "top_k")]


def test_replay_of_unlinked_columns(engine):
    cold = SamplingParams.make(temperature=0.2, max_new_tokens=10)
    hot = SamplingParams.make(temperature=1.5, max_new_tokens=10)
    request = GenerationRequest(PROMPT, cold.replace(num_responses=2), columns=(cold, hot))
    record, result = run_once(engine, request)
    SessionStore().save(Session(prompt=PROMPT, runs=[record]), "ab")
    again = engine.generate(SessionStore().open("ab").runs[0].replay_request())
    assert [r.token_ids for r in again.responses] == [r.token_ids for r in result.responses]


def test_runs_from_different_models_keep_their_own_labels():
    store = SessionStore()
    session = Session(prompt="x")
    store.record_run(session, make_run(1, model="demo"))
    store.record_run(session, make_run(2, model="bigcode/starcoder2-15b"))
    store.save(session, "mixed")
    runs = store.open("mixed").runs
    assert [run.model.id for run in runs] == ["demo", "bigcode/starcoder2-15b"]
    assert [m.id for m in session.models] == ["demo", "bigcode/starcoder2-15b"]
    assert store.entries()[0].model == "demo, bigcode/starcoder2-15b"


def test_version_1_files_written_by_the_previous_code_are_read():
    session = load_session_file(V1_FILE)
    assert (session.name, session.fim, session.suffix, len(session.runs)) == ("v1 session", True, "\nprint(x)\n", 2)
    ab, fim = session.runs
    assert ab.model == ModelRecord("bigcode/starcoder2-3b", "main", "bfloat16", "none", "cuda")  # from the session
    assert ab.columns is not None and [c.temperature for c in ab.columns] == [0.2, 1.5]
    assert ab.live_changes[0].name == "temperature" and ab.responses[1].token_ids[:2] == [262, 442]
    assert fim.suffix == "\nprint(x)\n" and fim.responses[0].finish_reason == "stop_sequence"
    assert load_session_file(V1_FILE).runs[0].id == ab.id  # a stable id: read twice, listed once
    store = SessionStore()
    path = store.save(session, "upgraded")  # written back in the current version, runs intact
    assert json.loads(path.read_text())["schema_version"] == 2 and store.open("upgraded").runs == session.runs


def test_no_access_token_is_ever_written(engine, monkeypatch):
    secret = "hf_SECRETTOKEN1234567890"
    monkeypatch.setenv("HF_TOKEN", secret)
    record, _ = run_once(engine, GenerationRequest(PROMPT, SamplingParams.make(max_new_tokens=3)))
    store = SessionStore()
    session = Session(prompt=PROMPT)
    history = store.record_run(session, record)
    path = store.save(session, "t")
    assert secret not in path.read_text() and secret not in history.read_text()


def test_markdown_export_has_models_parameters_live_changes_and_fenced_responses(engine):
    params = SamplingParams.make(temperature=0.2, max_new_tokens=5, seed=1)
    record, result = run_once(engine, GenerationRequest("x = '```'\n", params))
    other = make_run(4, model="bigcode/starcoder2-15b")
    markdown = export_markdown(Session(prompt="x = '```'\n", runs=[record, other]))
    assert "`temperature=0.2`" in markdown and "````python\nx = '```'\n\n````" in markdown
    assert result.responses[0].text in markdown and "seed 1" in markdown
    assert f"model: `{engine.name} (cpu" in markdown and "bigcode/starcoder2-15b@main (cuda, bfloat16)" in markdown
    assert "live change: response 1 from token 2: `temperature=0.0`" in markdown
    path = SessionStore().export(Session(prompt="x", runs=[other], name="mine"))
    assert path == locations.data_dir() / "exports" / "mine.md" and "Run 1" in path.read_text()


WRITER = r"""
import sys
from playground.sessions.session import Session
from playground.sessions.store import SessionStore
from tests.session_records import make_run
store, target, mode = SessionStore(), sys.argv[1], sys.argv[2]
session = Session(prompt="def f():\n")
for number in range(10_000):
    run = make_run(number, text="x" * 2000, tokens=500)
    if mode == "save":
        session.runs.append(run)
        store.save(session, target)
    else:
        store.record_run(session, run)
    print(number, flush=True)
"""


@pytest.mark.parametrize("mode", ["save", "record"])
def test_killing_a_writer_at_random_points_never_leaves_a_broken_file(tmp_path, mode):
    rng = random.Random(0)
    target = tmp_path / "session.json"
    for _attempt in range(4 if mode == "save" else 2):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(target), mode], stdout=subprocess.PIPE, text=True)
        finished = -1
        deadline = time.monotonic() + rng.uniform(1.0, 2.0)  # a random moment to kill at, not a wait
        while time.monotonic() < deadline:
            line = writer.stdout.readline()
            if line:
                finished = int(line)
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        finished = max(finished, *(int(line) for line in writer.stdout.read().split() or [-1]))
        store = SessionStore()
        if mode == "save":
            session = load_session_file(target)  # complete and valid JSON, whatever the moment of the kill
            target.unlink()
        else:
            recent = [e for e in store.entries() if e.error is None]
            assert not [e for e in store.entries() if e.error is not None]  # no half-written run file
            session = store.open(recent[0])
            store.delete(recent[0])
        assert len(session.runs) >= finished + 1  # every run reported saved is there
        assert sorted(r.params.seed for r in session.runs) == list(range(len(session.runs)))
        for leftover in tmp_path.rglob(".*.tmp"):  # a kill mid-write may leave a temporary, never a half file
            leftover.unlink()
        for leftover in locations.data_dir().rglob(".*.tmp"):
            leftover.unlink()


def test_bad_session_file_message_names_the_file_and_the_field(tmp_path):
    data = json.loads(V1_FILE.read_text())
    data["runs"][1]["responses"][0]["text"] = 3
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(SessionError) as caught:
        load_session_file(path)
    assert str(caught.value) == f"{path}: runs[1].responses[0].text must be a string (got a number)"
