"""The playground's format picker: checked as you type, per column, in headers, refused mid-stream."""

from __future__ import annotations

import asyncio
import re

from textual.widgets import Label, Select, TextArea

from playground.params import SamplingParams
from playground.response_format import ResponseFormat
from playground.tui.widgets.format_picker import FormatPicker
from playground.tui.widgets.response_view import ResponseView
from tests.tui.helpers import ForwardGate, run_finished, tiny_app, wait_for

SIZE = (150, 45)


async def pick(pilot, app, kind: str, text: str | None = None) -> None:
    app.query_one("#format-type", Select).value = kind
    await pilot.pause()
    if text is not None:
        app.query_one("#format-value", TextArea).load_text(text)
        await pilot.pause()


def test_a_format_is_checked_as_you_type_and_used_by_the_next_run(tiny_model_dir):
    async def scenario():
        app = tiny_app(tiny_model_dir, SamplingParams.make(max_new_tokens=20, seed=3, temperature=0))
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            picker = app.query_one(FormatPicker)
            problem = app.query_one("#format-problem", Label)
            assert not app.query_one("#format-value", TextArea).display  # text: no editor
            await pick(pilot, app, "regex", "[a-z]{2,4}_[0-9]")
            assert app.state.params.response_format == ResponseFormat("regex", "[a-z]{2,4}_[0-9]")
            await pick(pilot, app, "regex", "[a-z")  # a typo: one plain line, the last valid format stays
            assert picker.problem.startswith('regex: invalid regex "[a-z"') and problem.display
            assert "\n" not in picker.problem and str(problem.render()) == picker.problem
            assert app.state.params.response_format.value == "[a-z]{2,4}_[0-9]"
            await pick(pilot, app, "regex", "[a-z]{2,4}_[0-9]")
            assert not problem.display
            await pilot.press("f5")
            await wait_for(pilot, lambda: run_finished(app))
            response = app.generation.run.result.responses[0]
            assert re.fullmatch("[a-z]{2,4}_[0-9]", response.text) and response.format_complete
            assert "eos_token, format complete" in str(app.query_one("#response-0", ResponseView).border_subtitle)
            await pick(pilot, app, "json_schema", '{"type": "object", "if": {}}')
            assert picker.problem == 'JSON Schema: Unimplemented keys: ["if"]'
            await pick(pilot, app, "json")
            assert app.state.params.response_format == ResponseFormat("json") and not picker.problem
    asyncio.run(scenario())


def test_unlinked_columns_keep_their_own_formats_in_their_headers(tiny_model_dir):
    async def scenario():
        params = SamplingParams.make(max_new_tokens=30, seed=3, num_responses=2)
        app = tiny_app(tiny_model_dir, params)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            app.state = app.state.with_columns(linked=False, editing=0)
            await pick(pilot, app, "json")
            app.state = app.state.with_columns(linked=False, editing=1)
            await pilot.pause()
            assert app.query_one(FormatPicker).response_format == ResponseFormat()  # B's, shown
            await pick(pilot, app, "regex", "[0-9]{3}")
            assert app.state.params.response_format.type == "json"
            assert app.state.params_b.response_format == ResponseFormat("regex", "[0-9]{3}")
            titles = [str(view.border_title) for view in app.query(ResponseView)]
            assert titles == ["A · format JSON", "B · format regex [0-9]{3}"]
            await pilot.press("f5")
            await wait_for(pilot, lambda: run_finished(app))
            first, second = app.generation.run.result.responses
            assert first.params.response_format.type == "json" and re.fullmatch("[0-9]{3}", second.text)
    asyncio.run(scenario())


def test_changing_the_format_mid_stream_is_refused_in_one_line(tiny_model_dir):
    async def scenario():
        gate = ForwardGate(at=4)
        app = tiny_app(tiny_model_dir, SamplingParams.make(max_new_tokens=12, seed=5), loader=gate.loader)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            await pilot.press("f5")
            await wait_for(pilot, gate.reached.is_set)  # held mid-stream
            await pick(pilot, app, "json")
            gate.release()
            await wait_for(pilot, lambda: run_finished(app))
            result = app.generation.run.result
            assert result.responses[0].format_complete is None and not result.live_changes
            assert any("cannot change while a response streams" in str(n.message) for n in app._notifications)
            assert app.state.params.response_format == ResponseFormat("json")  # for the next run
    asyncio.run(scenario())
