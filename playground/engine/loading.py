"""Loading a model and its tokenizer: hub id or local directory, device, dtype, bitsandbytes.

Every failure a user can cause or fix becomes one ``UserError`` line naming the fix.
Weights are safetensors only and ``trust_remote_code`` is never set.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from playground import locations
from playground.engine.demo import DEMO_MODEL_NAME, ensure_demo_model
from playground.engine.fim import ENDOFTEXT
from playground.engine.options import LoadOptions, LoadProgress
from playground.errors import UserError

HUB_FILES = ["*.json", "*.safetensors", "tokenizer*", "*.txt"]
#: Bytes per quantized weight, scales included (nf4 with double quantization: ~0.52).
_BYTES_PER_QUANTIZED_PARAM = {"8bit": 1.02, "4bit": 0.52}
#: CUDA context, activations and a sliding-window KV cache.
_WORKING_BYTES = 0.4e9


ProgressCallback = Callable[[LoadProgress], None]


@dataclass
class LoadedModel:
    model: Any
    tokenizer: Any
    name: str
    revision: str | None
    device: torch.device
    dtype: str
    quantize: str
    load_s: float
    eos_token_id: int
    context_window: int
    is_demo: bool

    def describe(self) -> str:
        precision = f"{self.quantize} (bitsandbytes)" if self.quantize != "none" else self.dtype
        return f"{self.name} on {self.device.type} · {precision}"


def load_model(options: LoadOptions, progress: ProgressCallback | None = None) -> LoadedModel:
    report = progress or (lambda _p: None)
    started = time.perf_counter()
    device = resolve_device(options.device)
    dtype = resolve_dtype(options.dtype, device, options.quantize)
    if options.quantize != "none":
        _require_bitsandbytes()
    if options.demo:
        report(LoadProgress("building the demo model"))
        path, name = ensure_demo_model(locations.demo_model_dir()), DEMO_MODEL_NAME
    else:
        path, name = resolve_model_dir(options.model, options.revision, report), options.model
    config = _load_config(path, name)
    _check_memory(config, device, dtype, options.quantize, name)
    tokenizer = load_tokenizer(path)
    total = sum(f.stat().st_size for f in path.glob("*.safetensors"))
    report(LoadProgress("loading weights", 0, total))
    with _weights_progress(report, total):
        model = _from_pretrained(path, name, device, dtype, options.quantize)
    model.eval()
    report(LoadProgress("ready", total, total))
    return LoadedModel(
        model=model, tokenizer=tokenizer, name=name, revision=options.revision,
        device=device, dtype=str(dtype).removeprefix("torch."), quantize=options.quantize,
        load_s=time.perf_counter() - started, eos_token_id=end_of_text_id(tokenizer),
        context_window=int(config.max_position_embeddings), is_demo=options.demo,
    )


def resolve_device(device: str) -> torch.device:
    if device == "cuda" and not torch.cuda.is_available():
        raise UserError("--device cuda was asked for, but no CUDA GPU is visible: "
                        "use --device cpu, or --demo to try the app without a GPU", 1)
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def resolve_dtype(dtype: str, device: torch.device, quantize: str) -> torch.dtype:
    if dtype == "auto":
        if quantize != "none" or device.type == "cuda":
            return torch.bfloat16
        return torch.float32
    return {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}[dtype]


def resolve_model_dir(model: str, revision: str | None, report: ProgressCallback) -> Path:
    """A local directory as is; a hub id through the hub cache (downloading what is missing)."""
    local = Path(model).expanduser()
    if local.is_dir():
        return local
    if local.exists() or model.startswith((".", "/", "~")) or model.count("/") > 1:
        raise UserError(f"model not found: {model} is not a directory in transformers format; "
                        "pass a local model directory or a hub id like bigcode/starcoder2-15b", 1)
    return _download(model, revision, report)


def _download(repo_id: str, revision: str | None, report: ProgressCallback) -> Path:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        GatedRepoError,
        HFValidationError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    report(LoadProgress(f"fetching {repo_id}"))
    try:
        path = snapshot_download(repo_id, revision=revision, allow_patterns=HUB_FILES,
                                 tqdm_class=_progress_tqdm(report, f"downloading {repo_id}"))
    except GatedRepoError:
        raise UserError(f"{repo_id} is gated: accept its license on https://huggingface.co/{repo_id}, "
                        "then run `hf auth login`", 1) from None
    except RevisionNotFoundError:
        raise UserError(f"revision {revision!r} not found for {repo_id}: check --revision", 1) from None
    except RepositoryNotFoundError:
        raise UserError(f"model not found on the Hugging Face Hub: {repo_id} (check the name, "
                        "run `hf auth login` if it is private, or pass a local directory)", 1) from None
    except HFValidationError:
        raise UserError(f"model not found: {repo_id!r} is neither a local directory "
                        "nor a valid hub id", 1) from None
    except (LocalEntryNotFoundError, ConnectionError, OSError):
        raise UserError(f"cannot reach the Hugging Face Hub and {repo_id} is not in the local cache: "
                        "connect once to download it, or pass a local directory with --model", 1) from None
    return Path(path)


def _load_config(path: Path, name: str) -> Any:
    from transformers import AutoConfig

    if not (path / "config.json").is_file():
        raise UserError(f"model not found: {path} has no config.json (not a transformers model directory)", 1)
    if not any(path.glob("*.safetensors")):
        raise UserError(f"{name} has no safetensors weights; starcoder-play loads only safetensors "
                        "(convert the checkpoint with transformers' save_pretrained)", 1)
    try:
        return AutoConfig.from_pretrained(path, trust_remote_code=False)
    except (ValueError, OSError) as error:
        raise UserError(f"cannot read {path / 'config.json'}: {_first_line(error)}", 1) from None


def load_tokenizer(path: Path) -> Any:
    # PreTrainedTokenizerFast keeps tokenizer.json's pipeline exactly (StarCoder2's hub config
    # names GPT2Tokenizer, which in transformers 5 rebuilds the pre-tokenizer without Digits).
    from transformers import PreTrainedTokenizerFast

    if not (path / "tokenizer.json").is_file():
        raise UserError(f"{path} has no tokenizer.json: copy the model's tokenizer files next to its weights", 1)
    return PreTrainedTokenizerFast.from_pretrained(path)


def end_of_text_id(tokenizer: Any) -> int:
    """``<|endoftext|>`` from the tokenizer itself: some generation configs carry GPT-2's 50256."""
    token_id = tokenizer.convert_tokens_to_ids(ENDOFTEXT)
    if token_id is None or token_id == tokenizer.unk_token_id and tokenizer.unk_token != ENDOFTEXT:
        token_id = tokenizer.eos_token_id
    if token_id is None:
        raise UserError("the tokenizer has no <|endoftext|> or end-of-sequence token", 1)
    return int(token_id)


