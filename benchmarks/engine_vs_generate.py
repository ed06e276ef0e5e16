"""The engine's decode loop against transformers' generate, on the same tiny model, in one run.

A tiny model makes the forward pass cheap, so what is measured is mostly per-token overhead:
sampling, bookkeeping, detokenization and stop checks. Two models: the demo builder's small
vocabulary (1,024 tokens), and StarCoder2's real one (49,152 tokens, with the real tokenizer when
../shared/starcoder2-tokenizer exists), where sorting the vocabulary for top_p dominates.

Like for like: the same prompt, the same number of new tokens (generate is held to it with
min_new_tokens), the same parameters. transformers' generation config adds top_k=50 unless told
otherwise, which samples from another distribution, so the real-vocabulary case passes top_k=0
to generate (the card's defaults: temperature 0.7, top_p 0.9, no top_k). One CPU thread; each
rate is the best of --repeats rounds (engine and generate alternate within a round), in tokens
per second of wall time. Goals (real vocabulary): >= 2x generate sampled, >= 1.0x greedy. Not a
test: run it by hand.

    python benchmarks/engine_vs_generate.py [--tokens 200] [--repeats 5]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

SHARED_TOKENIZER = Path(__file__).resolve().parents[2] / "shared" / "starcoder2-tokenizer"
PROMPT = "def fibonacci(n):\n    a, b = 0, 1\n    for _ in range(n):\n"
#: (engine parameters, generate arguments, goal ratio) per case and model.
SMALL_CASES = {
    "greedy": (dict(temperature=0), dict(do_sample=False), 1.0),
    "sampled": (dict(temperature=0.7, top_p=0.9, top_k=50, repetition_penalty=1.1),
                dict(do_sample=True, temperature=0.7, top_p=0.9, top_k=50, repetition_penalty=1.1), 1.0),
}
REAL_VOCAB_CASES = {
    "greedy": (dict(temperature=0), dict(do_sample=False), 1.0),
    "sampled": (dict(temperature=0.7, top_p=0.9), dict(do_sample=True, temperature=0.7, top_p=0.9, top_k=0), 2.0),
}


def main(argv: list[str] | None = None) -> list[tuple[str, str, float, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    from playground.engine.loading import quiet_transformers

    quiet_transformers()
    torch.set_num_threads(1)
    print(f"{args.tokens} new tokens, best of {args.repeats}, CPU threads {torch.get_num_threads()}")
    print(f"{'model':22} {'case':8} {'engine tok/s':>13} {'generate tok/s':>15} {'ratio':>6} {'goal':>6} "
          f"{'CPU-time ratio':>15}")
    results = []
    for label, vocab, cases in (("tiny, vocab 1,024", None, SMALL_CASES),
                                ("tiny, vocab 49,152", 49152, REAL_VOCAB_CASES)):
        engine = build_engine(vocab)
        for case, (ours, theirs, goal) in cases.items():
            (engine_rate, engine_cpu), (generate_rate, generate_cpu) = measure(engine, ours, theirs, args.tokens,
                                                                               args.repeats)
            ratio = engine_rate / generate_rate
            print(f"{label:22} {case:8} {engine_rate:13.1f} {generate_rate:15.1f} {ratio:6.2f} "
                  f"{'ok' if ratio >= goal else 'MISSED':>6} {engine_cpu / generate_cpu:15.2f}")
            results.append((label, case, engine_rate, generate_rate))
    return results


def build_engine(vocab_size: int | None) -> Any:
    from playground.engine.demo import build_model_dir
    from playground.engine.engine import Engine
    from playground.engine.loading import load_model
    from playground.engine.options import LoadOptions

    overrides = {"vocab_size": vocab_size} if vocab_size else {}
    with tempfile.TemporaryDirectory() as folder:
        path = build_model_dir(Path(folder) / "bench", max_position_embeddings=2048, sliding_window=256, **overrides)
        if vocab_size == 49152 and (SHARED_TOKENIZER / "tokenizer.json").is_file():
            from transformers import AutoTokenizer

            AutoTokenizer.from_pretrained(SHARED_TOKENIZER).save_pretrained(path)
        return Engine(load_model(LoadOptions(model=str(path), device="cpu")), decode="eager")


def measure(engine: Any, ours: dict[str, Any], theirs: dict[str, Any], tokens: int,
            repeats: int) -> tuple[tuple[float, float], ...]:
    from playground.engine.types import GenerationRequest
    from playground.params import SamplingParams

    model, eos = engine.model, engine.loaded.eos_token_id
    ids = torch.tensor([engine.tokenizer(PROMPT, add_special_tokens=False).input_ids])
    params = SamplingParams.make(max_new_tokens=tokens, seed=0, **ours)

    def run_engine() -> int:
        return len(engine.generate(GenerationRequest(PROMPT, params)).responses[0].token_ids)

    def run_generate() -> int:  # each rate is per token actually generated
        out = model.generate(ids, max_new_tokens=tokens, min_new_tokens=tokens, pad_token_id=eos,
                             eos_token_id=eos, **theirs)
        return out.shape[1] - ids.shape[1]

    return best_rates((run_engine, run_generate), repeats)


def best_rates(runs: tuple[Callable[[], int], ...], repeats: int) -> tuple[tuple[float, float], ...]:
    """Per run, the best tokens per second of wall time and of CPU time over ``repeats`` rounds;
    the runs alternate within a round, so a change in the machine's load affects both sides
    alike (and CPU time, on one thread, hardly sees other processes at all)."""
    for run in runs:
        run()  # warm-up
    best = [[0.0, 0.0] for _ in runs]
    for _ in range(repeats):
        for i, run in enumerate(runs):
            wall, cpu = time.perf_counter(), time.process_time()
            tokens = run()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            best[i] = [max(best[i][0], tokens / wall), max(best[i][1], tokens / cpu)]
    return tuple((wall, cpu) for wall, cpu in best)


if __name__ == "__main__":
    main()
