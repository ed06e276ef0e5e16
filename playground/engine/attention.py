"""Attention for the ring-buffer path: the decode step's GQA attention and the prefill's kernels.

Decode (one query per row) is a handful of tiny matrix products over the whole window, so it
is written out here to read each KV head once for its whole group of query heads. Prefill goes
through ``scaled_dot_product_attention`` in the shapes whose fused kernels a GPU runs fast:

- the first chunk, no longer than the window, is plain causal attention over itself
  (``is_causal=True``, no mask, GQA left to the kernel): FlashAttention takes it as is;
- a later chunk sees the window's earlier positions with a banded (sliding-window) mask;
  FlashAttention takes no mask, and the memory-efficient kernel does not take GQA in every
  torch version, so K and V are expanded to every query head there: the memory-efficient
  kernel accepts that shape everywhere.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

#: Slots per split of the window in the decode's probs·V product: at batch 1 the product has
#: only kv_heads x (a few) output tiles, so the window is split (split-K) to spread the
#: reading of V over more of the GPU; the partial sums are added in float32.
DECODE_SPLIT = 256
#: torch >= 2.8 multiplies bf16 into float32 directly (``bmm(..., out_dtype=)``; CUDA kernels only).
BMM_WRITES_FLOAT32 = hasattr(torch.ops.aten.bmm, "dtype")


def attention_scores(grouped_q: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
    """q·Kᵀ as float32 [rows, kv_heads, group, window], never rounded to bf16 before the softmax.

    float32 models multiply as they are. On CUDA a bf16 product writes float32 directly
    (``out_dtype``: cuBLAS accumulates in float32 anyway), reading K once in bf16; elsewhere
    (a bf16 model on the CPU, an older torch) K is widened first: a copy, but no accuracy lost.
    """
    if grouped_q.dtype == torch.float32:
        return torch.matmul(grouped_q, keys.transpose(-1, -2))
    rows, kv_heads, group, head_dim = grouped_q.shape
    if grouped_q.is_cuda and BMM_WRITES_FLOAT32:
        scores = torch.bmm(grouped_q.reshape(rows * kv_heads, group, head_dim),
                           keys.reshape(rows * kv_heads, -1, head_dim).transpose(-1, -2), out_dtype=torch.float32)
        return scores.view(rows, kv_heads, group, -1)
    return torch.matmul(grouped_q.float(), keys.float().transpose(-1, -2))


def decode_attention(q: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, visible: torch.Tensor,
                     scale: float) -> torch.Tensor:
    """One query position per row over the ring: q [rows, heads, 1, d], keys and values
    [rows, kv_heads, window, d], visible [window] bool -> [rows, heads * d].

    GQA without expanding K/V: the heads are grouped per KV head, so each KV head is read
    once for its group. Scores and softmax in float32; probs·V split along the window."""
    rows, heads, _, head_dim = q.shape
    kv_heads, window = keys.shape[1], keys.shape[2]
    grouped = q.view(rows, kv_heads, heads // kv_heads, head_dim)
    scores = attention_scores(grouped, keys) * scale
    weights = scores.masked_fill(~visible, float("-inf")).softmax(dim=-1)
    splits = window // DECODE_SPLIT if window % DECODE_SPLIT == 0 and window > DECODE_SPLIT else 1
    # [rows, kv, splits, group, window/splits] @ [rows, kv, splits, window/splits, d], summed over splits
    split_weights = weights.to(values.dtype).view(rows, kv_heads, -1, splits, window // splits).transpose(2, 3)
    partial = torch.matmul(split_weights, values.view(rows, kv_heads, splits, window // splits, head_dim))
    attended = partial.sum(dim=2, dtype=torch.float32) if splits > 1 else partial.squeeze(2)
    return attended.to(values.dtype).reshape(rows, heads * head_dim)


def prefill_attention(q: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, query_positions: torch.Tensor,
                      key_positions: torch.Tensor, window: int, scale: float) -> torch.Tensor:
    """One chunk of the prompt: q [1, heads, length, d] at ``query_positions``, keys and values
    [1, kv_heads, keys, d] at ``key_positions`` (earlier positions, then the chunk's own) ->
    [1, heads, length, d]. A query at p sees the keys at p - window + 1 .. p."""
    length, key_count = q.shape[2], keys.shape[2]
    if key_count == length and length <= window:  # the first chunk: causal over itself alone
        return F.scaled_dot_product_attention(q, keys, values, is_causal=True, scale=scale, enable_gqa=True)
    offsets = query_positions.unsqueeze(1) - key_positions.unsqueeze(0)
    visible = (offsets >= 0) & (offsets < window)
    group = q.shape[1] // keys.shape[1]
    keys, values = keys.repeat_interleave(group, dim=1), values.repeat_interleave(group, dim=1)
    return F.scaled_dot_product_attention(q, keys, values, attn_mask=visible, scale=scale)
