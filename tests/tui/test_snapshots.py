"""Snapshots of the main states, made deterministic with a scripted engine and fixed sizes.

Update after an intended visual change with: pytest tests/tui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

from textual.widgets import TextArea

from playground.engine.options import LoadOptions
from playground.engine.types import GenerationResult, ResponseResult, Timings, TokenEvent
from playground.errors import UserError
from playground.params import SamplingParams
from playground.runtime.running import Generation
from playground.tui.app import create_app
from playground.tui.messages import TokensStreamed
from playground.tui.runs import RunState
from tests.fakes import ScriptedEngine
from tests.tui.helpers import run_finished, scripted_app, wait_for

SIZE = (130, 40)
PROMPT = "def fib(n):\n"


def steady(app) -> None:
    """Blinking cursors make a capture depend on its timing: hold them still. A TextArea caches
    its rendered lines without the cursor when blinking stops; clear that cache, so a focused
    editor always shows its cursor."""
    for widget in app.screen.query("TextArea, Input"):
        widget.cursor_blink = False
    for area in app.screen.query(TextArea):
        area.notify_style_update()


async def loaded(pilot):
    await wait_for(pilot, lambda: pilot.app.engine is not None)
    steady(pilot.app)


async def finished(pilot):
    await loaded(pilot)
    await pilot.press("f5")
    await wait_for(pilot, lambda: run_finished(pilot.app))
    steady(pilot.app)


def test_empty(snap_compare):
    assert snap_compare(scripted_app(), terminal_size=SIZE, run_before=loaded)


def test_streaming(snap_compare):
    async def streaming(pilot):
        await loaded(pilot)
        app = pilot.app
        app.generation.run = RunState(Generation(app.engine, app.state.request(PROMPT)))
        app.generating = True
        app.on_tokens_streamed(TokensStreamed({0: "    if n < 2:\n        return n\n"}, {0: 9}, 0.4, 0.08))
        await pilot.pause()
        steady(app)

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
        steady(pilot.app)

    app = create_app(LoadOptions(model="/models/missing"), loader=fail)
    assert snap_compare(app, terminal_size=SIZE, run_before=failed)


def test_light_theme(snap_compare):
    async def light(pilot):
        pilot.app.theme = "starcoder-light"
        await finished(pilot)

    assert snap_compare(scripted_app(PROMPT, SamplingParams.make(seed=42)), terminal_size=SIZE, run_before=light)


class DivergingEngine(ScriptedEngine):
    """Two rows that share two tokens, then differ."""

    def generate(self, request, on_event=None, handle=None):
        rows = [["    if n < 2:\n", "        return n\n", "    return fib(n - 1) + fib(n - 2)\n"],
                ["    if n < 2:\n", "        return n\n", "    a, b = 0, 1\n", "    for _ in range(n):\n"]]
        for step in range(4):
            events = [TokenEvent(r, 100 + step + 10 * r * (step >= 2), rows[r][step])
                      for r in range(2) if step < len(rows[r])]
            on_event(events)
        responses = [ResponseResult(r, "".join(rows[r]), [100 + s + 10 * r * (s >= 2) for s in range(len(rows[r]))],
                                    "eos_token", 42, p) for r, p in enumerate(request.row_params())]
        return GenerationResult("scripted-model", 9, request.params.replace(seed=42), responses,
                                Timings(0.5, 0.085, 31.5, 0.2), columns=request.columns)


def test_unlinked_columns_with_divergence(snap_compare):
    engine = DivergingEngine()
    app = create_app(LoadOptions(model="scripted-model"), SamplingParams.make(seed=42, num_responses=2),
                     loader=lambda options, progress: engine, prompt=PROMPT)

    async def compare(pilot):
        await loaded(pilot)
        await pilot.click("#link-columns")
        pilot.app.query_one("#slider-temperature").focus()
        await pilot.press("home")
        await pilot.press("f5")
        await wait_for(pilot, lambda: run_finished(pilot.app))
        steady(pilot.app)

    assert snap_compare(app, terminal_size=SIZE, run_before=compare)


def test_sessions_screen(snap_compare):
    from playground.engine.types import Timings
    from playground.params import SamplingParams
    from playground.sessions.records import ModelRecord, ResponseRecord, RunRecord
    from playground.sessions.session import Session
    from playground.sessions.store import SessionStore

    store = SessionStore()
    for name, prompt in (("fibonacci", "def fib(n):\n"), ("quicksort", "function quickSort(items) {\n")):
        run = RunRecord("r" + name, "2026-11-25T10:00:00+00:00", ModelRecord("bigcode/starcoder2-15b"), prompt, None,
                        SamplingParams(seed=1), None, 3,
                        (ResponseRecord(0, "x", [1], "length", 1, SamplingParams(seed=1)),), (),
                        Timings(0, 0, 0, 0))
        session = Session(prompt=prompt, runs=[run])
        path = store.save(session, name)
        # save stamps the time: pin it again for a stable snapshot
        path.write_text(path.read_text().replace(session.updated_at, "2026-11-25T10:00:00+00:00"))

    async def sessions(pilot):
        await loaded(pilot)
        await pilot.press("f2")
        await pilot.pause()
        steady(pilot.app)

    assert snap_compare(scripted_app(), terminal_size=SIZE, run_before=sessions)


def test_small_terminal(snap_compare):
    """80×24: the editor and the responses keep the width; the panel waits behind ctrl+b."""
    assert snap_compare(scripted_app(PROMPT, SamplingParams.make(seed=42)), terminal_size=(80, 24), run_before=finished)


def test_small_terminal_with_the_panel(snap_compare):
    async def panel(pilot):
        await finished(pilot)
        await pilot.press("ctrl+b")
        await pilot.pause()
        steady(pilot.app)

    assert snap_compare(scripted_app(PROMPT, SamplingParams.make(seed=42)), terminal_size=(80, 24), run_before=panel)
