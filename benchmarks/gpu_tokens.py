"""Same tokens on every decode path, on the device at hand: the GPU half of what the test suite
proves on the CPU (CUDA graphs, the overlapped loop and the in-place cache writes included).

    python benchmarks/gpu_tokens.py                 # CUDA if present: eager vs static vs compiled
    python benchmarks/gpu_tokens.py --cpu --paths eager,static

A small StarCoder2 with random weights in float32 (no TF32), so the paths' logits agree to
rounding and greedy and seeded sampled tokens must agree. Exits 1 on a mismatch.
"""

from __future__ import annotations

import argparse
import sys

import torch
from decode_measures import SMALL, build_model, make_engine, prompt_text

#: A bounded JSON Schema: every sampled response completes well inside 48 tokens.
BOUNDED_SCHEMA = ('{"type": "object", "properties": {"id": {"type": "integer", "minimum": 0, "maximum": 99}, '
                  '"tag": {"enum": ["a", "b"]}}, "required": ["id", "tag"], "additionalProperties": false}')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu", action="store_true")
    parser.add_argument("--paths", default="eager,static,compiled")
    parser.add_argument("--new-tokens", type=int, default=48)
    args = parser.parse_args(argv)
    from playground.engine.loading import quiet_transformers
    from playground.engine.types import GenerationRequest
    from playground.params import SamplingParams

    quiet_transformers()
    device = torch.device("cuda" if torch.cuda.is_available() and not args.cpu else "cpu")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    model = build_model({**SMALL, "num_hidden_layers": 2, "sliding_window": 64, "max_position_embeddings": 512},
                        device, torch.float32)
    # The end token is real here: a response format ends its response with it.
    engines = {path: make_engine(model, path, eos_token_id=0) for path in args.paths.split(",")}
    reference_path, reference = next(iter(engines.items()))
    prompts = [prompt_text(reference.tokenizer, 200), prompt_text(reference.tokenizer, 20)]  # past the window, within
    cases = [SamplingParams.make(temperature=0, max_new_tokens=args.new_tokens, repetition_penalty=1.1),
             SamplingParams.make(temperature=0.8, top_p=0.9, top_k=40, seed=7, max_new_tokens=args.new_tokens,
                                 num_responses=2),
             # A response format: on a GPU the forward goes ahead and the sampling waits for the mask.
             SamplingParams.make(temperature=0.8, top_k=40, seed=3, max_new_tokens=args.new_tokens, num_responses=2,
                                 response_format={"type": "json_schema", "value": BOUNDED_SCHEMA})]
    failures = 0
    for path, engine in list(engines.items())[1:]:
        for prompt in prompts:
            for params in cases:
                expected = [r.token_ids for r in reference.generate(GenerationRequest(prompt, params)).responses]
                result = engine.generate(GenerationRequest(prompt, params))
                got = [r.token_ids for r in result.responses]
                same = sum(a == b for x, y in zip(expected, got) for a, b in zip(x, y))
                total = sum(len(x) for x in expected)
                verdict = "same" if got == expected else "DIFFERENT"
                failures += got != expected
                print(f"tokens {path} vs {reference_path}, {len(result.responses)} row(s), "
                      f"{result.prompt_tokens} ctx, {'greedy' if params.temperature == 0 else 'sampled'}"
                      f"{', ' + params.response_format.type if params.response_format.constrained else ''}: "
                      f"{verdict} ({same}/{total}){'; ' + '; '.join(result.warnings) if result.warnings else ''}",
                      flush=True)
    print(f"decode paths in use: {', '.join(f'{p}: {e.decode_path}' for p, e in engines.items())}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
