"""The compiled decode step against the same step uncompiled, on the CPU.

    python benchmarks/compiled_step.py             # 8 layers, a 4,096-slot window, batch 1
    python benchmarks/compiled_step.py --layers 2 --window 512 --rounds 3   # a quick look

A compiled step that copies its KV cache (a whole-cache rewrite per layer) is slower than the
uncompiled one on this case; one that writes in place is at least as fast. Both steps share
the model and run in alternating rounds, so a busy machine slows both alike; the figure is
the median over rounds. Also reports the compiled call's guard check, with the engine's guard
filter and with every guard kept.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import torch
from decode_measures import SMALL, build_model


def time_steps(step: Any, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        step()
    return (time.perf_counter() - started) / count


def guard_check_seconds(module: torch.nn.Module, repeats: int = 200) -> float:
    """Seconds one step spends checking the guards of the two compiled halves it runs."""
    from torch._dynamo.eval_frame import _debug_get_cache_entry_list

    halves = [_debug_get_cache_entry_list(part.__code__) for part in (type(module).compute_logits,
                                                                       type(module).sample)]
    started = time.perf_counter()
    for _ in range(repeats):
        for entries in halves:
            for entry in entries:
                if entry.guard_manager.check({"self": module}):
                    break
    return (time.perf_counter() - started) / repeats


def run(args: argparse.Namespace) -> dict[str, float]:
    from playground.engine.static_decoder import StaticDecoder

    torch.set_num_threads(args.threads)
    settings = {**SMALL, "num_hidden_layers": args.layers, "sliding_window": args.window,
                "max_position_embeddings": 2 * args.window}
    device = torch.device("cpu")
    model = build_model(settings, device, torch.float32)
    results: dict[str, float] = {}
    with torch.inference_mode():
        static = StaticDecoder(model, 1, device, compiled=False)
        compiled = StaticDecoder(model, 1, device, compiled=True, compile_options={"all_guards": args.all_guards})
        results["compile_s"] = compiled.prepare()
        for decoder in (static, compiled):
            decoder.step_module.position.fill_(args.window - 100)
            decoder.step_module.cache.slot_positions.copy_(torch.arange(args.window))
        rounds: dict[str, list[float]] = {"static": [], "compiled": []}
        for _ in range(args.rounds):
            rounds["static"].append(time_steps(static.run_step, args.steps))
            rounds["compiled"].append(time_steps(compiled.run_step, args.steps))
        results["static_ms"] = statistics.median(rounds["static"]) * 1000
        results["compiled_ms"] = statistics.median(rounds["compiled"]) * 1000
        results["guard_ms"] = guard_check_seconds(compiled.step_module) * 1000
    results["speedup"] = results["static_ms"] / results["compiled_ms"]
    print(f"{args.layers} layers, {args.window}-slot window, batch 1, {args.threads} thread(s), "
          f"median of {args.rounds} rounds x {args.steps} steps")
    print(f"compile (and first runs)     {results['compile_s']:8.1f} s")
    print(f"static step (not compiled)   {results['static_ms']:8.2f} ms")
    print(f"compiled step                {results['compiled_ms']:8.2f} ms   {results['speedup']:.2f}x static")
    print(f"guard check per call         {results['guard_ms']:8.3f} ms   "
          f"({'every guard' if args.all_guards else 'engine guard filter'})")
    return results


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=8)
    parser.add_argument("--window", type=int, default=4096)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: steadier on a shared machine)")
    parser.add_argument("--all-guards", action="store_true", help="keep every dynamo guard")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    main()
