"""Decode speed with a response format on vs off, batch 1 (goal: within 10 %).

A small random StarCoder2 with the real 49,152-token vocabulary and the real tokenizer (so the
mask is filled for the real vocabulary), on the CPU by default. The format is a JSON Schema for
one long string: the model, random, keeps writing inside it, so both runs decode the same
number of tokens. Each run is repeated and the best rate kept (other work shares the cores).

    python benchmarks/format_decode.py [--tokenizer DIR] [--device cpu|cuda] [--paths eager static]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import torch
from decode_measures import SMALL, build_model

from playground.engine.engine import Engine
from playground.engine.loading import LoadedModel
from playground.engine.types import GenerationRequest
from playground.params import SamplingParams

LONG_STRING = {"type": "json_schema", "value": json.dumps({"type": "string", "maxLength": 100000})}
PROMPT = "def load_config(path):\n    with open(path) as f:\n        return json.load(f)\n"


def make_engine(model: Any, tokenizer: Any, decode: str) -> Engine:
    device = next(model.parameters()).device
    loaded = LoadedModel(model=model, tokenizer=tokenizer, name="starcoder2 (random weights)", revision=None,
                         device=device, dtype="float32", quantize="none", load_s=0.0,
                         eos_token_id=tokenizer.eos_token_id, context_window=model.config.max_position_embeddings,
                         is_demo=False)
    return Engine(loaded, decode=decode)


def cpu_ms_per_token(engine: Engine, params: SamplingParams) -> tuple[float, int]:
    """Process CPU time per generated token: steadier than wall time on shared cores (one
    torch thread, so CPU time is the work done)."""
    started = time.process_time()
    result = engine.generate(GenerationRequest(PROMPT, params))
    tokens = len(result.responses[0].token_ids)
    return (time.process_time() - started) / tokens * 1000, tokens


def mask_fill_us(engine: Engine, steps: int = 200) -> float:
    """The host's mask work per step alone: fill, then advance by an allowed token."""
    matchers = engine._formats.matchers([SamplingParams.make(response_format=LONG_STRING).response_format],
                                        frozenset({engine.loaded.eos_token_id}))
    assert matchers is not None
    started = time.perf_counter()
    token = engine.tokenizer('"', add_special_tokens=False).input_ids[0]
    letter = engine.tokenizer("a", add_special_tokens=False).input_ids[0]
    for _ in range(steps):
        matchers.fill()
        matchers.accept([token], [True])
        token = letter
    return (time.perf_counter() - started) / steps * 1e6


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokenizer", default="/work/shared/starcoder2-tokenizer")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--paths", nargs="+", default=["eager", "static"])
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    from transformers import AutoTokenizer

    if not Path(args.tokenizer, "tokenizer.json").is_file():
        raise SystemExit(f"no tokenizer at {args.tokenizer}: give --tokenizer DIR (the real StarCoder2 one)")
    tokenizer = AutoTokenizer.from_pretrained(args.tokenizer)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = build_model(SMALL, torch.device(args.device), torch.float32)
    plain = SamplingParams.make(temperature=1.0, top_p=1.0, seed=1, max_new_tokens=args.new_tokens)
    formatted = plain.replace(response_format=LONG_STRING)
    print("| path | without a format | with a format | ratio | mask fill per step |\n|---|---|---|---|---|")
    for path in args.paths:
        engine = make_engine(model, tokenizer, path)
        engine.generate(GenerationRequest(PROMPT, formatted.replace(max_new_tokens=4)))  # builds llguidance's tokenizer
        offs, ons = [], []
        for _ in range(args.repeats):  # interleaved: a busy moment hits both alike
            offs.append(cpu_ms_per_token(engine, plain))
            ons.append(cpu_ms_per_token(engine, formatted))
        (off, off_tokens), (on, on_tokens) = min(offs), min(ons)
        print(f"| {path} | {off:.2f} ms/token ({off_tokens} tokens) | {on:.2f} ms/token ({on_tokens} tokens) | "
              f"{on / off:.3f} | {mask_fill_us(engine):.0f} µs |")


if __name__ == "__main__":
    main()
