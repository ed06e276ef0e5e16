"""Decode speed of StarCoder2-15B against the memory-bandwidth floor and transformers, in one run.

    python benchmarks/gpu_decode.py                 # CUDA: StarCoder2-15B's exact config, random bf16 weights
    python benchmarks/gpu_decode.py --small         # any machine: a small config, end to end (CPU here)

Measures: device-to-device copy bandwidth and the floor it implies (every token reads all
weights plus the KV cache of the window); the engine's decode tokens/s at batch 1 and 2 for
1k, 4k and 16k contexts, time to first token, peak memory; transformers' generate on the same
model (eager, and its static-cache compiled mode) and the ratio; host time per token; the same
for bitsandbytes 8bit and 4bit (reported, not gated). Prints one table and writes it to
BENCHMARKS.md (``--output``) with the device name and date. Random weights decode at the
same speed as the real ones; no download is needed.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

STARCODER2_15B = dict(vocab_size=49152, hidden_size=6144, intermediate_size=24576, num_hidden_layers=40,
                      num_attention_heads=48, num_key_value_heads=4, max_position_embeddings=16384,
                      sliding_window=4096, rope_theta=100000.0, norm_epsilon=1e-5, use_bias=True,
                      hidden_act="gelu_pytorch_tanh", tie_word_embeddings=False, bos_token_id=0, eos_token_id=0)
SMALL = {**STARCODER2_15B, "hidden_size": 256, "intermediate_size": 1024, "num_hidden_layers": 4,
         "num_attention_heads": 8, "num_key_value_heads": 2, "max_position_embeddings": 2048, "sliding_window": 512}
GOALS = "goals (H100, bf16): batch 1 >= 80% of floor and >= 2x generate; batch 2 step <= 1.15x batch 1; " \
        "16k within 5% of 1k; ttft 1k <= 120 ms, 4k <= 400 ms; host <= 0.3 ms/token"


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


def make_engine(model: Any, decode: str, quantize: str = "none") -> Any:
    from playground.engine.demo import build_tokenizer
    from playground.engine.engine import Engine
    from playground.engine.loading import LoadedModel

    device = next(model.parameters()).device
    loaded = LoadedModel(model=model, tokenizer=build_tokenizer(), name="starcoder2 (random weights)",
                         revision=None, device=device, dtype=str(next(model.parameters()).dtype),
                         quantize=quantize, load_s=0.0, eos_token_id=-1,  # never ends early: fixed lengths
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


def prompt_text(tokenizer: Any, tokens: int) -> str:
    from playground.engine.demo import _CORPUS

    ids = tokenizer(_CORPUS, add_special_tokens=False).input_ids
    ids = (ids * (tokens // len(ids) + 1))[:tokens]
    return tokenizer.decode(ids)


@dataclass
class Row:
    what: str
    value: str
    note: str = ""


def engine_rate(engine: Any, prompt: str, rows: int, new_tokens: int) -> tuple[float, float, int]:
    from playground.engine.types import GenerationRequest
    from playground.params import SamplingParams

    params = SamplingParams.make(temperature=0.7, top_p=0.9, max_new_tokens=new_tokens, num_responses=rows, seed=0)
    result = engine.generate(GenerationRequest(prompt, params))
    return result.timings.decode_tokens_per_s, result.timings.ttft_s, result.prompt_tokens


def generate_rate(model: Any, ids: torch.Tensor, new_tokens: int, **options: Any) -> float:
    """transformers' decode rate: (N - 1) tokens over the time beyond the first token."""
    def timed(count: int) -> float:
        synchronize(ids.device)
        started = time.perf_counter()
        model.generate(ids, do_sample=True, temperature=0.7, top_p=0.9, top_k=0, max_new_tokens=count,
                       min_new_tokens=count,
                       pad_token_id=0, eos_token_id=None, **options)
        synchronize(ids.device)
        return time.perf_counter() - started

    timed(new_tokens)  # warm-up (and compilation, for the static cache)
    return (new_tokens - 1) / max(timed(new_tokens) - timed(1), 1e-9)


def host_time_per_token(engine: Any, prompt: str, steps: int = 2000) -> float:
    """The engine's host loop alone (detokenization, stop strings, events) with a decoder that
    hands back tokens instantly: what each step costs the CPU beyond the device's work."""
    from playground.engine.types import GenerationRequest
    from playground.params import SamplingParams

    ids = engine.tokenizer(prompt, add_special_tokens=False).input_ids

    class InstantDecoder:
        overlaps = False

        def __init__(self) -> None:
            self.index = 0

        def prefill(self, prompt_ids: torch.Tensor) -> None: ...

        def launch(self) -> None:
            self.index += 1

        def fetch(self) -> list[int]:
            return [ids[self.index % len(ids)]]

        def set_param(self, *args: Any) -> None: ...

    original = engine._decoder
    engine._decoder = lambda rows, seeds: InstantDecoder()
    try:
        params = SamplingParams.make(max_new_tokens=steps, stop=["\n\n\n\n", "<|fim_pad|>"], seed=0)
        started = time.process_time()
        engine.generate(GenerationRequest("x", params), on_event=lambda events: None)
        return (time.process_time() - started) / steps
    finally:
        engine._decoder = original


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