def estimate_bytes(config: Any, dtype: torch.dtype, quantize: str) -> int:
    """Weights plus a little working memory. bitsandbytes quantizes the linear layers only:
    the embeddings and the LM head stay in 16 bits."""
    hidden, layers = config.hidden_size, config.num_hidden_layers
    kv = hidden // config.num_attention_heads * config.num_key_value_heads
    linear = layers * (2 * hidden * hidden + 2 * hidden * kv + 2 * hidden * config.intermediate_size)
    embeddings = 2 * config.vocab_size * hidden
    if quantize == "none":
        weights = (linear + embeddings) * torch.finfo(dtype).bits // 8
    else:
        weights = linear * _BYTES_PER_QUANTIZED_PARAM[quantize] + embeddings * 2
    return int(weights + _WORKING_BYTES)


def _check_memory(config: Any, device: torch.device, dtype: torch.dtype, quantize: str, name: str) -> None:
    if device.type != "cuda":
        return
    free, _total = torch.cuda.mem_get_info(device)
    need = estimate_bytes(config, dtype, quantize)
    if need > free:
        raise _out_of_memory(config, dtype, quantize, name, free)


def _out_of_memory(config: Any, dtype: torch.dtype, quantize: str, name: str, free: int | None) -> UserError:
    need = estimate_bytes(config, dtype, quantize) / 1e9
    four_bit = estimate_bytes(config, dtype, "4bit") / 1e9
    have = f", the GPU has {free / 1e9:.1f} GB free" if free is not None else ""
    hint = (f"; try --quantize 4bit (about {four_bit:.1f} GB)" if quantize != "4bit"
            else "; free GPU memory or use a smaller model")
    precision = quantize if quantize != "none" else str(dtype).removeprefix("torch.")
    return UserError(f"not enough GPU memory: {name} needs about {need:.1f} GB in {precision}{have}{hint}", 1)


