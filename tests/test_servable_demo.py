"""The README's way to try ``--server`` without the 15B weights: a demo model vLLM's CPU backend serves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from playground.engine.fim import STARCODER2_SPECIAL_TOKENS
from playground.engine.servable_demo import main

#: vLLM's CPU attention refuses narrower heads ("head size 16 is not supported").
VLLM_CPU_MIN_HEAD_SIZE = 32


def test_the_servable_demo_has_heads_vllm_cpu_takes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "tiny")]) == 0
    config = json.loads((tmp_path / "tiny" / "config.json").read_text())
    assert config["hidden_size"] // config["num_attention_heads"] >= VLLM_CPU_MIN_HEAD_SIZE
    assert config["sliding_window"] is None and config["model_type"] == "starcoder2"
    assert list((tmp_path / "tiny").glob("*.safetensors")) and not list((tmp_path / "tiny").glob("*.bin"))
    vocabulary = json.loads((tmp_path / "tiny" / "tokenizer.json").read_text())["added_tokens"]
    assert set(STARCODER2_SPECIAL_TOKENS) <= {token["content"] for token in vocabulary}  # FIM works on it
    assert str(tmp_path / "tiny") in capsys.readouterr().out


def test_a_missing_directory_is_one_usage_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert capsys.readouterr().err.count("\n") == 1
