"""Loading: the real code path on tiny models, and one clear line for every failure."""

import json
import logging
import shutil

import pytest
import torch

from playground.engine import memory
from playground.engine.engine import Engine
from playground.engine.loading import load_model, quiet_transformers
from playground.engine.options import LoadOptions
from playground.engine.types import GenerationRequest
from playground.errors import UserError
from playground.params import SamplingParams


def one_line(error: UserError) -> str:
    message = str(error)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_local_directory_loads_in_float32_on_cpu(loaded):
    assert loaded.device.type == "cpu" and loaded.dtype == "float32" and loaded.context_window == 160
    assert loaded.eos_token_id == 0


def test_missing_local_path(tmp_path):
    with pytest.raises(UserError) as caught:
        load_model(LoadOptions(model=str(tmp_path / "nope"), device="cpu"))
    assert "model not found" in one_line(caught.value)


def test_directory_without_safetensors_is_refused(tiny_model_dir, tmp_path):
    copy = tmp_path / "pickled"
    shutil.copytree(tiny_model_dir, copy)
    (copy / "model.safetensors").rename(copy / "pytorch_model.bin")
    with pytest.raises(UserError) as caught:
        load_model(LoadOptions(model=str(copy), device="cpu"))
    assert "safetensors" in one_line(caught.value)


def test_offline_hub_id_with_nothing_cached(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with pytest.raises(UserError) as caught:
        load_model(LoadOptions(model="bigcode/starcoder2-15b", device="cpu"))
    message = one_line(caught.value)
    assert "cannot reach the Hugging Face Hub" in message and "not in the local cache" in message


class FakeResponse:
    status_code = 403
    headers: dict = {}
    request = None

    def json(self):
        return {}


@pytest.mark.parametrize("error_name, expected", [
    ("GatedRepoError", "accept its license on https://huggingface.co/bigcode/starcoder2-15b, then run `hf auth login`"),
    ("RepositoryNotFoundError", "model not found on the Hugging Face Hub"),
    ("RevisionNotFoundError", "revision"),
])
def test_hub_errors_become_one_line_with_the_fix(monkeypatch, error_name, expected):
    import huggingface_hub
    from huggingface_hub import errors

    error_class = getattr(errors, error_name)

    def fail(*args, **kwargs):
        raise error_class("boom", response=FakeResponse())

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fail)
    with pytest.raises(UserError) as caught:
        load_model(LoadOptions(model="bigcode/starcoder2-15b", revision="main", device="cpu"))
    assert expected in one_line(caught.value)


