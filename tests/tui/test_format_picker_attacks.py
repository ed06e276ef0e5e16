"""The format picker under hostile input: boolean schemas, markup in values and messages, a
grammar the model cannot use, each shown as plain text in one line; the app keeps running."""

from __future__ import annotations

import asyncio
import re

from textual.widgets import Label

from playground.params import SamplingParams
from playground.response_format import ResponseFormat
from playground.tui.widgets.format_picker import FormatPicker
from tests.tui.helpers import run_finished, tiny_app, wait_for
from tests.tui.test_format_picker import SIZE, pick


def test_hostile_formats_in_the_picker_are_plain_one_line_problems(tiny_model_dir):
    async def scenario():
        app = tiny_app(tiny_model_dir, SamplingParams.make(max_new_tokens=6, seed=3, num_responses=2))
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            picker = app.query_one(FormatPicker)
            problem = app.query_one("#format-problem", Label)
            await pick(pilot, app, "json_schema", "true")  # a boolean schema: any JSON value
            assert app.state.params.response_format == ResponseFormat("json_schema", "true") and not picker.problem
            await pick(pilot, app, "json_schema", "false")
            assert picker.problem.startswith("JSON Schema false allows no value")
            await pick(pilot, app, "json_schema", '{"$ref": "#"}')
            assert "no text can satisfy it" in picker.problem
            await pick(pilot, app, "regex", "[/INST](")
            assert picker.problem.startswith('regex: invalid regex "[/INST]("') and "\n" not in picker.problem
            assert str(problem.render()) == picker.problem  # shown as typed, not as markup
            await pick(pilot, app, "regex", "[bold]x[/bold]")
            assert app.state.params.response_format.value == "[bold]x[/bold]"
            await pick(pilot, app, "grammar", 'start: <|no_such_token|> "x"')  # only the model can tell
            await pilot.press("f5")
            await wait_for(pilot, lambda: any("this model cannot use it" in str(n.message)
                                              for n in app._notifications))
            await pick(pilot, app, "regex", "[bold]x[/bold]")
            await pilot.press("f5")
            await wait_for(pilot, lambda: run_finished(app))
            texts = [r.text for r in app.generation.run.result.responses]
            assert all(re.fullmatch("[bold]x[/bold]", text) for text in texts), texts  # classes, not markup
    asyncio.run(scenario())
