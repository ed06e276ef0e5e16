"""What a model directory must hold, checked before its weights load: a StarCoder2 config.json,
readable safetensors files, a tokenizer that parses; and, once loaded, every weight there.

Each problem is one ``UserError`` line naming the file and the fix. Nothing runs with random
weights: a missing or mis-shaped weight refuses the model, an unused one is reported.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from huggingface_hub.errors import StrictDataclassError

from playground.errors import UserError

STARCODER2_TYPE = "starcoder2"
STARCODER2_ARCHITECTURE = "Starcoder2ForCausalLM"
#: The JSON files transformers reads from a model directory: parsed here first, so a broken one is named.
JSON_FILES = ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
              "special_tokens_map.json", "added_tokens.json", "model.safetensors.index.json")
#: Sizes that must be positive whole numbers: a 0 or a string fails later, far less clearly.
POSITIVE_SIZES = ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                  "num_attention_heads", "num_key_value_heads", "max_position_embeddings")
_SHOWN_KEYS = 3

Warn = Callable[[str], None]


@dataclass(frozen=True)
class ModelDir:
    """A model directory on disk, the name the user gave it, and how to get a good copy again."""

    path: Path
    name: str
    revision: str | None = None
    refetch: str = "copy or download the model again"

    def broken(self, file: str, problem: str) -> UserError:
        return UserError(f"{self.path / file}: {problem}: {self.refetch}", 1)


def require_file(model_dir: ModelDir, name: str) -> Path:
    """The file, if it is a regular file that can be read (a directory or a FIFO in its place is not)."""
    path = model_dir.path / name
    if not path.exists():
        raise model_dir.broken(name, "missing")
    if not path.is_file():
        raise model_dir.broken(name, "not a regular file")
    try:
        with open(path, "rb") as handle:
            handle.read(1)
    except OSError as error:
        raise model_dir.broken(name, f"cannot be read ({error.strerror or error})") from None
    return path


def read_config(model_dir: ModelDir) -> Any:
    """config.json as transformers reads it, once it is known to describe a sound StarCoder2."""
    from transformers import AutoConfig

    if not (model_dir.path / "config.json").exists():
        raise UserError(f"model not found: {model_dir.path} has no config.json "
                        "(not a transformers model directory)", 1)
    for name in JSON_FILES:
        if (model_dir.path / name).exists():
            _read_json(model_dir, name)  # transformers' own errors would not say which file
    raw = _read_json(model_dir, "config.json")
    _require_starcoder2(model_dir, raw)
    _require_sound_sizes(model_dir, raw)
    try:
        config = AutoConfig.from_pretrained(model_dir.path, trust_remote_code=False)
    except (ValueError, TypeError, KeyError, OSError, StrictDataclassError) as error:
        raise model_dir.broken("config.json", f"not a valid StarCoder2 config ({first_line(error)})") from None
    _require_sound_sizes(model_dir, {name: getattr(config, name, None) for name in (*POSITIVE_SIZES, "sliding_window")})
    if config.hidden_size % config.num_attention_heads or config.num_attention_heads % config.num_key_value_heads:
        raise model_dir.broken("config.json", "hidden_size, num_attention_heads and num_key_value_heads "
                               "do not divide evenly")
    return config


def _read_json(model_dir: ModelDir, name: str) -> Any:
    path = require_file(model_dir, name)
    try:
        return json.loads(path.read_bytes())
    except json.JSONDecodeError as error:
        raise model_dir.broken(name, f"not valid JSON (line {error.lineno} column {error.colno})") from None
    except (UnicodeDecodeError, RecursionError):
        raise model_dir.broken(name, "not valid JSON") from None


def _require_starcoder2(model_dir: ModelDir, config: Any) -> None:
    if not isinstance(config, dict):
        raise model_dir.broken("config.json", "not a JSON object")
    model_type = config.get("model_type")
    if model_type is None:
        raise model_dir.broken("config.json", f'no "model_type" (a StarCoder2 config says "{STARCODER2_TYPE}")')
    architectures = config.get("architectures") or []
    if model_type == STARCODER2_TYPE and (not architectures or STARCODER2_ARCHITECTURE in architectures):
        return
    what = f"a {model_type} model"
    if isinstance(architectures, list) and architectures:
        what += f" ({', '.join(map(str, architectures))})"
    raise UserError(f"{model_dir.path / 'config.json'} describes {what}, not StarCoder2: starcoder-play runs "
                    f"{STARCODER2_ARCHITECTURE} models only (model_type {STARCODER2_TYPE}); "
                    "pass one with --model, such as bigcode/starcoder2-15b", 2)


def _require_sound_sizes(model_dir: ModelDir, sizes: dict[str, Any]) -> None:
    """Each size present is a positive whole number (``sliding_window`` may also be null)."""
    for name in (*POSITIVE_SIZES, "sliding_window"):
        if name not in sizes or name == "sliding_window" and sizes[name] is None:
            continue
        value = sizes[name]
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise model_dir.broken("config.json", f"{name} is {value!r}, not a positive whole number")


def check_weight_files(model_dir: ModelDir) -> int:
    """Every safetensors file present, readable, with a sound header; their total size in bytes."""
    from safetensors import SafetensorError, safe_open

    if not any(model_dir.path.glob("*.safetensors")):
        raise UserError(f"{model_dir.name} has no safetensors weights; starcoder-play loads only safetensors "
                        "(convert the checkpoint with transformers' save_pretrained)", 1)
    names = sorted(_indexed_shards(model_dir) | {path.name for path in model_dir.path.glob("*.safetensors")})
    total = 0
    for name in names:
        path = require_file(model_dir, name)
        try:
            # Reads the header and checks that it covers the file: truncation shows here.
            with safe_open(path, framework="pt"):
                pass
        except (SafetensorError, OSError) as error:
            raise model_dir.broken(name, f"corrupt or truncated safetensors ({first_line(error)})") from None
        total += path.stat().st_size
    return total


def _indexed_shards(model_dir: ModelDir) -> set[str]:
    """The files a sharded checkpoint's index names (a missing shard is missing weights)."""
    name = "model.safetensors.index.json"
    if not (model_dir.path / name).exists():
        return set()
    weight_map = _read_json(model_dir, name)
    weight_map = weight_map.get("weight_map") if isinstance(weight_map, dict) else None
    if not isinstance(weight_map, dict) or not all(isinstance(v, str) for v in weight_map.values()):
        raise model_dir.broken(name, "no weight_map of weight names to file names")
    return set(weight_map.values())


