"""Where the weights go and in what precision: device, dtype and bitsandbytes quantization.

Each choice the machine cannot honour is one ``UserError`` line naming the fix.
"""

from __future__ import annotations

from typing import Any

import torch

from playground.errors import UserError

_DTYPES = {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}
QUANTIZE_ON_CPU = ("--quantize {quantize} on the CPU: bitsandbytes runs there, but slowly; "
                   "quantization is meant for fitting the model on a GPU")


def resolve_device(device: str) -> torch.device:
    if device == "cuda" and not torch.cuda.is_available():
        raise UserError("--device cuda was asked for, but no CUDA GPU is visible: "
                        "use --device cpu, or --demo to try the app without a GPU", 1)
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def resolve_dtype(dtype: str, device: torch.device, quantize: str) -> torch.dtype:
    """auto: bfloat16 on a GPU and under bitsandbytes (its compute dtype), float32 on a CPU."""
    if dtype == "auto":
        if quantize != "none" or device.type == "cuda":
            return torch.bfloat16
        return torch.float32
    return _DTYPES[dtype]


def quantize_notice(device: torch.device, quantize: str) -> str | None:
    """One line for bitsandbytes on a CPU: it works (the tests use it), but it is not what
    quantization is for. bitsandbytes' own per-step warnings are silenced by ``quiet_transformers``."""
    if quantize != "none" and device.type == "cpu":
        return QUANTIZE_ON_CPU.format(quantize=quantize)
    return None


def require_bitsandbytes() -> None:
    for package in ("bitsandbytes", "accelerate"):
        try:
            __import__(package)
        except ImportError:
            raise UserError(f"--quantize needs the {package} package: pip install {package}", 1) from None


def bitsandbytes_config(quantize: str) -> Any:
    from transformers import BitsAndBytesConfig

    if quantize == "8bit":
        return BitsAndBytesConfig(load_in_8bit=True)
    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                              bnb_4bit_use_double_quant=True, bnb_4bit_compute_dtype=torch.bfloat16)


def placement_kwargs(device: torch.device, dtype: torch.dtype, quantize: str) -> dict[str, Any]:
    """``from_pretrained``'s arguments for device, dtype and quantization."""
    kwargs: dict[str, Any] = {"dtype": dtype}
    if quantize != "none":
        kwargs["quantization_config"] = bitsandbytes_config(quantize)
    if device.type == "cuda" or quantize != "none":
        # Straight onto the device: no second copy of the weights in host memory.
        kwargs["device_map"] = {"": device.index or 0} if device.type == "cuda" else {"": "cpu"}
    return kwargs
