"""Session files: round trip, exact replay, bad files, Markdown, and crash safety."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time

import pytest

from playground import locations
from playground.engine.handle import GenerationHandle
from playground.engine.types import GenerationRequest
from playground.params import SamplingParams
from playground.sessions import (
    RunRecord,
    Session,
    SessionError,
    delete_session,
    export_markdown,
    history_path,
    list_sessions,
    load_session,
    named_path,
    rename_session,
    save_session,
)

PROMPT = "def fibonacci(n):\n    a, b = 0, 1\n"


def run_once(engine, request, handle=None, on_event=None):
    result = engine.generate(request, on_event, handle)
    return RunRecord.from_result(request, result, "2026-11-25T00:00:00+00:00"), result


def test_round_trip_keeps_everything(engine):
    params = SamplingParams.make(seed=9, max_new_tokens=12, num_responses=2, stop=["\n\n"])
    record, result = run_once(engine, GenerationRequest(PROMPT, params))
    session = Session(prompt=PROMPT, params=params.to_dict(), model={"id": "tiny", "device": "cpu"}, runs=[record])
    path = save_session(session, named_path("fib"))
    assert path == locations.sessions_dir() / "fib.json"
    loaded = load_session(path)
    assert loaded.runs[0].responses[1]["token_ids"] == result.responses[1].token_ids
    assert loaded.runs[0].params["seed"] == 9 and loaded.versions["torch"] and loaded.versions["transformers"]
    data = json.loads(path.read_text())
    assert data["format"] == "starcoder-play-session" and data["schema_version"] == 1


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
    save_session(Session(prompt=PROMPT, runs=[record]), named_path("live"))
    replay = load_session(named_path("live")).runs[0].replay_request()
    again = engine.generate(replay)
    assert again.responses[0].token_ids == result.responses[0].token_ids
    assert [(c.at_token, c.name) for c in again.live_changes] == [(6, "temperature"), (9, "top_k")]


def test_replay_of_unlinked_columns(engine):
    cold = SamplingParams.make(temperature=0.2, max_new_tokens=10)
    hot = SamplingParams.make(temperature=1.5, max_new_tokens=10)
    request = GenerationRequest(PROMPT, cold.replace(num_responses=2), columns=(cold, hot))
    record, result = run_once(engine, request)
    again = engine.generate(record.replay_request())
    assert [r.token_ids for r in again.responses] == [r.token_ids for r in result.responses]


@pytest.mark.parametrize("content, expected", [
    ('{"format": "starcoder-play-session", "schema_version": 1, "prompt": "x", "runs": [', "not valid JSON"),
    ('{"format": "starcoder-play-session", "schema_version": 99, "runs": []}', "newer starcoder-play"),
    ('{"name": "something else", "version": 1}', "is not a starcoder-play session"),
    ('[1, 2, 3]', "is not a starcoder-play session"),
    ('{"format": "starcoder-play-session", "schema_version": 1, "prompt": "x"}', "missing or has malformed"),
])
def test_bad_files_get_a_clear_message_naming_the_file(tmp_path, content, expected):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(SessionError) as caught:
        load_session(path)
    assert expected in str(caught.value) and str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_listing_reports_broken_files_and_rename_delete_work():
    save_session(Session(prompt="import os\nprint(1)\n", model={"id": "m"}), named_path("first"))
    history = Session(prompt="SELECT 1;")
    save_session(history, history_path(history))
    broken = locations.sessions_dir() / "broken.json"
    broken.write_bytes(b"\x00\xff garbage")
    summaries, problems = list_sessions()
    assert [(s.title, s.kind) for s in summaries] == [("first", "saved"), ("SELECT 1;", "recent")]
    assert summaries[0].first_line == "import os" and len(problems) == 1 and "broken.json" in problems[0]
    renamed = rename_session(named_path("first"), "second")
    assert renamed.name == "second.json" and not named_path("first").exists()
    assert load_session(renamed).name == "second"
    delete_session(renamed)
    assert not renamed.exists()
    with pytest.raises(SessionError):
        named_path("bad*name?")


def test_no_access_token_is_ever_written(engine, monkeypatch):
    secret = "hf_SECRETTOKEN1234567890"
    monkeypatch.setenv("HF_TOKEN", secret)
    record, _ = run_once(engine, GenerationRequest(PROMPT, SamplingParams.make(max_new_tokens=3)))
    path = save_session(Session(prompt=PROMPT, runs=[record], model={"id": "bigcode/starcoder2-15b"}), named_path("t"))
    assert secret not in path.read_text()


def test_markdown_export_has_prompt_parameters_and_fenced_responses(engine):
    params = SamplingParams.make(temperature=0.2, max_new_tokens=5, seed=1)
    record, result = run_once(engine, GenerationRequest("x = '```'\n", params))
    markdown = export_markdown(Session(prompt="x = '```'\n", runs=[record], model={"id": "tiny"}))
    assert "`temperature=0.2`" in markdown and "````python\nx = '```'\n\n````" in markdown
    assert result.responses[0].text in markdown and "seed 1" in markdown


WRITER = r"""
import sys
from pathlib import Path
from playground.sessions import RunRecord, Session, save_session
path = Path(sys.argv[1])
session = Session(prompt="def f():\n")
for number in range(10_000):
    session.runs.append(RunRecord("t", "p", None, {"seed": number}, None, 1,
                                  [{"index": 0, "text": "x" * 2000, "token_ids": list(range(500)),
                                    "finish_reason": "length", "seed": number}], [], {}))
    save_session(session, path)
    print(number, flush=True)
"""


def test_killing_a_writer_at_random_points_never_leaves_a_broken_file(tmp_path):
    rng = random.Random(0)
    path = tmp_path / "session.json"
    for _attempt in range(5):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True)
        finished = -1
        deadline = time.monotonic() + rng.uniform(1.0, 2.0)
        while time.monotonic() < deadline:
            line = writer.stdout.readline()
            if line:
                finished = int(line)
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        finished = max(finished, *(int(line) for line in writer.stdout.read().split() or [-1]))
        session = load_session(path)  # complete and valid JSON, whatever the moment of the kill
        assert len(session.runs) >= finished + 1  # every run reported saved is there
        assert [r.params["seed"] for r in session.runs] == list(range(len(session.runs)))
        leftovers = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        for leftover in leftovers:  # a kill mid-write may leave a temporary file, never the real one half-written
            leftover.unlink()
        path.unlink()
