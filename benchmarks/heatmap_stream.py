"""The heatmap and the token inspector while a long run streams: the time the app takes to
handle one streamed frame, and one token cursor move in the inspector, with 100 / 500 / 2,000
tokens already shown, for code-like text (short lines) and for text with no newline at all (the
demo model's noise, minified JSON: one paragraph as long as the response).

    PYTHONPATH=$PWD python benchmarks/heatmap_stream.py [--shown 100 500 2000] [--frames 40] [--text code noise]

Headless, on the scripted engine of the tests (no model): the run's tokens are code-like pieces
with ids drawn from StarCoder2's 49,152-token vocabulary, each with the probabilities the
playground asks for (5 alternatives), streamed into the real app as the StreamBatcher posts
them. For each count shown, with the heatmap (F7) on:

- frame, heatmap: one ``TokensStreamed`` of one token, handled and the screen refreshed;
- frame, inspector open: the same with the inspector (ctrl+t) open on the run (it follows it);
- cursor move: ``right`` in the inspector, handled and the screen refreshed.

Each figure is the median of ``--frames`` repeats, in ms. The goal is a flat line: the cost of a
frame or of a cursor move should not grow with the tokens already shown.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playground.engine.options import LoadOptions  # noqa: E402
from playground.engine.types import Alternative, TokenInfo  # noqa: E402
from playground.params import SamplingParams  # noqa: E402
from playground.runtime.running import Generation  # noqa: E402
from playground.tui.app import PlaygroundApp, create_app  # noqa: E402
from playground.tui.messages import TokensStreamed  # noqa: E402
from playground.tui.runs import RunState  # noqa: E402
from playground.tui.screens.inspector import InspectorScreen  # noqa: E402
from playground.tui.widgets.token_map import TokenMap  # noqa: E402
from tests.fakes import ScriptedEngine  # noqa: E402

VOCAB = 49_152
PIECES = ["def", " compute", "(self", ", x", "):\n", "    ", "ret", "urn", " x", " *", " 2", "\n"]
#: Like the demo model's noise (random tokens: about 3 characters each, a third after a space, no newline).
NOISE = ["ab", " foo", "_x", ")", " 12", "ing", " the", "Ġ", "{\"", "::", " de", "rt", "==", " q", "lo", "é"]
TEXTS = {"code": PIECES, "noise": NOISE}
SIZE = (120, 40)


def token(step: int, rng: random.Random, pieces: list[str]) -> tuple[str, int, TokenInfo]:
    text = pieces[step % len(pieces)] if pieces is PIECES else rng.choice(pieces)
    token_id = rng.randrange(VOCAB)
    logprob = -rng.expovariate(1.0)
    top = tuple(Alternative(rng.randrange(VOCAB), logprob - i * 0.5, f"alt{i}") for i in range(5))
    return text, token_id, TokenInfo(logprob, logprob, 1.5, 1 + step % 5, top, text)


def frame(steps: range, rng: random.Random, pieces: list[str]) -> TokensStreamed:
    texts, ids, infos = zip(*(token(step, rng, pieces) for step in steps))
    return TokensStreamed({0: "".join(texts)}, {0: len(steps)}, 1.0, 0.1, {0: [len(t) for t in texts]},
                          {0: list(ids)}, {0: list(infos)})


async def settle(pilot) -> None:
    await pilot.pause()


async def median_ms(pilot, act, repeats: int) -> float:
    """The median CPU time (this process, all its threads) of ``act`` and the screen's refresh
    after it, less that of a refresh after nothing: CPU time, not wall time, so that other
    processes on a busy machine do not count."""
    async def once(action) -> float:
        started = time.process_time()
        action()
        await settle(pilot)
        return (time.process_time() - started) * 1000
    idle = statistics.median([await once(lambda: None) for _ in range(repeats)])
    return max(statistics.median([await once(act) for _ in range(repeats)]) - idle, 0.0)


async def measure(shown: int, repeats: int, pieces: list[str]) -> tuple[float, float, float]:
    """Median ms per one-token frame (heatmap; inspector open) and per cursor move, at ``shown`` tokens."""
    engine = ScriptedEngine()
    app: PlaygroundApp = create_app(LoadOptions(model="scripted-model"), SamplingParams.make(seed=1),
                                    loader=lambda options, progress: engine)
    rng = random.Random(shown)
    async with app.run_test(size=SIZE) as pilot:
        while app.engine is None:
            await pilot.pause(0.05)
        app.state = app.state.replace(heatmap=True, probabilities=True)
        app.generation.run = RunState(Generation(app.engine, app.state.request("def f():\n")))
        app.generating = True
        at = shown
        app.on_tokens_streamed(frame(range(at), rng, pieces))
        await settle(pilot)

        def stream_one() -> None:
            nonlocal at
            app.on_tokens_streamed(frame(range(at, at + 1), rng, pieces))
            at += 1

        heatmap = await median_ms(pilot, stream_one, repeats)
        app.query_one("#heatmap-0", TokenMap).focus()
        await pilot.press("ctrl+t")
        while not isinstance(app.screen, InspectorScreen):
            await pilot.pause(0.01)
        await settle(pilot)
        inspector = await median_ms(pilot, stream_one, repeats)
        token_map = app.screen.query_one(TokenMap)
        token_map.cursor = 0
        await settle(pilot)
        cursor = await median_ms(pilot, lambda: token_map.action_move(1), repeats)
        app.generating = False
    return heatmap, inspector, cursor


def main(argv: list[str] | None = None) -> list[tuple[int, float, float, float]]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shown", type=int, nargs="+", default=[100, 500, 2000])
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--text", nargs="+", choices=sorted(TEXTS), default=["code", "noise"])
    args = parser.parse_args(argv)
    rows = []
    print("| text | tokens shown | frame, heatmap | frame, inspector open | cursor move in the inspector |")
    print("|---|---|---|---|---|")
    for text in args.text:
        for shown in args.shown:
            heatmap, inspector, cursor = asyncio.run(measure(shown, args.frames, TEXTS[text]))
            rows.append((shown, heatmap, inspector, cursor))
            print(f"| {text} | {shown:,} | {heatmap:.1f} ms | {inspector:.1f} ms | {cursor:.1f} ms |", flush=True)
    return rows


if __name__ == "__main__":
    main()
