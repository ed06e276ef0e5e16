"""The application layer on its own, with a scripted engine: what every front-end shares."""

from __future__ import annotations

import json

import pytest

from playground import locations
from playground.engine.types import GenerationRequest, GenerationResult, ResponseResult, Timings
from playground.errors import UserError
from playground.params import SamplingParams
from playground.presets import find_preset
from playground.runtime.describe import error_line, error_message, first_divergence, replay_verdict, status_line
from playground.runtime.keeper import SessionKeeper
from playground.runtime.parameters import apply_preset
from playground.runtime.prompts import FILL_MARKER, join_at_marker, split_at_marker
from playground.runtime.running import Generation, run_interruptible
from playground.sessions.records import ModelRecord, ResponseRecord
from playground.sessions.store import NameNeeded, NameTaken
from tests.fakes import FakeLoaded, ScriptedEngine

TEXT = "def f(x):\n    return x\n"


def finished(engine: ScriptedEngine, request: GenerationRequest) -> tuple[Generation, GenerationResult]:
    generation = Generation(engine, request)
    return generation, run_interruptible(generation)


def test_status_line_and_error_lines_are_the_same_for_every_front_end():
    _, result = finished(ScriptedEngine(), GenerationRequest("x", SamplingParams.make(num_responses=2)))
    assert status_line(result) == "ttft 85 ms · 31.5 tok/s · 4 / 4 tokens · length / length · seed 42"
    assert error_line(UserError("top_k must be a whole number")) == "top_k must be a whole number"
    assert error_message(UserError("bad")) == "error: bad"
    assert error_message(RuntimeError("x\ny")) == "internal error: RuntimeError: x"
    assert error_line(RuntimeError()) == "internal error: RuntimeError: "


def test_a_result_carries_typed_parameters_and_its_columns():
    cold, hot = SamplingParams.make(temperature=0), SamplingParams.make(temperature=1.5)
    request = GenerationRequest("x", cold.replace(num_responses=2), columns=(cold, hot))
    _, result = finished(ScriptedEngine(), request)
    assert result.seed == 42 and result.columns == (cold, hot)
    assert result.params_json()["columns"][1]["temperature"] == 1.5
    assert json.loads(json.dumps(result.to_json()))["params"]["seed"] == 42
    no_seed = GenerationResult("m", 1, SamplingParams(), [], Timings(0, 0, 0, 0))
    with pytest.raises(ValueError):
        no_seed.seed  # noqa: B018 - the property raises


def test_replay_verdict_names_the_first_differing_token():
    assert first_divergence([1, 2, 3], [1, 2, 3]) is None and first_divergence([1, 2], [1, 2, 3]) == 2
    result = GenerationResult("m", 1, SamplingParams(seed=1), [
        ResponseResult(0, "", [5, 6, 7], "length", 1, SamplingParams())], Timings(0, 0, 0, 0))
    def saved(tokens: list[int], reason: str = "length") -> list[ResponseRecord]:
        return [ResponseRecord(0, "", tokens, reason, 1, SamplingParams())]

    assert replay_verdict(saved([5, 6, 7]), result) == "✓ replay identical to the saved run (3 tokens)"
    assert replay_verdict(saved([5, 9, 7]), result) == "✗ replay differs from the saved run at token 1 of response 1"
    assert replay_verdict(saved([5, 6]), result) == "✗ replay differs from the saved run at token 2 of response 1"
    # a run stopped by the user (escape) is compared over the tokens it had; the replay ran on
    assert replay_verdict(saved([5, 6], "cancelled"), result) == (
        "✓ replay identical to the saved run (2 tokens; the saved run was stopped there, the replay ran on)")
    stopped_elsewhere = replay_verdict(saved([5, 9], "cancelled"), result)
    assert stopped_elsewhere.startswith("✗ replay differs from the saved run at token 1 ")


