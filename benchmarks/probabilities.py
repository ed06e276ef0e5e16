"""What per-token probabilities cost: decode rate with them on (20 alternatives) and off, on
each decode path, and the sampling step alone with and without them.

    python benchmarks/probabilities.py                      # CPU, a small StarCoder2 (real vocabulary)
    python benchmarks/probabilities.py --paths eager static --rounds 3 --tokens 48
    python benchmarks/probabilities.py --cuda --full --paths eager compiled   # the GPU figure (15B shape)

The static and compiled steps always compute the information (one graph whatever the setting),
so on those paths "off" pays for it too: the sampling-step rows measure that part alone (the
chain with and without it, on the same logits). On the eager path "off" computes nothing and "on"
runs the sorted chain instead of the candidate prefilter. Both settings run in alternating
rounds on the same engine. On a CPU, torch runs on one thread and the figures are CPU seconds
of that thread (time.thread_time), which other processes on a shared machine barely move; on a
GPU they are wall-clock. Figures are medians over rounds.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import torch
from decode_measures import SMALL, STARCODER2_15B, build_model, make_engine, synchronize

from playground.engine.sampling.chain import host_shortcuts, next_tokens, next_tokens_with_info
from playground.engine.sampling.rows import PenaltyState, RowParams
from playground.engine.types import GenerationRequest
from playground.params import SamplingParams

PROMPT = "def fibonacci(n):\n    a, b = 0, 1\n"
CARD = SamplingParams.make(temperature=0.7, top_p=0.9, seed=5)


def clock(device: torch.device) -> float:
    return time.perf_counter() if device.type == "cuda" else time.thread_time()


def decode_rate(engine: Any, tokens: int, logprobs: int | None, rows: int) -> float:
    """Tokens per second of one generation (the prefill included: a short prompt)."""
    request = GenerationRequest(PROMPT, CARD.replace(max_new_tokens=tokens, num_responses=rows), logprobs=logprobs)
    started = clock(engine.device)
    result = engine.generate(request)
    return len(result.responses[0].token_ids) / (clock(engine.device) - started)


def chain_ms(rows: int, vocab: int, device: torch.device, with_info: bool, repeats: int) -> float:
    """Milliseconds per call of the sampling chain (the static step's, no shortcuts) on random logits."""
    generator = torch.Generator(device=device).manual_seed(0)
    logits = torch.randn(rows, vocab, generator=generator, device=device) * 4
    params = RowParams.from_params([CARD] * rows, device)
    state = PenaltyState.from_prompt(torch.tensor([[1, 2, 3]], device=device), rows, vocab)
    seeds, step = torch.arange(rows, device=device), torch.zeros((), dtype=torch.long, device=device)
    shortcuts = {**host_shortcuts([CARD] * rows), "prefilter": False}

    def run() -> None:
        if with_info:
            next_tokens_with_info(logits, state, params, seeds, step, 20)
        else:
            next_tokens(logits, state, params, seeds, step, **shortcuts)

    run()
    synchronize(device)
    started = clock(device)
    for _ in range(repeats):
        run()
    synchronize(device)
    return (clock(device) - started) / repeats * 1000


def main(argv: list[str] | None = None) -> list[tuple[str, str]]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cuda", action="store_true", help="run on the GPU (bfloat16)")
    parser.add_argument("--full", action="store_true", help="StarCoder2-15B's shape (random weights)")
    parser.add_argument("--paths", nargs="+", default=["eager", "static"], choices=["eager", "static", "compiled"])
    parser.add_argument("--rows", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    device = torch.device("cuda" if args.cuda else "cpu")
    threads = torch.get_num_threads()
    if not args.cuda:
        torch.set_num_threads(1)  # CPU time of this thread is the measure
    try:
        return measure(args, device)
    finally:
        torch.set_num_threads(threads)


def measure(args: argparse.Namespace, device: torch.device) -> list[tuple[str, str]]:
    model = build_model(STARCODER2_15B if args.full else SMALL, device, torch.bfloat16 if args.cuda else torch.float32)
    results: list[tuple[str, str]] = [("device", torch.cuda.get_device_name(device) if args.cuda else "CPU"),
                                      ("model", "StarCoder2-15B shape" if args.full else "small, vocab 49,152")]
    for rows in args.rows:
        rounds = [[chain_ms(rows, 49152, device, flag, 20) for flag in (False, True)] for _ in range(args.rounds)]
        off, on = (statistics.median(column) for column in zip(*rounds))
        results.append((f"sampling step alone, batch {rows}: off / on (20 alternatives)",
                        f"{off:.2f} / {on:.2f} ms (+{on - off:.2f} ms)"))
    for path in args.paths:
        engine = make_engine(model, path)
        for rows in args.rows:
            engine.warm_up((rows,))
            rates: dict[str, list[float]] = {"off": [], "on": []}
            for _ in range(args.rounds):
                rates["off"].append(decode_rate(engine, args.tokens, None, rows))
                rates["on"].append(decode_rate(engine, args.tokens, 20, rows))
            off, on = statistics.median(rates["off"]), statistics.median(rates["on"])
            results.append((f"{path}, batch {rows}: decode rate off / on",
                            f"{off:.1f} / {on:.1f} tok/s ({100 * (off - on) / off:+.1f} % slower on)"))
    print("| measure | value |\n|---|---|")
    for what, value in results:
        print(f"| {what} | {value} |")
    return results


if __name__ == "__main__":
    main()
