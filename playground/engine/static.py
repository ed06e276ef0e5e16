"""StarCoder2's forward pass over a static ring-buffer KV cache, as small functions.

The weights are the loaded model's own modules; only the attention and the cache differ from
transformers': a ring of ``window`` slots per layer, written at ``position % window``, and a
mask built on the device from the position each slot holds. Nothing grows, rolls or copies,
so a decode step has fixed shapes and compiles into one graph. A query at position p sees the
keys at positions p - window + 1 .. p, exactly as the model's sliding window does.

One function runs a layer for both the prefill and the decode step (``layer_step``); they
differ only in how the new keys and values meet the cache (``Attend``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from playground.engine.attention import decode_attention, prefill_attention

#: (q [rows, heads, len, d], k, v [rows, kv_heads, len, d], layer index) -> [rows, len, heads * d]
Attend = Callable[[torch.Tensor, torch.Tensor, torch.Tensor, int], torch.Tensor]


@dataclass
class RingKVCache:
    keys: torch.Tensor  # [layers, rows, kv_heads, window, head_dim]
    values: torch.Tensor
    slot_positions: torch.Tensor  # [window] long: the position each slot holds, -1 when empty
    layer_ids: torch.Tensor  # [layers] long: 0..layers-1, sliced as write indices (no host copy per write)

    @classmethod
    def allocate(cls, config: Any, rows: int, window: int, dtype: torch.dtype, device: torch.device) -> RingKVCache:
        head_dim = config.hidden_size // config.num_attention_heads
        shape = (config.num_hidden_layers, rows, config.num_key_value_heads, window, head_dim)
        return cls(torch.zeros(shape, dtype=dtype, device=device), torch.zeros(shape, dtype=dtype, device=device),
                   torch.full((window,), -1, dtype=torch.long, device=device),
                   torch.arange(config.num_hidden_layers, device=device))

    @property
    def window(self) -> int:
        return self.keys.shape[3]

    def write_slot(self, layer: int, slot: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> None:
        """Write one position's k and v [rows, kv_heads, 1, d] of every row at ``slot`` [1].

        One ``index_put_`` on the whole 5-d buffer with a (layer, slot) index, never through a
        per-layer view: a compiled step then updates the buffer in place, where a write into
        ``keys[layer]`` becomes a copy of the entire cache for every layer."""
        index = (self.layer_ids[layer: layer + 1], slice(None), slice(None), slot)
        self.keys[index] = k.permute(2, 0, 1, 3)
        self.values[index] = v.permute(2, 0, 1, 3)


def cache_window(config: Any) -> int:
    return int(config.sliding_window or config.max_position_embeddings)


def rope(positions: torch.Tensor, inv_freq: torch.Tensor, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin [len, head_dim] for ``positions``, computed in float32 as transformers does."""
    freqs = positions.to(torch.float32).unsqueeze(-1) * inv_freq
    angles = torch.cat((freqs, freqs), dim=-1)
    return angles.cos().to(dtype), angles.sin().to(dtype)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
    return x * cos + rotated * sin


def project_qkv(attention: Any, hidden: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor,
                heads: int, kv_heads: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """hidden [rows, len, hidden] -> q [rows, heads, len, d], k and v [rows, kv_heads, len, d]."""
    rows, length, _ = hidden.shape
    q = attention.q_proj(hidden).view(rows, length, heads, -1).transpose(1, 2)
    k = attention.k_proj(hidden).view(rows, length, kv_heads, -1).transpose(1, 2)
    v = attention.v_proj(hidden).view(rows, length, kv_heads, -1).transpose(1, 2)
    return apply_rope(q, cos, sin), apply_rope(k, cos, sin), v


def layer_step(model: Any, index: int, hidden: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor,
               attend: Attend) -> torch.Tensor:
    """One decoder layer on hidden [rows, len, hidden]: attention (through ``attend``), then MLP."""
    config, layer = model.config, model.model.layers[index]
    attention = layer.self_attn
    q, k, v = project_qkv(attention, layer.input_layernorm(hidden), cos, sin,
                          config.num_attention_heads, config.num_key_value_heads)
    hidden = hidden + attention.o_proj(attend(q, k, v, index))
    out: torch.Tensor = hidden + layer.mlp(layer.post_attention_layernorm(hidden))
    return out


def decode_forward(model: Any, cache: RingKVCache, tokens: torch.Tensor, position: torch.Tensor) -> torch.Tensor:
    """One token per row at ``position`` (a 0-d device tensor): logits [rows, vocab].
    Writes the new keys and values into the ring in place."""
    body, window = model.model, cache.window
    slot = (position % window).view(1)
    cache.slot_positions.index_copy_(0, slot, position.view(1))
    visible = (cache.slot_positions >= 0) & (cache.slot_positions > position - window)
    scale = model.model.layers[0].self_attn.scaling

    def attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, index: int) -> torch.Tensor:
        cache.write_slot(index, slot, k, v)
        return decode_attention(q, cache.keys[index], cache.values[index], visible, scale).unsqueeze(1)

    hidden = body.embed_tokens(tokens).unsqueeze(1)  # [rows, 1, hidden]
    cos, sin = rope(position.view(1), body.rotary_emb.inv_freq, hidden.dtype)
    for index in range(model.config.num_hidden_layers):
        hidden = layer_step(model, index, hidden, cos, sin, attend)
    logits: torch.Tensor = model.lm_head(body.norm(hidden[:, -1]))
    return logits


