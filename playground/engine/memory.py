"""How much GPU memory a model needs, checked before its weights load, and the one line
that says so when they do not fit."""

from __future__ import annotations

from typing import Any

import torch

from playground.errors import UserError

#: Bytes per quantized weight, scales included (nf4 with double quantization: ~0.52).
_BYTES_PER_QUANTIZED_PARAM = {"8bit": 1.02, "4bit": 0.52}
#: CUDA context, activations and a sliding-window KV cache.
_WORKING_BYTES = 0.4e9


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


def check_memory(config: Any, device: torch.device, dtype: torch.dtype, quantize: str, name: str) -> None:
    """Refuse before loading when the GPU's free memory is below the estimate (CPUs: no check)."""
    if device.type != "cuda":
        return
    free, _total = torch.cuda.mem_get_info(device)
    if estimate_bytes(config, dtype, quantize) > free:
        raise out_of_memory(config, dtype, quantize, name, free)


def out_of_memory(config: Any, dtype: torch.dtype, quantize: str, name: str, free: int | float | None) -> UserError:
    """How much is needed, how much is free (when known), and the precision that would fit."""
    need = estimate_bytes(config, dtype, quantize) / 1e9
    four_bit = estimate_bytes(config, dtype, "4bit") / 1e9
    have = f", the GPU has {free / 1e9:.1f} GB free" if free is not None else ""
    hint = (f"; try --quantize 4bit (about {four_bit:.1f} GB)" if quantize != "4bit"
            else "; free GPU memory or use a smaller model")
    precision = quantize if quantize != "none" else str(dtype).removeprefix("torch.")
    return UserError(f"not enough GPU memory: {name} needs about {need:.1f} GB in {precision}{have}{hint}", 1)
