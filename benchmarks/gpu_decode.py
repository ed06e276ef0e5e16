"""Decode speed of StarCoder2-15B against the memory-bandwidth floor and transformers, in one run.

    python benchmarks/gpu_decode.py                 # CUDA: StarCoder2-15B's exact config, random bf16 weights
    python benchmarks/gpu_decode.py --small         # any machine: a small config, end to end (CPU here)
    benchmarks/gpu_check.sh                         # a fresh GPU machine: this, within 8 minutes

Measures: device-to-device copy bandwidth and the floor it implies (a token reads every
weight but the input embedding, plus the ring's KV cache); the engine's decode rate at batch 1
and 2 for 1k, 4k and 16k contexts (medians; compiling excluded), time to first token (median
of warmed-up one-token runs), peak memory; the host's work per token in the real loop; on
CUDA, that prefill never needs SDPA's math kernel, the accuracy of bf16 decode attention and
whether CUDA graphs were skipped; transformers' generate on the same model (eager, and its
static-cache compiled mode) and the ratio; bitsandbytes 8bit and 4bit (reported, not gated).
Rows print as they are taken (most important first: a run cut short keeps them); the table
goes to BENCHMARKS.md (``--output``) with the device name and date. Random weights decode at
the same speed as the real ones; no download is needed.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from decode_measures import (
    SMALL,
    STARCODER2_15B,
    build_model,
    bytes_read_per_token,
    copy_bandwidth,
    decode_attention_error,
    engine_rate,
    generate_rate,
    host_time_per_token,
    make_engine,
    prefill_without_math_kernel,
    prompt_text,
    quantize_linears,
    time_to_first_token,
)

GOALS = "goals (H100, bf16): batch 1 >= 80% of floor and >= 2x generate; batch 2 step <= 1.15x batch 1; " \
        "16k within 5% of 1k; ttft 1k <= 120 ms, 4k <= 400 ms; host <= 0.3 ms/token"


@dataclass
class Row:
    what: str
    value: str
    note: str = ""


class Table:
    """Rows printed as they come, and a time budget for the optional ones."""

    def __init__(self, budget_s: float | None) -> None:
        self.rows: list[Row] = []
        self.deadline = None if budget_s is None else time.monotonic() + budget_s

    def say(self, what: str, value: str, note: str = "") -> None:
        self.rows.append(Row(what, value, note))
        print(f"{what:52} {value:>14}  {note}", flush=True)

    def time_left(self, needed_s: float) -> bool:
        return self.deadline is None or time.monotonic() + needed_s < self.deadline

    def attempt(self, what: str, needed_s: float, measure: Callable[[], None]) -> None:
        """An optional measurement: skipped when the budget is short, reported when it fails."""
        if not self.time_left(needed_s):
            self.say(what, "skipped", f"time budget (needs about {needed_s:.0f} s)")
            return
        try:
            measure()
        except Exception as error:  # noqa: BLE001 - a figure we could not take is reported, not fatal
            self.say(what, "n/a", f"{type(error).__name__}: {str(error).strip()[:80]}")


def run(args: argparse.Namespace) -> list[Row]:
    device = torch.device("cuda" if torch.cuda.is_available() and not args.cpu else "cpu")
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    settings = SMALL if args.small else STARCODER2_15B
    contexts = [128, 512, 1900] if args.small else [1024, 4096, 16000]
    new_tokens, repeats, table = args.new_tokens, args.repeats, Table(args.budget_s)
    say = table.say

    bandwidth = copy_bandwidth(device, (1 << 30) if device.type == "cuda" else (1 << 27))
    model = build_model(settings, device, dtype)
    weight_bytes, kv_bytes = bytes_read_per_token(model)
    floor = bandwidth / (weight_bytes + kv_bytes)
    say("device", torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU",
        f"torch {torch.__version__}")
    say("copy bandwidth (device to device)", f"{bandwidth / 1e12:.2f} TB/s")
    say("bytes read per token (weights + KV window)", f"{(weight_bytes + kv_bytes) / 1e9:.2f} GB",
        f"input embedding excluded; KV {kv_bytes / 1e9:.2f} GB")
    say("floor", f"{floor:.1f} tok/s", f"{1000 / floor:.2f} ms/token")

    paths = args.paths.split(",")
    engines = {path: make_engine(model, path) for path in paths}
    tokenizer = engines[paths[0]].tokenizer
    prompts = {n: prompt_text(tokenizer, n) for n in contexts}
    best = paths[-1]
    rates: dict[tuple[str, int, int], float] = {}
    for path, engine in engines.items():
        for batch in (1, 2):
            say(f"compile, {path}, batch {batch}", f"{engine.warm_up((batch,)):.1f} s")
        for n in contexts:
            if device.type == "cuda":
                torch.cuda.reset_peak_memory_stats(device)
            for batch in (1, 2):
                rate, prompt_tokens = engine_rate(engine, prompts[n], batch, new_tokens, repeats)
                rates[path, batch, n] = rate
                share = (f"{rate / floor:.0%} of floor" if batch == 1
                         else f"step {rates[path, 1, n] / rate:.2f}x batch 1")
                say(f"engine {path}, batch {batch}, {prompt_tokens} ctx", f"{rate:.1f} tok/s", share)
            if n != contexts[-1]:
                say(f"time to first token, {path}, {prompt_tokens} ctx",
                    f"{time_to_first_token(engine, prompts[n], repeats) * 1000:.0f} ms", f"median of {repeats}")
            if device.type == "cuda":
                say(f"peak memory, {path}, {n} ctx", f"{torch.cuda.max_memory_allocated(device) / 1e9:.1f} GB")
        say(f"engine {path}, {contexts[-1]} ctx / {contexts[0]} ctx, batch 1",
            f"{rates[path, 1, contexts[-1]] / rates[path, 1, contexts[0]]:.2f}x")
    say("host time per token (real loop, batch 1)",
        f"{host_time_per_token(engines[best], prompts[contexts[0]], new_tokens) * 1000:.3f} ms",
        f"engine {best}: loop time less time waiting on the device")
    if device.type == "cuda":
        from torch._dynamo.utils import counters

        say(f"prefill, math kernel ruled out, {contexts[-1]} ctx", prefill_without_math_kernel(engines[best],
                                                                                             prompts[contexts[-1]]))
        say("decode attention, bf16 vs float64", f"{decode_attention_error(device):.1e}", "max abs difference")
        say("CUDA graph skips", str(counters["inductor"]["cudagraph_skips"]),
            "0 expected on the compiled path")

    ids = torch.tensor([tokenizer(prompts[contexts[0]], add_special_tokens=False).input_ids], device=device)
    ours = rates[best, 1, contexts[0]]
    for label, options, needed in (("eager", {}, 60), ("static cache, compiled", {"cache_implementation": "static"},
                                                        240)):
        if label != "eager" and args.skip_hf_compile:
            continue

        def measure(label: str = label, options: dict[str, Any] = options) -> None:
            theirs = generate_rate(model, ids, new_tokens, **options)
            say(f"transformers generate, {label}, batch 1", f"{theirs:.1f} tok/s",
                f"engine {best} is {ours / theirs:.2f}x")

        table.attempt(f"transformers generate, {label}", needed, measure)

    engines.clear()  # free the compiled steps and their caches before quantized copies
    gc.collect()
    for mode in ([] if args.skip_bnb else ["8bit", "4bit"]):
        def measure_bnb(mode: str = mode) -> None:
            # 8bit converts the bf16 model in place; 4bit starts again from fresh bf16 weights
            quantized = quantize_linears(model if mode == "8bit" else build_model(settings, device, dtype), mode)
            rate, prompt_tokens = engine_rate(make_engine(quantized, "eager", mode), prompts[contexts[0]], 1,
                                              new_tokens, 1)
            say(f"bitsandbytes {mode}, eager, batch 1, {prompt_tokens} ctx", f"{rate:.1f} tok/s")

        table.attempt(f"bitsandbytes {mode}", 90, measure_bnb)
    return table.rows


def write_markdown(rows: list[Row], path: Path, args: argparse.Namespace) -> None:
    device = rows[0].value
    lines = [f"# Decode benchmark: {device}, {datetime.date.today().isoformat()}", "",
             f"`python benchmarks/gpu_decode.py {' '.join(args.argv)}`".replace("  ", " "), "",
             "| measure | value | note |", "|---|---|---|"]
    lines += [f"| {r.what} | {r.value} | {r.note} |" for r in rows]
    lines += ["", GOALS, ""]
    path.write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a small config: runs anywhere, CPU included")
    parser.add_argument("--cpu", action="store_true", help="stay on the CPU even when CUDA is present")
    parser.add_argument("--paths", default="eager,compiled", help="engine decode paths to measure, comma separated")
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure; the median is reported")
    parser.add_argument("--budget-s", type=float, default=None,
                        help="skip the optional measurements (transformers, bitsandbytes) that would not fit")
    parser.add_argument("--skip-hf-compile", action="store_true")
    parser.add_argument("--skip-bnb", action="store_true")
    parser.add_argument("--output", type=Path, default=None, help="default: BENCHMARKS.md on CUDA, none on CPU")
    args = parser.parse_args(argv)
    args.argv = argv if argv is not None else sys.argv[1:]
    from playground.engine.loading import quiet_transformers

    quiet_transformers()
    print(GOALS, flush=True)
    rows = run(args)
    output = args.output or (Path("BENCHMARKS.md") if torch.cuda.is_available() and not args.cpu else None)
    if output is not None:
        write_markdown(rows, output, args)
        print(f"written to {output}")
    return rows


if __name__ == "__main__":
    main()
