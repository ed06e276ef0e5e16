"""Loading a model and its tokenizer, checked at every step, with progress in bytes.

The steps live by concern: ``placement`` (device, dtype, bitsandbytes), ``hub`` (a model id or
directory to a directory on disk), ``checkpoint`` (what the directory holds), ``memory`` (will it
fit). Every failure a user can cause or fix is one ``UserError`` line naming the fix; what the
user should know but need not fix comes back as ``LoadedModel.warnings``. Weights are
safetensors only and ``trust_remote_code`` is never set.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from playground.engine import checkpoint, memory, placement
from playground.engine.checkpoint import ModelDir
from playground.engine.demo import DEMO_MODEL_NAME, ensure_demo_model
from playground.engine.fim import ENDOFTEXT
from playground.engine.hub import resolve_model_dir
from playground.engine.options import LoadOptions, LoadProgress, ProgressCallback
from playground.errors import UserError

WEIGHTS_STAGE = "loading weights"


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
    #: One line each: what was ignored or will be slow (a front-end shows them once).
    warnings: tuple[str, ...] = ()

    def describe(self) -> str:
        precision = f"{self.quantize} (bitsandbytes)" if self.quantize != "none" else self.dtype
        return f"{self.name} on {self.device.type} · {precision}"


def load_model(options: LoadOptions, progress: ProgressCallback | None = None, *,
               demo_dir: Path | None = None) -> LoadedModel:
    """Load what ``options`` name. ``demo_dir`` is where the demo model is built and kept: the
    caller's choice (the application passes its cache directory); needed only with ``options.demo``."""
    report = progress or (lambda _p: None)
    warnings: list[str] = []
    started = time.perf_counter()
    device = placement.resolve_device(options.device)
    dtype = placement.resolve_dtype(options.dtype, device, options.quantize)
    if options.quantize != "none":
        placement.require_bitsandbytes()
        if notice := placement.quantize_notice(device, options.quantize):
            warnings.append(notice)
    model_dir = _model_dir(options, report, warnings.append, demo_dir)
    config = checkpoint.read_config(model_dir)
    total = checkpoint.check_weight_files(model_dir)
    memory.check_memory(config, device, dtype, options.quantize, model_dir.name)
    tokenizer = checkpoint.load_tokenizer(model_dir)
    checkpoint.check_vocabulary(model_dir, tokenizer, config)
    report(LoadProgress(WEIGHTS_STAGE, 0, total))
    with _weights_progress(report, total):
        model, info = _from_pretrained(model_dir, config, device, dtype, options.quantize)
    checkpoint.check_loading_info(model_dir, info, warnings.append)
    model.eval()
    report(LoadProgress("ready", total, total))
    return LoadedModel(
        model=model, tokenizer=tokenizer, name=model_dir.name, revision=model_dir.revision,
        device=device, dtype=str(dtype).removeprefix("torch."), quantize=options.quantize,
        load_s=time.perf_counter() - started, eos_token_id=end_of_text_id(tokenizer),
        context_window=int(config.max_position_embeddings), is_demo=options.demo, warnings=tuple(warnings),
    )


def _model_dir(options: LoadOptions, report: ProgressCallback, warn: checkpoint.Warn,
               demo_dir: Path | None) -> ModelDir:
    if not options.demo:
        return resolve_model_dir(options.model, options.revision, report, warn)
    if demo_dir is None:
        raise ValueError("load_model(demo=True) needs demo_dir: where the demo model is kept")
    if options.revision is not None:
        warn(f"--revision {options.revision} is ignored: the demo model is built locally")
    report(LoadProgress("building the demo model"))
    return ModelDir(ensure_demo_model(demo_dir), DEMO_MODEL_NAME,
                    refetch=f"delete {demo_dir} and it is built again")


def _from_pretrained(model_dir: ModelDir, config: Any, device: torch.device, dtype: torch.dtype,
                     quantize: str) -> tuple[Any, dict[str, Any]]:
    """The model and transformers' account of its weights. A mis-shaped weight is reported in
    that account (``ignore_mismatched_sizes``) rather than raised, so it is named in one line."""
    from safetensors import SafetensorError
    from transformers import AutoModelForCausalLM

    try:
        # With output_loading_info, from_pretrained returns (model, info); its stubs say model only.
        loaded: Any = AutoModelForCausalLM.from_pretrained(
            model_dir.path, config=config, use_safetensors=True, trust_remote_code=False,
            output_loading_info=True, ignore_mismatched_sizes=True,
            **placement.placement_kwargs(device, dtype, quantize))
    except torch.cuda.OutOfMemoryError:
        torch.cuda.empty_cache()
        raise memory.out_of_memory(config, dtype, quantize, model_dir.name, None) from None
    except (SafetensorError, OSError) as error:
        raise UserError(f"{model_dir.path}: the weights could not be read ({checkpoint.first_line(error)}): "
                        f"{model_dir.refetch}", 1) from None
    model, info = loaded
    return model, info


def end_of_text_id(tokenizer: Any) -> int:
    """``<|endoftext|>`` from the tokenizer itself: some generation configs carry GPT-2's 50256."""
    token_id = tokenizer.convert_tokens_to_ids(ENDOFTEXT)
    if token_id is None or token_id == tokenizer.unk_token_id and tokenizer.unk_token != ENDOFTEXT:
        token_id = tokenizer.eos_token_id
    if token_id is None:
        raise UserError("the tokenizer has no <|endoftext|> or end-of-sequence token", 1)
    return int(token_id)


class _CountingBar:
    """Stands in for transformers' "Loading weights" bar: iterates as it would, and reports
    each tensor done as its share of the checkpoint's bytes."""

    def __init__(self, bar: Any, items: list[Any], report: ProgressCallback, total_bytes: int) -> None:
        self._bar, self._items, self._report, self._total = bar, items, report, total_bytes

    def __iter__(self) -> Iterator[Any]:
        for index, item in enumerate(self._items, 1):
            yield item
            self._report(LoadProgress(WEIGHTS_STAGE, self._total * index // len(self._items), self._total))

    def __enter__(self) -> _CountingBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bar, name)


@contextlib.contextmanager
def _weights_progress(report: ProgressCallback, total_bytes: int) -> Iterator[None]:
    """Report weight loading in bytes through ``transformers.utils.logging.set_tqdm_hook`` (public,
    process-wide, restored after): transformers' bar counts tensors, scaled here by the checkpoint's
    size. Without the hook (another transformers) only the start and the end are reported;
    tests/test_loading.py fails if the hook stops being called."""
    from transformers.utils import logging as transformers_logging

    set_hook = getattr(transformers_logging, "set_tqdm_hook", None)
    if set_hook is None:
        yield
        return

    def hook(factory: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        iterable = args[0] if args else kwargs.get("iterable")
        bar = factory(*args, **{**kwargs, "disable": True})
        if iterable is None or not hasattr(iterable, "__len__") or not len(iterable):
            return bar
        return _CountingBar(bar, list(iterable), report, total_bytes)

    previous = set_hook(hook)
    try:
        yield
    finally:
        set_hook(previous)


def quiet_transformers() -> None:
    """Our own status lines replace the libraries' warnings and progress bars on the terminal
    (bitsandbytes warns once per matrix product when 8-bit inputs are cast from bfloat16)."""
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    logging.getLogger("bitsandbytes").setLevel(logging.ERROR)