def test_the_fill_marker_splits_and_joins_back():
    assert split_at_marker(TEXT) is None
    assert split_at_marker(f"a = {FILL_MARKER}\nb") == ("a = ", "\nb")
    assert join_at_marker("a = ", "\nb") == f"a = {FILL_MARKER}\nb" and join_at_marker("a", None) == "a"


def test_a_preset_applies_over_the_defaults_keeping_seed_and_responses():
    current = SamplingParams.make(temperature=1.7, top_k=40, seed=9, num_responses=2)
    applied = apply_preset(find_preset("precise-code"), current)
    assert (applied.temperature, applied.top_p, applied.top_k) == (0.2, 0.95, 0)
    assert (applied.seed, applied.num_responses) == (9, 2)


def test_steering_sends_live_parameters_only():
    generation = Generation(ScriptedEngine(), GenerationRequest("x"))
    assert generation.steer("temperature", 0.1, row=1) and generation.steer("stop", ["\n"])
    assert not generation.steer("num_responses", 2) and not generation.steer("seed", 3)
    assert [(c.name, c.row) for c in generation.handle.take_changes()] == [("temperature", 1), ("stop", None)]


def test_an_engine_error_comes_back_in_the_callers_thread():
    class Failing(ScriptedEngine):
        def generate(self, request, on_event=None, handle=None):
            raise UserError("the prompt is too long")

    with pytest.raises(UserError, match="too long"):
        run_interruptible(Generation(Failing(), GenerationRequest("x")))


def test_ctrl_c_landing_before_the_wait_begins_still_cancels_and_keeps_the_result(monkeypatch):
    """The signal can arrive while the worker thread is being started (a busy machine streams
    the first tokens before the caller reaches its wait): the generation is cancelled, not lost."""
    import threading

    class HeldUntilCancelled(ScriptedEngine):
        def generate(self, request, on_event=None, handle=None):
            while not handle.cancelled:
                threading.Event().wait(0.01)  # polls as the decode loop does, once per step
            return super().generate(request, on_event, handle)

    class InterruptedStart(threading.Thread):
        def start(self):
            super().start()
            raise KeyboardInterrupt  # as a Ctrl+C arriving at this moment

    monkeypatch.setattr("playground.runtime.running.threading.Thread", InterruptedStart)
    generation = Generation(HeldUntilCancelled(), GenerationRequest("x"))
    result = run_interruptible(generation)
    assert generation.handle.cancelled and result.responses


def test_the_keeper_records_saves_opens_and_exports():
    engine = ScriptedEngine()
    keeper = SessionKeeper()
    params = SamplingParams.make(temperature=0.3)
    generation, result = finished(engine, GenerationRequest("a = ", params, suffix="\nb"))
    assert keeper.record(generation, result, params) is None
    assert list((locations.history_dir() / keeper.session.id).glob("*.json")) and keeper.session.fim
    assert keeper.last_run is not None and keeper.last_run.model == ModelRecord(
        "scripted-model", revision=None, dtype="float32", quantize="none", device="cpu")
    with pytest.raises(NameNeeded, match="no file yet"):
        keeper.save(params)
    path = keeper.save_as("mine", params.replace(top_k=5), f"x{FILL_MARKER}y")
    assert path == locations.sessions_dir() / "mine.json" and keeper.path == path
    other = SessionKeeper()
    session = other.open(path)
    assert (session.prompt, session.suffix, session.fim, session.name) == ("x", "y", True, "mine")
    assert other.params.top_k == 5 and other.last_run is not None and other.path == path
    assert other.model_warning(engine, other.last_run) is None
    elsewhere = ScriptedEngine(loaded=FakeLoaded("another"))
    assert "recorded with scripted-model" in str(other.model_warning(elsewhere, other.last_run))
    assert other.export_markdown().read_text().startswith("# mine")
    with pytest.raises(NameTaken, match="different session"):
        SessionKeeper().save_as("mine", params)
    with pytest.raises(UserError, match="cannot be a session name"):
        other.save_as("bad*name", params)