def test_cuda_asked_for_but_absent(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(UserError) as caught:
        load_model(LoadOptions(demo=True, device="cuda"), demo_dir=tmp_path / "demo")
    assert "no CUDA GPU" in one_line(caught.value) and "--device cpu" in str(caught.value)


def test_not_enough_gpu_memory_says_how_much_and_suggests_4bit():
    from transformers import Starcoder2Config

    config = Starcoder2Config(vocab_size=49152, hidden_size=6144, intermediate_size=24576, num_hidden_layers=40,
                              num_attention_heads=48, num_key_value_heads=4)
    message = one_line(memory.out_of_memory(config, torch.bfloat16, "none", "bigcode/starcoder2-15b", 24e9))
    assert "needs about 32.3 GB in bfloat16" in message and "24.0 GB free" in message
    assert "--quantize 4bit (about 9.6 GB)" in message
    assert 31e9 < memory.estimate_bytes(config, torch.bfloat16, "none") < 34e9
    assert 16e9 < memory.estimate_bytes(config, torch.bfloat16, "8bit") < 18.5e9
    assert 8.5e9 < memory.estimate_bytes(config, torch.bfloat16, "4bit") < 10e9


def test_eos_comes_from_the_tokenizer_not_the_generation_config(tiny_model_dir, tmp_path):
    copy = tmp_path / "gpt2-eos"
    shutil.copytree(tiny_model_dir, copy)
    (copy / "generation_config.json").write_text(json.dumps({"eos_token_id": 50256, "bos_token_id": 50256}))
    assert load_model(LoadOptions(model=str(copy), device="cpu")).eos_token_id == 0


def test_demo_model_is_built_once_where_the_caller_says_and_labelled(tmp_path):
    first = load_model(LoadOptions(demo=True, device="cpu"), demo_dir=tmp_path / "demo")
    assert first.is_demo and "noise" in first.name and first.warnings == ()
    stamp = (tmp_path / "demo" / "config.json").stat().st_mtime_ns
    load_model(LoadOptions(demo=True, device="cpu"), demo_dir=tmp_path / "demo")
    assert (tmp_path / "demo" / "config.json").stat().st_mtime_ns == stamp


def test_the_demo_needs_its_directory_from_the_caller():
    with pytest.raises(ValueError, match="demo_dir"):
        load_model(LoadOptions(demo=True, device="cpu"))


def test_the_application_keeps_the_demo_model_in_the_user_cache(cache_home):
    from playground.runtime.opening import open_engine

    engine = open_engine(LoadOptions(demo=True, device="cpu"), lambda _p: None, warm_up=False)
    assert engine.loaded.is_demo and (cache_home / "starcoder-play" / "demo-model" / "config.json").is_file()


def test_progress_is_reported_in_bytes(tiny_model_dir):
    from transformers.utils import logging as transformers_logging

    assert hasattr(transformers_logging, "set_tqdm_hook"), "transformers dropped set_tqdm_hook: see loading.py"
    reports = []
    load_model(LoadOptions(model=str(tiny_model_dir), device="cpu"), reports.append)
    weights = [r.done for r in reports if r.stage == "loading weights"]
    total = (tiny_model_dir / "model.safetensors").stat().st_size
    # One report per tensor: if transformers stops calling the hook, only the first and last remain.
    assert len(weights) > 2, "transformers no longer reports weight loading through set_tqdm_hook"
    assert weights[0] == 0 and weights[-1] == total and weights == sorted(weights)
    assert reports[-1].stage == "ready"


def test_the_progress_hook_is_removed_after_loading(tiny_model_dir):
    from transformers.utils import logging as transformers_logging

    load_model(LoadOptions(model=str(tiny_model_dir), device="cpu"))
    assert transformers_logging.set_tqdm_hook(None) is None


def test_downloads_are_reported_in_bytes():
    from playground.engine.hub import _progress_tqdm

    reports = []
    bar = _progress_tqdm(reports.append, "downloading x")(total=1000)
    bar.update(300)
    bar.update(700)
    assert [(r.done, r.total) for r in reports] == [(300, 1000), (1000, 1000)]
    assert {r.stage for r in reports} == {"downloading x"}


@pytest.fixture
def quiet_libraries():
    """The application's quieting, undone after the test."""
    bitsandbytes = logging.getLogger("bitsandbytes")
    level = bitsandbytes.level
    quiet_transformers()
    yield
    bitsandbytes.setLevel(level)


@pytest.mark.parametrize("quantize, layer", [("8bit", "Linear8bitLt"), ("4bit", "Linear4bit")])
def test_bitsandbytes_on_cpu_loads_generates_and_says_so_in_one_line(tiny_model_dir, quantize, layer,
                                                                      quiet_libraries, caplog):
    caplog.set_level(logging.WARNING)
    loaded = load_model(LoadOptions(model=str(tiny_model_dir), device="cpu", quantize=quantize))
    assert type(loaded.model.model.layers[0].self_attn.q_proj).__name__ == layer
    result = Engine(loaded).generate(GenerationRequest("def f(x):", SamplingParams.make(max_new_tokens=8, seed=0)))
    assert len(result.responses[0].token_ids) == 8 and loaded.quantize == quantize
    assert loaded.warnings == (f"--quantize {quantize} on the CPU: bitsandbytes runs there, but slowly; "
                               "quantization is meant for fitting the model on a GPU",)
    # bitsandbytes logs a warning per 8-bit matrix product of bfloat16 inputs: none reach the terminal.
    assert [r.getMessage() for r in caplog.records if r.name.startswith("bitsandbytes")] == []
