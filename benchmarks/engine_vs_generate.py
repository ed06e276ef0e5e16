"""The engine's decode loop against transformers' generate, on the same tiny model, in one run.

A tiny model makes the forward pass cheap, so what is measured is mostly per-token overhead:
sampling, bookkeeping, detokenization and stop checks. Goal: ratio >= 1.0 (the engine's
overhead does not exceed transformers'). Not a test: run it by hand.

    python benchmarks/engine_vs_generate.py [--tokens 200] [--repeats 5]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import torch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from playground.engine.demo import build_model_dir
    from playground.engine.engine import Engine
    from playground.engine.loading import load_model, quiet_transformers
    from playground.engine.options import LoadOptions
    from playground.engine.types import GenerationRequest
    from playground.params import SamplingParams

    quiet_transformers()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    with tempfile.TemporaryDirectory() as folder:
        path = build_model_dir(Path(folder) / "bench", max_position_embeddings=2048, sliding_window=256)
        engine = Engine(load_model(LoadOptions(model=str(path), device="cpu")))
    model, tokenizer = engine.model, engine.tokenizer
    prompt = "def fibonacci(n):\n    a, b = 0, 1\n    for _ in range(n):\n"
    ids = torch.tensor([tokenizer(prompt, add_special_tokens=False).input_ids])
    eos = engine.loaded.eos_token_id

    cases = {
        "greedy": (dict(temperature=0), dict(do_sample=False)),
        "sampled": (dict(temperature=0.7, top_p=0.9, top_k=50, repetition_penalty=1.1),
                    dict(do_sample=True, temperature=0.7, top_p=0.9, top_k=50, repetition_penalty=1.1)),
    }
    print(f"tiny StarCoder2, {args.tokens} new tokens, best of {args.repeats}, CPU threads {torch.get_num_threads()}")
    print(f"{'case':10} {'engine tok/s':>13} {'generate tok/s':>15} {'ratio':>7}")
    for name, (ours, theirs) in cases.items():
        params = SamplingParams.make(max_new_tokens=args.tokens, seed=0, **ours)

        def run_engine(params: SamplingParams = params) -> int:
            return len(engine.generate(GenerationRequest(prompt, params)).responses[0].token_ids)

        def run_generate(theirs: dict[str, Any] = theirs) -> int:  # each rate is per token actually generated
            out = model.generate(ids, max_new_tokens=args.tokens, min_new_tokens=args.tokens,
                                 pad_token_id=eos, eos_token_id=eos, **theirs)
            return out.shape[1] - ids.shape[1]

        engine_rate = best_rate(run_engine, args.repeats)
        generate_rate = best_rate(run_generate, args.repeats)
        print(f"{name:10} {engine_rate:13.1f} {generate_rate:15.1f} {engine_rate / generate_rate:7.2f}")


def best_rate(run, repeats: int) -> float:
    run()  # warm-up
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        tokens = run()
        rates.append(tokens / (time.perf_counter() - started))
    return max(rates)


if __name__ == "__main__":
    main()
