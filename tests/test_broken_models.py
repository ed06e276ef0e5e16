"""Broken model directories, each built from the tiny model and broken one way: every one ends in
one line naming the file and the fix (never ``internal error``), and nothing runs on random weights."""

from __future__ import annotations

import builtins
import json
import shutil
from pathlib import Path

import pytest
from safetensors.torch import load_file, save_file

from playground.engine import checkpoint
from playground.engine.loading import load_model
from playground.engine.options import LoadOptions
from playground.errors import UserError

WEIGHTS = "model.safetensors"
A_WEIGHT = "model.layers.0.self_attn.q_proj.weight"
REFETCH = "copy or download the model again"


@pytest.fixture
def model_copy(tiny_model_dir: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(tiny_model_dir, tmp_path / "model"))


def refused(model: Path, exit_code: int = 1, **options: object) -> str:
    with pytest.raises(UserError) as caught:
        load_model(LoadOptions(model=str(model), device="cpu", **options))  # type: ignore[arg-type]
    message = str(caught.value)
    assert "\n" not in message and "internal error" not in message
    assert caught.value.exit_code == exit_code
    return message


def edit_config(model: Path, **changes: object) -> None:
    config = json.loads((model / "config.json").read_text())
    config.update(changes)
    (model / "config.json").write_text(json.dumps(config))


def test_truncated_safetensors(model_copy):
    weights = model_copy / WEIGHTS
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    message = refused(model_copy)
    assert message.startswith(f"{weights}: corrupt or truncated safetensors") and message.endswith(REFETCH)


@pytest.mark.parametrize("damage", [b"", b"\x00" * 7, b"\x10\x00\x00\x00\x00\x00\x00\x00{garbage}"])
def test_corrupt_safetensors_header(model_copy, damage):
    (model_copy / WEIGHTS).write_bytes(damage)
    assert refused(model_copy).startswith(f"{model_copy / WEIGHTS}: corrupt or truncated safetensors")


def test_garbled_tokenizer_json(model_copy):
    tokenizer = model_copy / "tokenizer.json"
    tokenizer.write_text('{"version": "1.0", garbled')
    assert refused(model_copy) == f"{tokenizer}: not valid JSON (line 1 column 20): {REFETCH}"


def test_truncated_tokenizer_json(model_copy):
    tokenizer = model_copy / "tokenizer.json"
    tokenizer.write_text(tokenizer.read_text()[:500])
    assert refused(model_copy).startswith(f"{tokenizer}: not valid JSON (line ")


def test_tokenizer_json_that_is_not_a_tokenizer(model_copy):
    (model_copy / "tokenizer.json").write_text('{"version": "1.0"}')
    message = refused(model_copy)
    assert message.startswith(f"{model_copy / 'tokenizer.json'}: not a tokenizer (") and message.endswith(REFETCH)


def test_garbled_config_json_names_the_file(model_copy):
    (model_copy / "config.json").write_text('{"model_type": "starcoder2",')
    assert refused(model_copy).startswith(f"{model_copy / 'config.json'}: not valid JSON (line 1 column 29)")


@pytest.mark.parametrize("name", ["config.json", "tokenizer.json", "tokenizer_config.json", WEIGHTS])
def test_a_directory_in_place_of_a_file(model_copy, name):
    (model_copy / name).unlink()
    (model_copy / name).mkdir()
    assert refused(model_copy) == f"{model_copy / name}: not a regular file: {REFETCH}"


@pytest.mark.parametrize("name", ["config.json", "tokenizer.json", WEIGHTS])
def test_an_unreadable_file(model_copy, name, monkeypatch):
    # chmod 000 does not stop root: the file is made unreadable where it is opened.
    def open_denied(file, *args, **kwargs):
        if Path(file) == model_copy / name:
            raise PermissionError(13, "Permission denied", str(file))
        return builtins.open(file, *args, **kwargs)

    monkeypatch.setattr(checkpoint, "open", open_denied, raising=False)
    assert refused(model_copy) == f"{model_copy / name}: cannot be read (Permission denied): {REFETCH}"


def test_config_that_does_not_match_the_weights(model_copy):
    edit_config(model_copy, intermediate_size=128)
    message = refused(model_copy)
    assert message.startswith(f"{model_copy}: the weights do not match config.json: model.layers.0.mlp.c_fc.bias "
                              "is 256 in the safetensors files but 128 by config.json (and 5 more)")
    assert "restore the model's own config.json" in message


@pytest.mark.parametrize("field, value", [("max_position_embeddings", 0), ("max_position_embeddings", "4k"),
                                          ("num_attention_heads", -4), ("sliding_window", 0)])
def test_impossible_sizes_in_config(model_copy, field, value):
    edit_config(model_copy, **{field: value})
    assert refused(model_copy) == (f"{model_copy / 'config.json'}: {field} is {value!r}, "
                                   f"not a positive whole number: {REFETCH}")


def test_a_tokenizer_larger_than_the_embeddings(model_copy):
    edit_config(model_copy, vocab_size=100)
    assert refused(model_copy).startswith(f"{model_copy / 'tokenizer.json'}: 639 tokens, but the model has "
                                          "100 embeddings")


