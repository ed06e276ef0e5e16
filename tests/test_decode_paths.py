"""Choosing and preparing a decode path: fallbacks when a step cannot compile or run, and
timings that leave the compile out. No Inductor here (test_compiled_step.py compiles)."""

from __future__ import annotations

import threading
import time

import pytest

from playground.engine import compiling, static_decoder
from playground.engine.engine import Engine
from playground.engine.static_decoder import StaticDecoder
from playground.engine.types import GenerationRequest
from playground.errors import UserError
from playground.params import SamplingParams

PROMPT = "def fibonacci(n):\n    a, b = 0, 1\n"
SAMPLED = SamplingParams.make(temperature=0.8, top_p=0.9, seed=4, max_new_tokens=12)


def failing_backend(graph_module, example_inputs):
    raise RuntimeError("ptxas fatal: unsupported GPU architecture 'sm_200'\nmore detail")


def tokens(result):
    return [r.token_ids for r in result.responses]


def test_a_step_that_cannot_compile_falls_back_to_the_static_path_with_one_line(loaded):
    static = Engine(loaded, decode="static")
    engine = Engine(loaded, decode="compiled", compile_options={"backend": failing_backend})
    assert engine.will_compile(1)
    first = engine.generate(GenerationRequest(PROMPT, SAMPLED))
    [notice] = first.warnings
    assert notice.startswith("compiling the decode step failed (") and "sm_200" in notice
    assert notice.endswith("decoding on the static path instead") and "\n" not in notice
    assert engine.decode_path == "static" and not engine.will_compile(1)
    assert tokens(first) == tokens(static.generate(GenerationRequest(PROMPT, SAMPLED)))
    again = engine.generate(GenerationRequest(PROMPT, SAMPLED.replace(num_responses=2)))
    assert again.warnings == []  # said once
    assert tokens(again) == tokens(static.generate(GenerationRequest(PROMPT, SAMPLED.replace(num_responses=2))))


def test_a_static_step_that_cannot_run_falls_back_to_eager(loaded, monkeypatch):
    def broken(self):
        raise RuntimeError("CUDA error: no kernel image is available for execution on the device")

    monkeypatch.setattr(StaticDecoder, "prepare", broken)
    engine = Engine(loaded, decode="compiled")
    assert engine.warm_up() >= 0
    result = engine.generate(GenerationRequest(PROMPT, SAMPLED))
    assert [n.split(" failed")[0] for n in result.warnings] == ["compiling the decode step", "the static decode step"]
    assert engine.decode_path == "eager" and not engine.will_compile(1)
    assert tokens(result) == tokens(Engine(loaded, decode="eager").generate(GenerationRequest(PROMPT, SAMPLED)))


@pytest.fixture
def slow_compile(monkeypatch):
    """A compiled step whose compile takes 100 s on the engine's clock (without waiting)."""
    offset = [0.0]
    real = time.perf_counter
    monkeypatch.setattr(time, "perf_counter", lambda: real() + offset[0])
    compiled_steps = []

    def compile_step(step, device, options):
        calls = []

        def run():
            if not calls:
                offset[0] += 100.0
            calls.append(1)
            return step()

        compiled_steps.append(run)
        return run

    monkeypatch.setattr(static_decoder, "compile_step", compile_step)
    return compiled_steps


def test_timings_leave_the_compile_out_and_report_it(loaded, slow_compile):
    engine = Engine(loaded, decode="compiled")
    first = engine.generate(GenerationRequest(PROMPT, SAMPLED)).timings
    assert first.compile_s >= 100 and first.total_s >= 100
    assert first.ttft_s < 100 and first.decode_tokens_per_s > 11 / 100  # neither holds the 100 s
    second = engine.generate(GenerationRequest(PROMPT, SAMPLED)).timings
    assert second.compile_s == 0 and second.total_s < 100
    result = engine.generate(GenerationRequest(PROMPT, SAMPLED))
    assert result.to_json()["timings"]["compile_s"] == 0


def test_warm_up_compiles_batch_1_now_and_batch_2_on_first_use(loaded, slow_compile):
    engine = Engine(loaded, decode="compiled")
    assert engine.will_compile(1) and engine.will_compile(2)
    assert engine.warm_up() >= 100
    # Each batch size compiles the step's two halves, the forward and the sampling.
    assert not engine.will_compile(1) and engine.will_compile(2) and len(slow_compile) == 2
    assert engine.generate(GenerationRequest(PROMPT, SAMPLED)).timings.compile_s == 0
    two = engine.generate(GenerationRequest(PROMPT, SAMPLED.replace(num_responses=2))).timings
    assert two.compile_s >= 100 and two.ttft_s < 100 and len(slow_compile) == 4
    assert engine.warm_up((1, 2)) == 0  # each batch size compiles once
    assert not Engine(loaded, decode="eager").will_compile(1)


def test_compile_cache_lives_in_the_user_cache_dir(monkeypatch, cache_home):
    monkeypatch.delenv("TORCHINDUCTOR_CACHE_DIR", raising=False)
    assert compiling.compile_cache_dir() == str(cache_home / "starcoder-play" / "torch-compile")
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", "/somewhere/else")
    assert compiling.compile_cache_dir() == "/somewhere/else"  # the user's choice wins


def test_compiled_generations_run_on_one_thread_whoever_calls(loaded, monkeypatch):
    """CUDA graphs are recorded per thread; front-ends call from a new worker each time."""
    step_threads = []

    def compile_step(step, device, options):
        def run():
            step_threads.append(threading.get_ident())
            return step()
        return run

    monkeypatch.setattr(static_decoder, "compile_step", compile_step)
    engine = Engine(loaded, decode="compiled")
    engine.warm_up()
    results, event_threads = [], []

    def generate():
        results.append(engine.generate(GenerationRequest(PROMPT, SAMPLED),
                                       lambda events: event_threads.append(threading.get_ident())))

    for _ in range(2):
        worker = threading.Thread(target=generate)
        worker.start()
        worker.join()
    assert len(set(step_threads)) == 1 and set(event_threads) == set(step_threads)
    assert step_threads[0] != threading.get_ident()
    expected = tokens(Engine(loaded, decode="static").generate(GenerationRequest(PROMPT, SAMPLED)))
    assert tokens(results[0]) == tokens(results[1]) == expected
    with pytest.raises(UserError, match="context window"):  # an error crosses back to the caller
        engine.generate(GenerationRequest("x = 1\n" * 200, SAMPLED))
