"""The GPU benchmark script runs end to end on CPU with its small configuration (a smoke test:
its figures are not checked here; speed goals live in the benchmark itself)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import gpu_decode  # noqa: E402


def test_gpu_benchmark_runs_end_to_end_on_cpu(tmp_path):
    output = tmp_path / "BENCHMARKS.md"
    rows = gpu_decode.main(["--small", "--cpu", "--paths", "static", "--new-tokens", "4", "--repeats", "1",
                            "--skip-hf-compile", "--skip-bnb", "--output", str(output)])
    measures = {row.what: row.value for row in rows}
    assert measures["device"] == "CPU" and measures["floor"].endswith("tok/s")
    assert any(what.startswith("engine static, batch 2") for what in measures)
    assert [what for what in measures if what.startswith("time to first token, static")]
    assert measures["host time per token (real loop, batch 1)"].endswith(" ms")
    assert measures["transformers generate, eager, batch 1"].endswith("tok/s")
    assert "| floor |" in output.read_text()


def test_optional_measurements_are_skipped_when_the_budget_is_short():
    table = gpu_decode.Table(budget_s=10)
    table.attempt("slow thing", 60, lambda: table.say("slow thing", "done"))
    table.attempt("broken thing", 1, lambda: 1 / 0)
    table.attempt("quick thing", 1, lambda: table.say("quick thing", "done"))
    assert [(r.what, r.value) for r in table.rows] == [("slow thing", "skipped"), ("broken thing", "n/a"),
                                                         ("quick thing", "done")]


def test_the_prefill_kernel_check_runs_a_prefill_without_the_math_kernel(loaded):
    import decode_measures

    from playground.engine.engine import Engine

    prompt = "def f(x):\n    return x\n" * 8  # past the tiny model's window: masked chunks too
    assert decode_measures.prefill_without_math_kernel(Engine(loaded, decode="static"), prompt) == "ok"
