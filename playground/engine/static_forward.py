"""StarCoder2's forward pass over a static ring-buffer KV cache, as small functions.

The weights are the loaded model's own modules; only the attention and the cache differ from
transformers': a ring of ``window`` slots per layer, written at ``position % window``, and a
mask built on the device from the position each slot holds. Nothing grows, rolls or copies,
so a decode step has fixed shapes and compiles into one graph. A query at position p sees the
keys at positions p - window + 1 .. p, exactly as the model's sliding window does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F


@dataclass
class RingKVCache:
    keys: torch.Tensor  # [layers, rows, kv_heads, window, head_dim]
    values: torch.Tensor
    slot_positions: torch.Tensor  # [window] long: the position each slot holds, -1 when empty

    @classmethod
    def allocate(cls, config: Any, rows: int, window: int, dtype: torch.dtype, device: torch.device) -> RingKVCache:
        head_dim = config.hidden_size // config.num_attention_heads
        shape = (config.num_hidden_layers, rows, config.num_key_value_heads, window, head_dim)
        return cls(torch.zeros(shape, dtype=dtype, device=device), torch.zeros(shape, dtype=dtype, device=device),
                   torch.full((window,), -1, dtype=torch.long, device=device))

    @property
    def window(self) -> int:
        return self.keys.shape[3]


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


def decode_attention(q: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, visible: torch.Tensor,
                     scale: float) -> torch.Tensor:
    """One query position per row. GQA without expanding K/V: each of the kv_heads is read
    once for its whole group of query heads. q [rows, heads, 1, d] -> [rows, heads * d]."""
    rows, heads, _, head_dim = q.shape
    kv_heads = keys.shape[1]
    grouped = q.view(rows, kv_heads, heads // kv_heads, head_dim)
    scores = torch.matmul(grouped, keys.transpose(-1, -2)).float() * scale  # [rows, kv, group, window]
    scores = scores.masked_fill(~visible, float("-inf"))
    weights = scores.softmax(dim=-1).to(values.dtype)
    return torch.matmul(weights, values).reshape(rows, heads * head_dim)


def mlp_block(layer: Any, hidden: torch.Tensor) -> torch.Tensor:
    return hidden + layer.mlp(layer.post_attention_layernorm(hidden))


def decode_forward(model: Any, cache: RingKVCache, tokens: torch.Tensor, position: torch.Tensor) -> torch.Tensor:
    """One token per row at ``position`` (a 0-d device tensor): logits [rows, vocab].
    Writes the new keys and values into the ring in place."""
    config, body = model.config, model.model
    heads, kv_heads = config.num_attention_heads, config.num_key_value_heads
    window = cache.window
    slot = (position % window).view(1)
    cache.slot_positions.index_copy_(0, slot, position.view(1))
    visible = (cache.slot_positions >= 0) & (cache.slot_positions > position - window)
    hidden = body.embed_tokens(tokens).unsqueeze(1)  # [rows, 1, hidden]
    cos, sin = rope(position.view(1), body.rotary_emb.inv_freq, hidden.dtype)
    for index, layer in enumerate(body.layers[: config.num_hidden_layers]):
        attention = layer.self_attn
        q, k, v = project_qkv(attention, layer.input_layernorm(hidden), cos, sin, heads, kv_heads)
        cache.keys[index].index_copy_(2, slot, k)
        cache.values[index].index_copy_(2, slot, v)
        attended = decode_attention(q, cache.keys[index], cache.values[index], visible, attention.scaling)
        hidden = hidden + attention.o_proj(attended).unsqueeze(1)
        hidden = mlp_block(layer, hidden)
    return model.lm_head(body.norm(hidden[:, -1]))


def prefill_forward(model: Any, cache: RingKVCache, prompt: torch.Tensor, chunk_size: int) -> torch.Tensor:
    """Run the prompt [1, T] in chunks through SDPA (a memory-efficient kernel on GPU): each chunk
    attends to the window's earlier positions in the ring and causally to itself. Fills row 0
    of the ring; returns the logits of the last position only, [1, vocab]."""
    config, body = model.config, model.model
    heads, kv_heads, window = config.num_attention_heads, config.num_key_value_heads, cache.window
    length = prompt.shape[1]
    device = prompt.device
    last_hidden = None
    for start in range(0, length, chunk_size):
        positions = torch.arange(start, min(start + chunk_size, length), device=device)
        earlier = torch.arange(max(0, start - window + 1), start, device=device)
        key_positions = torch.cat((earlier, positions))
        visible = (key_positions.unsqueeze(0) <= positions.unsqueeze(1)) & \
                  (key_positions.unsqueeze(0) > positions.unsqueeze(1) - window)
        hidden = body.embed_tokens(prompt[:, start: start + len(positions)])
        cos, sin = rope(positions, body.rotary_emb.inv_freq, hidden.dtype)
        earlier_slots = earlier % window
        for index, layer in enumerate(body.layers[: config.num_hidden_layers]):
            attention = layer.self_attn
            q, k, v = project_qkv(attention, layer.input_layernorm(hidden), cos, sin, heads, kv_heads)
            all_k = torch.cat((cache.keys[index, :1, :, earlier_slots], k), dim=2)
            all_v = torch.cat((cache.values[index, :1, :, earlier_slots], v), dim=2)
            attended = F.scaled_dot_product_attention(q, all_k, all_v, attn_mask=visible, scale=attention.scaling,
                                                      enable_gqa=True)
            hidden = hidden + attention.o_proj(attended.transpose(1, 2).reshape(1, len(positions), -1))
            hidden = mlp_block(layer, hidden)
            kept = positions[-window:]  # only the last window positions can be seen again
            cache.keys[index, :1].index_copy_(2, kept % window, k[:, :, -len(kept):])
            cache.values[index, :1].index_copy_(2, kept % window, v[:, :, -len(kept):])
        kept = positions[-window:]
        cache.slot_positions.index_copy_(0, kept % window, kept)
        last_hidden = hidden[:, -1]
    return model.lm_head(body.norm(last_hidden))


def share_prefill(cache: RingKVCache) -> None:
    """Copy row 0's prefilled cache to the other rows: one prefill serves every response."""
    if cache.keys.shape[1] > 1:
        cache.keys[:, 1:].copy_(cache.keys[:, :1].expand_as(cache.keys[:, 1:]))
        cache.values[:, 1:].copy_(cache.values[:, :1].expand_as(cache.values[:, 1:]))