def prefill_chunks(length: int, chunk_size: int) -> list[tuple[int, int]]:
    return [(start, min(start + chunk_size, length)) for start in range(0, length, chunk_size)]


def prefill_forward(model: Any, cache: RingKVCache, prompt: torch.Tensor, chunk_size: int,
                    keep: int = 1) -> torch.Tensor:
    """Run the prompt [1, T] in chunks: each chunk attends to the window's earlier positions in
    the ring and causally to itself (kernels chosen in ``prefill_attention``). Fills row 0 of
    the ring; returns the logits of the last ``keep`` positions only, [keep, vocab]."""
    length, kept = prompt.shape[1], []
    for start, end in prefill_chunks(length, chunk_size):
        hidden = prefill_chunk(model, cache, prompt[:, start:end], start)
        if end > length - keep:  # this chunk holds some of the last ``keep`` positions
            kept.append(hidden[0, max(length - keep - start, 0):])
    logits: torch.Tensor = model.lm_head(model.model.norm(torch.cat(kept)))
    return logits


def prefill_chunk(model: Any, cache: RingKVCache, chunk: torch.Tensor, start: int) -> torch.Tensor:
    """The prompt's tokens ``chunk`` [1, len] at positions start.. through every layer, their
    keys and values into row 0 of the ring: the last hidden states [1, len, hidden]."""
    body, window, device = model.model, cache.window, chunk.device
    positions = torch.arange(start, start + chunk.shape[1], device=device)
    earlier = torch.arange(max(0, start - window + 1), start, device=device)
    key_positions = torch.cat((earlier, positions))
    kept = positions[-window:]  # only the last window positions can be seen again
    earlier_slots, kept_slots = earlier % window, kept % window
    scale = body.layers[0].self_attn.scaling

    def attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, index: int) -> torch.Tensor:
        all_k = torch.cat((cache.keys[index, :1, :, earlier_slots], k), dim=2)
        all_v = torch.cat((cache.values[index, :1, :, earlier_slots], v), dim=2)
        cache.keys[index, :1].index_copy_(2, kept_slots, k[:, :, -len(kept):])
        cache.values[index, :1].index_copy_(2, kept_slots, v[:, :, -len(kept):])
        attended = prefill_attention(q, all_k, all_v, positions, key_positions, window, scale)
        return attended.transpose(1, 2).reshape(1, len(positions), -1)

    hidden: torch.Tensor = body.embed_tokens(chunk)
    cos, sin = rope(positions, body.rotary_emb.inv_freq, hidden.dtype)
    for index in range(model.config.num_hidden_layers):
        hidden = layer_step(model, index, hidden, cos, sin, attend)
    cache.slot_positions.index_copy_(0, kept_slots, kept)
    return hidden


def share_prefill(cache: RingKVCache) -> None:
    """Copy row 0's prefilled cache to the other rows: one prefill serves every response."""
    if cache.keys.shape[1] > 1:
        cache.keys[:, 1:].copy_(cache.keys[:, :1].expand_as(cache.keys[:, 1:]))
        cache.values[:, 1:].copy_(cache.values[:, :1].expand_as(cache.values[:, 1:]))
