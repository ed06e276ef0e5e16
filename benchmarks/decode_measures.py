"""The measurements behind benchmarks/gpu_decode.py, one function each (any device)."""

from __future__ import annotations

import statistics
import time
from typing import Any

import torch

STARCODER2_15B = dict(vocab_size=49152, hidden_size=6144, intermediate_size=24576, num_hidden_layers=40,
                      num_attention_heads=48, num_key_value_heads=4, max_position_embeddings=16384,
                      sliding_window=4096, rope_theta=100000.0, norm_epsilon=1e-5, use_bias=True,
                      hidden_act="gelu_pytorch_tanh", tie_word_embeddings=False, bos_token_id=0, eos_token_id=0)
SMALL = {**STARCODER2_15B, "hidden_size": 256, "intermediate_size": 1024, "num_hidden_layers": 4,
         "num_attention_heads": 8, "num_key_value_heads": 2, "max_position_embeddings": 2048, "sliding_window": 512}


def build_model(settings: dict[str, Any], device: torch.device, dtype: torch.dtype) -> Any:
    """StarCoder2 from its config with random weights, made directly on the device."""
    from transformers import Starcoder2Config, Starcoder2ForCausalLM

    config = Starcoder2Config(**settings)
    with torch.device("meta"):
        model = Starcoder2ForCausalLM(config)
    model.to_empty(device=device)
    generator = torch.Generator(device=device).manual_seed(0)
    with torch.no_grad():
        for name, tensor in model.named_parameters():
            if "norm" in name:
                tensor.fill_(1.0 if name.endswith("weight") else 0.0)
            elif name.endswith("bias"):
                tensor.zero_()
            else:
                tensor.normal_(0.0, 0.02, generator=generator)
        rotary = model.model.rotary_emb
        inv_freq, _ = rotary.compute_default_rope_parameters(config)
        rotary.inv_freq.copy_(inv_freq)
        rotary.original_inv_freq.copy_(inv_freq)
    return model.to(dtype).eval()