def load_tokenizer(model_dir: ModelDir) -> Any:
    # PreTrainedTokenizerFast keeps tokenizer.json's pipeline exactly (StarCoder2's hub config
    # names GPT2Tokenizer, which in transformers 5 rebuilds the pre-tokenizer without Digits).
    from transformers import PreTrainedTokenizerFast

    if not (model_dir.path / "tokenizer.json").exists():
        raise UserError(f"{model_dir.path} has no tokenizer.json: copy the model's tokenizer files "
                        "next to its weights", 1)
    require_file(model_dir, "tokenizer.json")
    try:
        return PreTrainedTokenizerFast.from_pretrained(model_dir.path)
    except Exception as error:  # noqa: BLE001 - tokenizers raises bare Exceptions for a file it cannot parse
        raise model_dir.broken("tokenizer.json", f"not a tokenizer ({type(error).__name__}: "
                               f"{first_line(error)})") from None


def check_vocabulary(model_dir: ModelDir, tokenizer: Any, config: Any) -> None:
    """A token id past the embeddings would fail mid-generation: refuse a tokenizer that has them."""
    if len(tokenizer) > config.vocab_size:
        raise model_dir.broken("tokenizer.json", f"{len(tokenizer)} tokens, but the model has "
                               f"{config.vocab_size} embeddings (a tokenizer from another model)")


def check_loading_info(model_dir: ModelDir, info: dict[str, Any], warn: Warn) -> None:
    """transformers' own account of the load (tied weights and renames included): a missing or
    mis-shaped weight would be random, so the model is refused; unused ones are reported."""
    missing = sorted(info.get("missing_keys") or ())
    if missing:
        raise UserError(f"{model_dir.path}: {_count(missing, 'weight')} missing from the safetensors files "
                        f"({_some(missing)}); random weights are not the model: {model_dir.refetch}", 1)
    mismatched = sorted(info.get("mismatched_keys") or ())
    if mismatched:
        key, in_file, in_config = mismatched[0][:3]
        more = f" (and {len(mismatched) - 1} more)" if len(mismatched) > 1 else ""
        raise UserError(f"{model_dir.path}: the weights do not match config.json: {key} is {_shape(in_file)} "
                        f"in the safetensors files but {_shape(in_config)} by config.json{more}; "
                        f"restore the model's own config.json, or {model_dir.refetch}", 1)
    unexpected = sorted(info.get("unexpected_keys") or ())
    if unexpected:
        warn(f"{model_dir.path}: {_count(unexpected, 'weight')} in the safetensors files not used by "
             f"{STARCODER2_ARCHITECTURE} ({_some(unexpected)}): ignored")


def _count(keys: list[str], noun: str) -> str:
    return f"1 {noun}" if len(keys) == 1 else f"{len(keys)} {noun}s"


def _some(keys: list[str]) -> str:
    shown = ", ".join(keys[:_SHOWN_KEYS])
    return shown + (f", and {len(keys) - _SHOWN_KEYS} more" if len(keys) > _SHOWN_KEYS else "")


def _shape(shape: Iterable[int]) -> str:
    return "×".join(str(size) for size in shape)


def first_line(error: BaseException) -> str:
    """A library's message, cut to its first line (some run to a table)."""
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
