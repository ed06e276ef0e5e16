"""Shared fixtures: tiny StarCoder2 models built here (random weights, our own tokenizer),
isolated XDG dirs, and no network."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Set before anything imports huggingface_hub: a test must never reach the network.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_VERBOSITY"] = "error"
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# One intra-op thread (read by torch's OpenMP at import; inherited by the CLI/REPL subprocesses):
# the tiny test models gain nothing from a second thread, and OpenMP's threads spin while they
# wait, which on a busy 2-core machine about doubled the CPU time of the model tests.
os.environ.setdefault("OMP_NUM_THREADS", "1")

SHARED_TOKENIZER = Path(__file__).resolve().parents[2] / "shared" / "starcoder2-tokenizer"
#: A context small enough to overflow in tests, a window small enough to slide past.
TINY_CONFIG = dict(max_position_embeddings=160, sliding_window=16, num_hidden_layers=2)


@pytest.fixture(scope="session")
def cache_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache dir for the whole run, so the demo model is built once."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache_home))
    return tmp_path


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from playground.engine.demo import build_model_dir

    return build_model_dir(tmp_path_factory.mktemp("models") / "tiny", **TINY_CONFIG)


@pytest.fixture(scope="session")
def loaded(tiny_model_dir: Path):
    from playground.engine.loading import load_model
    from playground.engine.options import LoadOptions

    return load_model(LoadOptions(model=str(tiny_model_dir), device="cpu"))


@pytest.fixture(scope="session")
def engine(loaded):
    from playground.engine.engine import Engine

    return Engine(loaded)


@pytest.fixture(scope="session")
def real_tokenizer():
    if not (SHARED_TOKENIZER / "tokenizer.json").is_file():
        pytest.skip("../shared/starcoder2-tokenizer is absent")
    from playground.engine.checkpoint import ModelDir, load_tokenizer

    return load_tokenizer(ModelDir(SHARED_TOKENIZER, "starcoder2 tokenizer"))


@pytest.fixture(scope="session")
def vllm_server(tmp_path_factory: pytest.TempPathFactory):
    """A real vLLM serving a tiny model (tests/vllm_server.py); skips without a vLLM environment."""
    from tests.vllm_server import VLLM_PYTHON_VARIABLE, build_server_model, start_server, vllm_python

    python = vllm_python()
    if python is None:
        pytest.skip(f"no vLLM environment: set {VLLM_PYTHON_VARIABLE} to its python (see README)")
    server = start_server(python, build_server_model(tmp_path_factory.mktemp("vllm") / "model"))
    yield server
    server.kill()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The slow tests (Inductor compiles, a minute on a CPU) go out first, so the two workers
    share out the short ones while one compiles and finish together (the order is otherwise
    the files' own: a stable sort)."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
