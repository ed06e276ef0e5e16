"""Snapshots of the main states, made deterministic with a scripted engine and fixed sizes.

Update after an intended visual change with: pytest tests/tui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

from playground.engine.options import LoadOptions
from playground.engine.types import GenerationRequest
from playground.errors import UserError
from playground.params import SamplingParams
from playground.tui.app import create_app
from playground.tui.messages import TokensStreamed
from playground.tui.runs import RunState
from tests.tui.helpers import scripted_app, wait_for

SIZE = (130, 40)
PROMPT = "def fib(n):\n"


async def loaded(pilot):
    await wait_for(pilot, lambda: pilot.app.engine is not None)


async def finished(pilot):
    await loaded(pilot)
    await pilot.press("f5")
    await wait_for(pilot, lambda: pilot.app.run_state.result is not None and not pilot.app.generating)


def test_empty(snap_compare):
    assert snap_compare(scripted_app(), terminal_size=SIZE, run_before=loaded)


def test_streaming(snap_compare):
    async def streaming(pilot):
        await loaded(pilot)
        app = pilot.app
        app.run_state = RunState(request=GenerationRequest(PROMPT, app.params))
        app.generating = True
        app.on_tokens_streamed(TokensStreamed({0: "    if n < 2:\n        return n\n"}, {0: 9}, 0.4, 0.08))
        await pilot.pause()

    assert snap_compare(scripted_app(PROMPT), terminal_size=SIZE, run_before=streaming)


def test_finished(snap_compare):
    assert snap_compare(scripted_app(PROMPT, SamplingParams.make(seed=42)), terminal_size=SIZE, run_before=finished)


def test_two_responses(snap_compare):
    app = scripted_app(PROMPT, SamplingParams.make(seed=42, num_responses=2))
    assert snap_compare(app, terminal_size=SIZE, run_before=finished)


def test_load_error(snap_compare):
    def fail(options, progress):
        raise UserError("model not found: /models/missing is not a directory in transformers format", 1)

    async def failed(pilot):
        await wait_for(pilot, lambda: pilot.app.query_one("#load-demo").display)

    app = create_app(LoadOptions(model="/models/missing"), loader=fail)
    assert snap_compare(app, terminal_size=SIZE, run_before=failed)


def test_light_theme(snap_compare):
    async def light(pilot):
        pilot.app.theme = "starcoder-light"
        await finished(pilot)

    assert snap_compare(scripted_app(PROMPT, SamplingParams.make(seed=42)), terminal_size=SIZE, run_before=light)
