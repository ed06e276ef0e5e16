"""The GPU benchmark script runs end to end on CPU with its small configuration (a smoke test:
its figures are not checked here; speed goals live in the benchmark itself)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import gpu_decode  # noqa: E402


def test_gpu_benchmark_runs_end_to_end_on_cpu(tmp_path):
    output = tmp_path / "BENCHMARKS.md"
    rows = gpu_decode.main(["--small", "--cpu", "--paths", "static", "--new-tokens", "4", "--skip-hf-compile",
                            "--skip-bnb", "--output", str(output)])
    measures = {row.what: row.value for row in rows}
    assert measures["device"] == "CPU" and measures["floor"].endswith("tok/s")
    assert any(what.startswith("engine static, batch 2") for what in measures)
    assert measures["transformers generate, eager, batch 1"].endswith("tok/s")
    assert "| floor |" in output.read_text()
