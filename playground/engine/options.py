"""How to load a model, as plain data (no torch): shared by the CLI, the TUI and the REPL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeAlias

DEFAULT_MODEL = "bigcode/starcoder2-15b"
Device = Literal["auto", "cuda", "cpu"]
DType = Literal["auto", "bfloat16", "float16", "float32"]
Quantize = Literal["none", "8bit", "4bit"]
DEVICES: tuple[str, ...] = ("auto", "cuda", "cpu")
DTYPES: tuple[str, ...] = ("auto", "bfloat16", "float16", "float32")
QUANTIZATIONS: tuple[str, ...] = ("none", "8bit", "4bit")
#: auto: the compiled static-cache step on CUDA, the eager path on CPU and for bitsandbytes.
DECODE_PATHS: tuple[str, ...] = ("auto", "eager", "static", "compiled")


@dataclass(frozen=True)
class LoadOptions:
    model: str = DEFAULT_MODEL
    revision: str | None = None
    device: Device = "auto"
    dtype: DType = "auto"
    quantize: Quantize = "none"
    demo: bool = False
    decode: str = "auto"
    #: An OpenAI-compatible server (vLLM) to generate on instead of loading the model here.
    server: str | None = None
    #: Which of the server's models, when it serves several.
    server_model: str | None = None


@dataclass(frozen=True)
class LoadProgress:
    """``stage`` in words; ``done``/``total`` in bytes when known (else None)."""

    stage: str
    done: int | None = None
    total: int | None = None


#: Called with each loading stage, from the loading thread.
ProgressCallback: TypeAlias = Callable[[LoadProgress], None]