def run(args: argparse.Namespace) -> list[Row]:
    device = torch.device("cuda" if torch.cuda.is_available() and not args.cpu else "cpu")
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    settings = SMALL if args.small else STARCODER2_15B
    contexts = [128, 512, 1900] if args.small else [1024, 4096, 16000]
    new_tokens = args.new_tokens
    rows: list[Row] = []

    def say(row: Row) -> None:
        rows.append(row)
        print(f"{row.what:48} {row.value:>14}  {row.note}")

    bandwidth = copy_bandwidth(device, (1 << 30) if device.type == "cuda" else (1 << 27))
    model = build_model(settings, device, dtype)
    weight_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    config = model.config
    kv_bytes = 2 * config.num_hidden_layers * config.sliding_window * config.num_key_value_heads * \
        (config.hidden_size // config.num_attention_heads) * torch.finfo(dtype).bits // 8
    floor = bandwidth / (weight_bytes + kv_bytes)
    say(Row("device", torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"))
    say(Row("copy bandwidth (device to device)", f"{bandwidth / 1e12:.2f} TB/s"))
    say(Row("bytes read per token (weights + full window KV)", f"{(weight_bytes + kv_bytes) / 1e9:.2f} GB"))
    say(Row("floor", f"{floor:.1f} tok/s", f"{1000 / floor:.2f} ms/token"))

    paths = args.paths.split(",")
    engines = {path: make_engine(model, path) for path in paths}
    tokenizer = engines[paths[0]].tokenizer
    prompts = {n: prompt_text(tokenizer, n) for n in contexts}
    best = paths[-1]
    for path, engine in engines.items():
        engine_rate(engine, prompts[contexts[0]], 1, 8)  # warm-up and compilation, batch 1
        engine_rate(engine, prompts[contexts[0]], 2, 8)  # and batch 2
        for n in contexts:
            if device.type == "cuda":
                torch.cuda.reset_peak_memory_stats(device)
            for batch in (1, 2):
                rate, ttft, prompt_tokens = engine_rate(engine, prompts[n], batch, new_tokens)
                share = f"{rate / floor:.0%} of floor" if batch == 1 else ""
                say(Row(f"engine {path}, batch {batch}, {prompt_tokens} ctx", f"{rate:.1f} tok/s",
                        f"ttft {ttft * 1000:.0f} ms {share}"))
            if device.type == "cuda":
                say(Row(f"peak memory, {path}, {n} ctx", f"{torch.cuda.max_memory_allocated(device) / 1e9:.1f} GB"))
    host_s = host_time_per_token(engines[best], prompts[contexts[0]])
    say(Row("host time per token (detok, stops, events)", f"{host_s * 1000:.3f} ms"))

    ids = torch.tensor([tokenizer(prompts[contexts[0]], add_special_tokens=False).input_ids], device=device)
    ours, _, _ = engine_rate(engines[best], prompts[contexts[0]], 1, new_tokens)
    for label, options in (("eager", {}), ("static cache, compiled", {"cache_implementation": "static"})):
        if label != "eager" and args.skip_hf_compile:
            continue
        try:
            theirs = generate_rate(model, ids, new_tokens, **options)
            say(Row(f"transformers generate, {label}, batch 1", f"{theirs:.1f} tok/s",
                    f"engine {best} is {ours / theirs:.2f}x"))
        except Exception as error:  # noqa: BLE001 - a figure we could not take is reported, not fatal
            say(Row(f"transformers generate, {label}", "n/a", f"{type(error).__name__}: {str(error)[:80]}"))

    engines.clear()  # free the compiled steps and their caches before quantized copies
    gc.collect()
    for mode in ([] if args.skip_bnb else ["8bit", "4bit"]):
        try:
            # 8bit converts the bf16 model in place; 4bit starts again from fresh bf16 weights
            model = quantize_linears(model if mode == "8bit" else build_model(settings, device, dtype), mode)
            rate, ttft, prompt_tokens = engine_rate(make_engine(model, "eager", mode), prompts[contexts[0]], 1,
                                                    new_tokens)
            say(Row(f"bitsandbytes {mode}, eager, batch 1, {prompt_tokens} ctx", f"{rate:.1f} tok/s",
                    f"ttft {ttft * 1000:.0f} ms"))
        except Exception as error:  # noqa: BLE001
            say(Row(f"bitsandbytes {mode}", "n/a", f"{type(error).__name__}: {str(error)[:80]}"))
    return rows


def write_markdown(rows: list[Row], path: Path, args: argparse.Namespace) -> None:
    device = rows[0].value
    lines = [f"# Decode benchmark: {device}, {datetime.date.today().isoformat()}", "",
             f"`python benchmarks/gpu_decode.py {' '.join(args.argv)}`".replace("  ", " "), "",
             "| measure | value | note |", "|---|---|---|"]
    lines += [f"| {r.what} | {r.value} | {r.note} |" for r in rows]
    lines += ["", GOALS, ""]
    path.write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> list[Row]:
    import sys

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a small config: runs anywhere, CPU included")
    parser.add_argument("--cpu", action="store_true", help="stay on the CPU even when CUDA is present")
    parser.add_argument("--paths", default="eager,compiled", help="engine decode paths to measure, comma separated")
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--skip-hf-compile", action="store_true")
    parser.add_argument("--skip-bnb", action="store_true")
    parser.add_argument("--output", type=Path, default=None, help="default: BENCHMARKS.md on CUDA, none on CPU")
    args = parser.parse_args(argv)
    args.argv = argv if argv is not None else sys.argv[1:]
    from playground.engine.loading import quiet_transformers

    quiet_transformers()
    print(GOALS)
    rows = run(args)
    output = args.output or (Path("BENCHMARKS.md") if torch.cuda.is_available() and not args.cpu else None)
    if output is not None:
        write_markdown(rows, output, args)
        print(f"written to {output}")
    return rows


if __name__ == "__main__":
    main()
