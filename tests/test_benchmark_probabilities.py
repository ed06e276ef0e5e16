"""benchmarks/probabilities.py runs end to end on the CPU (a smoke test: its figures are the
benchmark's, not checked here)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import probabilities  # noqa: E402


def test_the_probabilities_benchmark_runs_on_both_paths(capsys):
    results = dict(probabilities.main(["--paths", "eager", "static", "--rows", "1", "--rounds", "1",
                                       "--tokens", "4"]))
    assert results["device"] == "CPU"
    assert results["eager, batch 1: decode rate off / on"].endswith("% time per token with them)")
    assert results["static, batch 1: decode rate off / on"].endswith("% time per token with them)")
    assert results["static decode step, batch 1: without / with the probabilities"].endswith(" %)")
    assert "| sampling step alone, batch 1" in capsys.readouterr().out