def make_engine(model: Any, decode: str, quantize: str = "none", eos_token_id: int = -1) -> Any:
    """An engine over ``model``; by default it never ends a response early (fixed lengths)."""
    from playground.engine.demo import build_tokenizer
    from playground.engine.engine import Engine
    from playground.engine.loading import LoadedModel

    device = next(model.parameters()).device
    loaded = LoadedModel(model=model, tokenizer=build_tokenizer(), name="starcoder2 (random weights)",
                         revision=None, device=device, dtype=str(next(model.parameters()).dtype),
                         quantize=quantize, load_s=0.0, eos_token_id=eos_token_id,
                         context_window=model.config.max_position_embeddings, is_demo=False)
    return Engine(loaded, decode=decode)


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def copy_bandwidth(device: torch.device, size_bytes: int) -> float:
    """Bytes per second moved by a device-to-device copy (a read plus a write per byte)."""
    source = torch.empty(size_bytes // 2, dtype=torch.bfloat16, device=device)
    target = torch.empty_like(source)
    for _ in range(3):
        target.copy_(source)
    synchronize(device)
    started = time.perf_counter()
    repeats = 10
    for _ in range(repeats):
        target.copy_(source)
    synchronize(device)
    return 2 * size_bytes * repeats / (time.perf_counter() - started)


def bytes_read_per_token(model: Any) -> tuple[int, int]:
    """(weight bytes, KV-cache bytes) a batch-1 decode step reads: every weight but the input
    embedding (one row of it per token; unless it is tied to the output layer, which reads it
    all), and the whole ring of keys and values (the step attends over every slot)."""
    config = model.config
    weights = sum(p.numel() * p.element_size() for p in model.parameters())
    embedding = model.model.embed_tokens.weight
    if embedding is not model.lm_head.weight:
        weights -= embedding.numel() * embedding.element_size()
    head_dim = config.hidden_size // config.num_attention_heads
    kv = 2 * config.num_hidden_layers * config.sliding_window * config.num_key_value_heads * head_dim * \
        embedding.element_size()
    return weights, kv


def prompt_text(tokenizer: Any, tokens: int) -> str:
    from playground.engine.demo import _CORPUS

    ids = tokenizer(_CORPUS, add_special_tokens=False).input_ids
    ids = (ids * (tokens // len(ids) + 1))[:tokens]
    return tokenizer.decode(ids)


def request(prompt: str, rows: int, new_tokens: int) -> Any:
    from playground.engine.types import GenerationRequest
    from playground.params import SamplingParams

    params = SamplingParams.make(temperature=0.7, top_p=0.9, max_new_tokens=new_tokens, num_responses=rows, seed=0)
    return GenerationRequest(prompt, params)


def engine_rate(engine: Any, prompt: str, rows: int, new_tokens: int, repeats: int) -> tuple[float, int]:
    """Median decode steps per second over ``repeats`` generations (compiling excluded), and
    the prompt's length in tokens."""
    results = [engine.generate(request(prompt, rows, new_tokens)) for _ in range(repeats)]
    return statistics.median(r.timings.decode_tokens_per_s for r in results), results[0].prompt_tokens


def time_to_first_token(engine: Any, prompt: str, repeats: int) -> float:
    """Median seconds to the first token over ``repeats`` one-token generations, after one
    more that warms this prompt length up. A one-token generation launches no decode step,
    so nothing is left running into the next one's prefill."""
    engine.generate(request(prompt, 1, 1))
    return statistics.median(engine.generate(request(prompt, 1, 1)).timings.ttft_s for _ in range(repeats))


def host_time_per_token(engine: Any, prompt: str, new_tokens: int) -> float:
    """Seconds of host work per token in the engine's real loop at batch 1: the time between
    the first and the last token less the time the host waited for the device (on a CPU,
    computed), divided by the tokens in between. Detokenizing, stop strings, events, live
    changes, the copy of the tokens and launching the step (guards, graph replay) all count."""
    used: list[Any] = []
    make_decoder = engine._decoders.decoder
    marks: list[tuple[float, float]] = []

    def capture(*args: Any) -> Any:
        used.append(make_decoder(*args))
        return used[-1]

    def on_event(events: list[Any]) -> None:
        marks.append((time.perf_counter(), used[0].blocked_s))

    engine._decoders.decoder = capture
    try:
        engine.generate(request(prompt, 1, new_tokens), on_event=on_event)
    finally:
        del engine._decoders.decoder  # back to the class's method
    (first, blocked_first), (last, blocked_last) = marks[0], marks[-1]
    return ((last - first) - (blocked_last - blocked_first)) / max(len(marks) - 1, 1)


def generate_rate(model: Any, ids: torch.Tensor, new_tokens: int, **options: Any) -> float:
    """transformers' decode rate: (N - 1) tokens over the time beyond the first token."""
    def timed(count: int) -> float:
        synchronize(ids.device)
        started = time.perf_counter()
        model.generate(ids, do_sample=True, temperature=0.7, top_p=0.9, top_k=0, max_new_tokens=count,
                       min_new_tokens=count, pad_token_id=0, eos_token_id=None, **options)
        synchronize(ids.device)
        return time.perf_counter() - started

    timed(new_tokens)  # warm-up (and compilation, for the static cache)
    return (new_tokens - 1) / max(timed(new_tokens) - timed(1), 1e-9)


def prefill_without_math_kernel(engine: Any, prompt: str) -> str:
    """CUDA: run a prefill with SDPA's math kernel ruled out; 'ok' when every call found a
    fused kernel (flash, memory-efficient or cuDNN), else the error."""
    from torch.nn.attention import SDPBackend, sdpa_kernel

    from playground.engine.device_thread import shared_device_thread

    def prefill() -> None:
        with sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.CUDNN_ATTENTION]):
            engine.generate(request(prompt, 1, 1))

    try:  # on the thread the compiled path generates on, in case the backend switch is per thread
        shared_device_thread().run(prefill)
        return "ok"
    except RuntimeError as error:
        return f"failed: {str(error).strip().splitlines()[0][:100]}"


def decode_attention_error(device: torch.device) -> float:
    """Largest difference between bf16 decode attention (StarCoder2-15B's heads, a 4k ring)
    and a float64 reference on the same inputs."""
    from playground.engine.attention import decode_attention

    generator = torch.Generator(device=device).manual_seed(0)
    q = torch.randn(2, 48, 1, 128, device=device, generator=generator).bfloat16()
    keys = torch.randn(2, 4, 4096, 128, device=device, generator=generator).bfloat16()
    values = torch.randn(2, 4, 4096, 128, device=device, generator=generator).bfloat16()
    visible = torch.rand(4096, device=device, generator=generator) > 0.2
    out = decode_attention(q, keys, values, visible, 128 ** -0.5).double()
    expanded_k, expanded_v = keys.double().repeat_interleave(12, 1), values.double().repeat_interleave(12, 1)
    scores = (q.double() @ expanded_k.transpose(-1, -2)) * 128 ** -0.5
    reference = (scores.masked_fill(~visible, float("-inf")).softmax(-1) @ expanded_v).reshape(2, -1)
    return float((out - reference).abs().max())


def quantize_linears(model: Any, mode: str) -> Any:
    """Replace every decoder linear by its bitsandbytes form, layer by layer, in place."""
    import bitsandbytes as bnb

    device = next(model.parameters()).device
    for layer in model.model.layers:
        for parent in (layer.self_attn, layer.mlp):
            for name, linear in list(parent.named_children()):
                if not isinstance(linear, torch.nn.Linear):
                    continue
                weight = linear.weight.data.to("cpu", torch.float16 if mode == "8bit" else torch.bfloat16)
                if mode == "8bit":
                    new = bnb.nn.Linear8bitLt(linear.in_features, linear.out_features, bias=linear.bias is not None,
                                              has_fp16_weights=False)
                    new.weight = bnb.nn.Int8Params(weight, requires_grad=False, has_fp16_weights=False)
                else:
                    new = bnb.nn.Linear4bit(linear.in_features, linear.out_features, bias=linear.bias is not None,
                                            compute_dtype=torch.bfloat16, quant_type="nf4", compress_statistics=True)
                    new.weight = bnb.nn.Params4bit(weight, requires_grad=False, quant_type="nf4",
                                                   compress_statistics=True)
                if linear.bias is not None:
                    new.bias = torch.nn.Parameter(linear.bias.data.to("cpu", weight.dtype), requires_grad=False)
                setattr(parent, name, new.to(device))
                del linear
    return model
