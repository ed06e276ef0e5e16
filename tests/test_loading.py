"""Loading: the real code path on tiny models, and one clear line for every failure."""

import json
import shutil

import pytest
import torch

from playground.engine import loading
from playground.engine.engine import Engine
from playground.engine.loading import load_model
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


def test_cuda_asked_for_but_absent(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(UserError) as caught:
        load_model(LoadOptions(demo=True, device="cuda"))
    assert "no CUDA GPU" in one_line(caught.value) and "--device cpu" in str(caught.value)


def test_not_enough_gpu_memory_says_how_much_and_suggests_4bit():
    from transformers import Starcoder2Config

    config = Starcoder2Config(vocab_size=49152, hidden_size=6144, intermediate_size=24576, num_hidden_layers=40,
                              num_attention_heads=48, num_key_value_heads=4)
    message = one_line(loading._out_of_memory(config, torch.bfloat16, "none", "bigcode/starcoder2-15b", 24e9))
    assert "needs about 32.3 GB in bfloat16" in message and "24.0 GB free" in message
    assert "--quantize 4bit (about 9.6 GB)" in message
    assert 31e9 < loading.estimate_bytes(config, torch.bfloat16, "none") < 34e9
    assert 16e9 < loading.estimate_bytes(config, torch.bfloat16, "8bit") < 18.5e9
    assert 8.5e9 < loading.estimate_bytes(config, torch.bfloat16, "4bit") < 10e9


def test_eos_comes_from_the_tokenizer_not_the_generation_config(tiny_model_dir, tmp_path):
    copy = tmp_path / "gpt2-eos"
    shutil.copytree(tiny_model_dir, copy)
    (copy / "generation_config.json").write_text(json.dumps({"eos_token_id": 50256, "bos_token_id": 50256}))
    assert load_model(LoadOptions(model=str(copy), device="cpu")).eos_token_id == 0


def test_demo_model_is_built_once_and_labelled(cache_home):
    first = load_model(LoadOptions(demo=True, device="cpu"))
    assert first.is_demo and "noise" in first.name
    stamp = (cache_home / "starcoder-play" / "demo-model" / "config.json").stat().st_mtime_ns
    load_model(LoadOptions(demo=True, device="cpu"))
    assert (cache_home / "starcoder-play" / "demo-model" / "config.json").stat().st_mtime_ns == stamp


def test_progress_is_reported_in_bytes(tiny_model_dir):
    reports = []
    load_model(LoadOptions(model=str(tiny_model_dir), device="cpu"), reports.append)
    weights = [r for r in reports if r.stage == "loading weights"]
    total = (tiny_model_dir / "model.safetensors").stat().st_size
    assert weights[0].done == 0 and weights[-1].done == total and len(weights) > 2
    assert reports[-1].stage == "ready"


@pytest.mark.parametrize("quantize, layer", [("8bit", "Linear8bitLt"), ("4bit", "Linear4bit")])
def test_bitsandbytes_quantized_tiny_model_loads_on_cpu_and_generates(tiny_model_dir, quantize, layer):
    loaded = load_model(LoadOptions(model=str(tiny_model_dir), device="cpu", quantize=quantize))
    assert type(loaded.model.model.layers[0].self_attn.q_proj).__name__ == layer
    result = Engine(loaded).generate(GenerationRequest("def f(x):", SamplingParams.make(max_new_tokens=8, seed=0)))
    assert len(result.responses[0].token_ids) == 8 and loaded.quantize == quantize