@pytest.mark.parametrize("kind", ["gpt2", "bert"])
def test_other_architectures_are_refused_before_their_weights_load(model_copy, kind):
    from transformers import BertConfig, BertModel, GPT2Config, GPT2LMHeadModel

    (model_copy / "config.json").unlink()
    (model_copy / WEIGHTS).unlink()
    if kind == "gpt2":
        GPT2LMHeadModel(GPT2Config(n_layer=1, n_embd=16, n_head=2, vocab_size=639)).save_pretrained(model_copy)
        architecture = "GPT2LMHeadModel"
    else:
        BertModel(BertConfig(num_hidden_layers=1, hidden_size=16, num_attention_heads=2, intermediate_size=32,
                             vocab_size=639)).save_pretrained(model_copy)
        architecture = "BertModel"
    message = refused(model_copy, exit_code=2)
    assert message.startswith(f"{model_copy / 'config.json'} describes a {kind} model ({architecture}), "
                              "not StarCoder2: starcoder-play runs Starcoder2ForCausalLM models only")
    assert "pass one with --model" in message


def test_a_starcoder2_config_for_another_head_is_refused(model_copy):
    edit_config(model_copy, architectures=["Starcoder2ForSequenceClassification"])
    assert "Starcoder2ForSequenceClassification" in refused(model_copy, exit_code=2)


def test_a_config_without_model_type(model_copy):
    config = json.loads((model_copy / "config.json").read_text())
    del config["model_type"]
    (model_copy / "config.json").write_text(json.dumps(config))
    assert refused(model_copy).startswith(f"{model_copy / 'config.json'}: no \"model_type\"")


def test_a_missing_weight_refuses_the_model(model_copy):
    tensors = load_file(model_copy / WEIGHTS)
    del tensors[A_WEIGHT]
    save_file(tensors, model_copy / WEIGHTS, {"format": "pt"})
    assert refused(model_copy) == (f"{model_copy}: 1 weight missing from the safetensors files ({A_WEIGHT}); "
                                   f"random weights are not the model: {REFETCH}")


def test_a_missing_shard_refuses_the_model(model_copy):
    tensors = load_file(model_copy / WEIGHTS)
    index = {"metadata": {}, "weight_map": {name: WEIGHTS for name in tensors} | {A_WEIGHT: "model-2.safetensors"}}
    (model_copy / "model.safetensors.index.json").write_text(json.dumps(index))
    assert refused(model_copy) == f"{model_copy / 'model-2.safetensors'}: missing: {REFETCH}"


def test_an_unexpected_weight_is_reported_and_ignored(model_copy):
    import torch

    tensors = load_file(model_copy / WEIGHTS)
    tensors["model.extra.weight"] = torch.zeros(3)
    save_file(tensors, model_copy / WEIGHTS, {"format": "pt"})
    loaded = load_model(LoadOptions(model=str(model_copy), device="cpu"))
    assert loaded.warnings == (f"{model_copy}: 1 weight in the safetensors files not used by Starcoder2ForCausalLM "
                               "(model.extra.weight): ignored",)


def test_a_broken_model_from_the_hub_cache_says_how_to_fetch_it_again(model_copy, monkeypatch):
    import huggingface_hub

    (model_copy / WEIGHTS).write_bytes(b"")
    monkeypatch.setattr(huggingface_hub, "snapshot_download", lambda *args, **kwargs: str(model_copy))
    message = refused(Path("bigcode/starcoder2-15b"))
    assert message.startswith(f"{model_copy / WEIGHTS}: corrupt or truncated safetensors")
    assert message.endswith(": remove it from the hub cache (`hf cache rm model/bigcode/starcoder2-15b`) "
                            "and load it again")


def test_revision_with_a_local_directory_is_said_to_be_ignored(tiny_model_dir):
    loaded = load_model(LoadOptions(model=str(tiny_model_dir), revision="v1", device="cpu"))
    assert loaded.revision is None
    assert loaded.warnings == (f"--revision v1 is ignored: {tiny_model_dir} is a local directory "
                               "(a revision applies to hub ids)",)


def test_the_cli_shows_a_broken_model_as_one_line_with_its_exit_code(model_copy, capsys):
    from playground.cli import main

    edit_config(model_copy, model_type="gpt2", architectures=["GPT2LMHeadModel"])
    code = main(["generate", "--model", str(model_copy), "--device", "cpu", "--prompt", "x"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith(f"starcoder-play: error: {model_copy / 'config.json'} describes a gpt2 model")


def test_the_cli_says_once_that_revision_is_ignored_for_a_local_directory(tiny_model_dir, capsys):
    from playground.cli import main

    code = main(["generate", "--model", str(tiny_model_dir), "--revision", "v1", "--device", "cpu",
                 "--prompt", "x", "--max-new-tokens", "2", "--json"])
    _out, err = capsys.readouterr()
    assert code == 0
    assert err == (f"starcoder-play: warning: --revision v1 is ignored: {tiny_model_dir} is a local directory "
                   "(a revision applies to hub ids)\n")


def test_the_repl_shows_loading_warnings_as_text(tiny_model_dir):
    from rich.console import Console

    from playground.repl import load_with_progress

    console = Console(record=True, width=400)
    load_with_progress(LoadOptions(model=str(tiny_model_dir), revision="[b]v1", device="cpu"), console)
    assert f"warning: --revision [b]v1 is ignored: {tiny_model_dir} is a local directory" in console.export_text()
