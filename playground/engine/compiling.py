"""Compiling the decode step: torch.compile settings, cheap guards, and a persistent cache."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import torch

from playground import locations


def compile_cache_dir() -> str:
    """Where Inductor keeps its compiled graphs (FX graph and AOTAutograd caches, Triton
    kernels): under the app's cache dir, so a second start skips most of the compile; the
    default under /tmp is lost at reboot. A TORCHINDUCTOR_CACHE_DIR the user set wins."""
    return os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(locations.cache_dir() / "torch-compile"))


def keep_step_guards(entries: Sequence[Any]) -> list[bool]:
    """Which of the compiled step's guards to check on every call.

    Dynamo guards every weight of the model (about 660 tensors for StarCoder2-15B, roughly
    0.2 ms per call) and every module on the way. The weights are loaded once and never
    change shape, dtype or device, so their guards and the module guards are dropped. Kept:
    the guards on the step's own buffers (their shapes hold the batch size, so batch 1 and
    batch 2 stay separate graphs) and the global state (grad and inference mode)."""
    return [entry.guard_type in ("GLOBAL_STATE", "SHAPE_ENV")
            or (entry.guard_type == "TENSOR_MATCH" and "_parameters" not in entry.name)
            for entry in entries]


def compile_step(step: Callable[[], Any], device: torch.device, options: dict[str, Any]) -> Any:
    """torch.compile a part of the step (a module, or a method of one) with no graph break
    allowed (fullgraph) and static shapes; on CUDA in reduce-overhead mode, which replays it
    as a CUDA graph.

    ``options``: ``mode`` and ``backend`` as torch.compile takes them; ``all_guards`` True
    keeps every guard (for comparison)."""
    from torch._inductor import list_mode_options

    compile_cache_dir()
    backend = options.get("backend", "inductor")
    mode = options.get("mode", "reduce-overhead" if device.type == "cuda" else None)
    # torch.compile takes a mode or options, not both: the mode goes in as its options.
    settings = dict(list_mode_options(mode)) if backend == "inductor" and mode else {}
    if not options.get("all_guards") and hasattr(torch.compiler, "keep_tensor_guards_unsafe"):  # torch >= 2.8
        settings["guard_filter_fn"] = keep_step_guards
    return torch.compile(step, fullgraph=True, dynamic=False, backend=backend, options=settings or None)