def _from_pretrained(path: Path, name: str, device: torch.device, dtype: torch.dtype, quantize: str) -> Any:
    from transformers import AutoModelForCausalLM

    kwargs: dict[str, Any] = dict(dtype=dtype, use_safetensors=True, trust_remote_code=False)
    if quantize != "none":
        kwargs["quantization_config"] = bitsandbytes_config(quantize)
    if device.type == "cuda" or quantize != "none":
        # Straight onto the device: no second copy of the weights in host memory.
        kwargs["device_map"] = {"": device.index or 0} if device.type == "cuda" else {"": "cpu"}
    try:
        return AutoModelForCausalLM.from_pretrained(path, **kwargs)
    except torch.cuda.OutOfMemoryError:
        torch.cuda.empty_cache()
        raise _out_of_memory(_load_config(path, name), dtype, quantize, name, None) from None


def bitsandbytes_config(quantize: str) -> Any:
    from transformers import BitsAndBytesConfig

    if quantize == "8bit":
        return BitsAndBytesConfig(load_in_8bit=True)
    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                              bnb_4bit_use_double_quant=True, bnb_4bit_compute_dtype=torch.bfloat16)


def _require_bitsandbytes() -> None:
    for package in ("bitsandbytes", "accelerate"):
        try:
            __import__(package)
        except ImportError:
            raise UserError(f"--quantize needs the {package} package: pip install {package}", 1) from None


def _progress_tqdm(report: ProgressCallback, stage: str) -> type:
    from tqdm.auto import tqdm

    class ReportingTqdm(tqdm):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)

        def update(self, n: float | None = 1) -> bool | None:
            result: bool | None = super().update(n)
            report(LoadProgress(stage, int(self.n), int(self.total) if self.total else None))
            return result

    return ReportingTqdm


@contextlib.contextmanager
def _weights_progress(report: ProgressCallback, total_bytes: int) -> Iterator[None]:
    """Report weight loading as bytes: transformers' own loading bar counts tensors, which we
    scale by the checkpoint size. Without that hook (another transformers) we report start and end."""
    try:
        import transformers.core_model_loading as loading_module
    except ImportError:
        yield
        return
    original = getattr(loading_module, "tqdm", None)
    if original is None:
        yield
        return

    def counting(iterable: Any = None, *args: Any, **kwargs: Any) -> Iterator[Any]:
        items = list(iterable or [])
        for index, item in enumerate(items, 1):
            yield item
            report(LoadProgress("loading weights", total_bytes * index // max(len(items), 1), total_bytes))

    setattr(loading_module, "tqdm", counting)  # noqa: B010 - a patch of a transformers internal, on purpose
    try:
        yield
    finally:
        setattr(loading_module, "tqdm", original)  # noqa: B010


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def quiet_transformers() -> None:
    """Our own status lines replace transformers' warnings and progress bars on the terminal."""
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
