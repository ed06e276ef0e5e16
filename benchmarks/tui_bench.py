"""Headless playground figures: response-pane throughput and launch-to-first-frame.

    python benchmarks/tui_bench.py [--tokens 16384]

1. Throughput: a scripted engine streams --tokens tokens (about 4 characters each, code-like
   lines) through the real StreamBatcher into the real app at a fixed pace (5k, 10k, 20k,
   40k tokens/s). The pane keeps up at a pace if the last token is on screen within a frame or
   two of being produced; we also report the longest single append (the UI's longest stall).
   Goal: keeps up at >= 5,000 tokens/s over a 16k-token response.
2. First frame: a fresh interpreter imports the CLI, builds the app with the same factory,
   and stops at its first rendered frame. Goal: <= 1 s, with torch not yet imported.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from types import SimpleNamespace

from playground.engine.options import LoadOptions
from playground.engine.types import GenerationResult, ResponseResult, Timings, TokenEvent
from playground.tui.app import create_app
from playground.tui.widgets.response_view import ResponseView

PIECES = ["def ", "comp", "ute", "(self", ", x", "):\n", "    ", "ret", "urn ", "x *", " 2", "\n"]


class FloodEngine:
    def __init__(self, tokens: int, rate: float) -> None:
        self.tokens = tokens
        self.rate = rate
        self.name = "flood"
        self.context_window = tokens + 16
        self.loaded = SimpleNamespace(describe=lambda: "flood", name="flood", revision=None, load_s=0.0,
                                      device=SimpleNamespace(type="cpu"), dtype="float32", quantize="none",
                                      is_demo=False, warnings=())
        self.produced_at = 0.0

    def count_tokens(self, text: str) -> int:
        return 1

    def generate(self, request, on_event=None, handle=None):
        started = time.perf_counter()
        for i in range(self.tokens):
            on_event([TokenEvent(0, i, PIECES[i % len(PIECES)])])
            if i % 50 == 0:  # keep to the pace: sleep off any lead over the schedule
                lead = started + i / self.rate - time.perf_counter()
                if lead > 0:
                    time.sleep(lead)
        self.produced_at = time.perf_counter()
        text = "".join(PIECES[i % len(PIECES)] for i in range(self.tokens))
        return GenerationResult("flood", 1, request.params.replace(seed=0), [
            ResponseResult(0, text, list(range(self.tokens)), "length", 0, request.params)], Timings(0, 0, 0, 0))


async def measure_throughput(tokens: int, rate: float) -> tuple[float, float, float]:
    engine = FloodEngine(tokens, rate)
    app = create_app(LoadOptions(model="flood"), loader=lambda options, progress: engine)
    updates: list[float] = []
    stalls: list[float] = []
    async with app.run_test(size=(160, 50)) as pilot:
        while app.engine is None:
            await pilot.pause(0.01)
        view = app.query_one("#response-0", ResponseView)
        original = view.append

        def timed_append(text: str) -> None:
            before = time.perf_counter()
            original(text)
            updates.append(time.perf_counter())
            stalls.append(updates[-1] - before)

        view.append = timed_append  # type: ignore[method-assign]
        started = time.perf_counter()
        await pilot.press("f5")
        while app.generating or app.generation.run is None or app.generation.run.result is None:
            await pilot.pause(0.01)
        await pilot.pause()
        finished = updates[-1]
        assert len(view.streamed) == sum(len(PIECES[i % len(PIECES)]) for i in range(tokens))
    return tokens / (finished - started), max(stalls), finished - engine.produced_at


FIRST_FRAME = """
import sys, time
started = time.perf_counter()
from playground.cli import build_parser, load_options, resolve_params
from playground.tui.app import create_app
args = build_parser().parse_args(["--demo"])
app = create_app(load_options(args), resolve_params(args))
app.load_model = lambda options: None  # measure the frame, not the model
async def main():
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        print(time.perf_counter() - started, "torch" in sys.modules)
import asyncio
asyncio.run(main())
"""


def measure_first_frame() -> tuple[float, bool]:
    out = subprocess.run([sys.executable, "-c", FIRST_FRAME], capture_output=True, text=True, check=True)
    seconds, torch_loaded = out.stdout.split()
    return float(seconds), torch_loaded == "True"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=16_384)
    args = parser.parse_args()
    print(f"response pane, {args.tokens:,}-token response (goal: keeps up at >= 5,000 tokens/s)")
    print(f"{'pace tok/s':>11} {'absorbed tok/s':>15} {'longest append ms':>18} {'final lag ms':>13}  keeps up")
    for pace in (5_000, 10_000, 20_000, 40_000):
        rate, longest, lag = asyncio.run(measure_throughput(args.tokens, pace))
        print(f"{pace:11,} {rate:15,.0f} {longest * 1000:18.1f} {lag * 1000:13.0f}  {'yes' if lag < 0.1 else 'NO'}")
    frames = [measure_first_frame() for _ in range(3)]
    best = min(seconds for seconds, _ in frames)
    print(f"launch to first frame: {best:.2f} s (best of 3), torch imported by then: "
          f"{any(t for _, t in frames)}  goal <= 1 s")


if __name__ == "__main__":
    main()
