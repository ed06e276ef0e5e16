"""What per-token probabilities cost: decode rate with them on (20 alternatives) and off, on
each decode path, and the sampling step alone with and without them.

    python benchmarks/probabilities.py                      # CPU, a small StarCoder2 (real vocabulary)
    python benchmarks/probabilities.py --paths eager static --rounds 3 --tokens 48
    python benchmarks/probabilities.py --cuda --full --paths eager compiled   # the GPU figure (15B shape)

The static and compiled steps always compute the information (one graph whatever the setting),
so on those paths "off" pays for it too: the decode-step rows compare that step with one
built without them (forward and sampling, compiled on the compiled path: the figure the
playground's default follows), and the sampling-step rows the chain alone on the same logits.
On the eager path "off" computes nothing and "on" runs the sorted chain instead of the
candidate prefilter. Both settings run in alternating rounds. On a CPU, torch runs on one
thread and the figures are CPU seconds of that thread (time.thread_time), which other processes
on a shared machine barely move (a compiled generation, which runs on the engine's own thread,
is timed by the wall clock); on a GPU they are wall-clock. Figures are medians over rounds.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import torch
from decode_measures import SMALL, STARCODER2_15B, build_model, make_engine, synchronize

from playground.engine.compiling import compile_step
from playground.engine.sampling.chain import host_shortcuts, next_tokens, next_tokens_with_info
from playground.engine.sampling.rows import PenaltyState, RowParams
from playground.engine.static import decode_forward
from playground.engine.static_decoder import DecodeStep
from playground.engine.types import GenerationRequest
from playground.params import SamplingParams

PROMPT = "def fibonacci(n):\n    a, b = 0, 1\n"
CARD = SamplingParams.make(temperature=0.7, top_p=0.9, seed=5)


def clock(device: torch.device) -> float:
    return time.perf_counter() if device.type == "cuda" else time.thread_time()


def decode_rate(engine: Any, tokens: int, logprobs: int | None, rows: int) -> float:
    """Tokens per second of one generation (the prefill included: a short prompt)."""
    request = GenerationRequest(PROMPT, CARD.replace(max_new_tokens=tokens, num_responses=rows), logprobs=logprobs)
    # A compiled generation runs on the engine's device thread: wall-clock, not this thread's CPU time.
    measure = time.perf_counter if engine.decode_path == "compiled" else lambda: clock(engine.device)
    started = measure()
    result = engine.generate(request)
    return len(result.responses[0].token_ids) / (measure() - started)


class StepWithoutInfo(DecodeStep):
    """The decode step without per-token probabilities (as it was before them): the baseline the
    always-on cost of the static and compiled steps is measured against."""

    def forward(self) -> torch.Tensor:
        logits = decode_forward(self.model, self.cache, self.tokens, self.position)
        tokens = next_tokens(logits, self.penalties, self.params, self.seeds, self.step)
        self.tokens.copy_(tokens)
        self.position.add_(1)
        self.step.add_(1)
        return tokens


def step_runner(model: Any, rows: int, device: torch.device, with_info: bool, compiled: bool) -> Any:
    module = (DecodeStep if with_info else StepWithoutInfo)(model, rows, device)
    module.params.assign([CARD] * rows)
    run = compile_step(module, device, {}) if compiled else module
    with torch.inference_mode():
        for _ in range(3):  # compiles, then records the CUDA graph
            run()
    return run


def step_ms(run: Any, device: torch.device, repeats: int) -> float:
    """Milliseconds per call of ``run`` (a step made by ``step_runner``, or the chain alone)."""
    with torch.inference_mode():
        synchronize(device)
        started = clock(device)
        for _ in range(repeats):
            run()
        synchronize(device)
    return (clock(device) - started) / repeats * 1000


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
    return step_ms(run, device, repeats)


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
    for path in ("static", "compiled"):
        if path not in args.paths:
            continue
        for rows in args.rows:
            runs = [step_runner(model, rows, device, flag, path == "compiled") for flag in (False, True)]
            rounds = [[step_ms(run, device, 20) for run in runs] for _ in range(args.rounds)]
            off, on = (statistics.median(column) for column in zip(*rounds))
            results.append((f"{path} decode step, batch {rows}: without / with the probabilities",
                            f"{off:.2f} / {on:.2f} ms ({100 * (on - off) / off:+.1f} %)"))
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
                            f"{off:.1f} / {on:.1f} tok/s ({100 * (off / on - 1):+.1f} % time per token with them)"))
    print("| measure | value |\n|---|---|")
    for what, value in results:
        print(f"| {what} | {value} |")
    return results


if __name__ == "__main__":
    main()
