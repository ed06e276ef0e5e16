"""Issue 13: the playground as a new user meets it (A/B state, loading, small things, values)."""

from __future__ import annotations

import asyncio
import dataclasses
import threading

from textual import events
from textual.widgets import Input, Label, ProgressBar, Select
from textual.widgets.text_area import BUILTIN_LANGUAGES

from playground import locations
from playground.config import load_config
from playground.engine.options import LoadOptions, LoadProgress
from playground.engine.types import LiveChange
from playground.params import SamplingParams
from playground.presets import find_preset
from playground.tui.app import create_app
from playground.tui.generation_control import QUEUED
from playground.tui.screens.help import HelpScreen
from playground.tui.session_control import suggested_name
from playground.tui.widgets.param_panel import ParameterPanel
from playground.tui.widgets.response_view import ResponseView
from playground.tui.widgets.status_bar import ModelStatus, StatusBar
from tests.fakes import GatedEngine, ScriptedEngine
from tests.tui.helpers import run_finished, scripted_app, wait_for

SIZE = (150, 45)


def notified(app, text: str) -> bool:
    return any(text in str(n.message) for n in app._notifications)


def test_leaving_two_responses_keeps_one_set_of_parameters_and_no_stale_headers():
    """Item 1: unlinked A/B, edit B, temperature 2.0, two responses off, max_new_tokens 8, F5."""
    async def scenario():
        app = scripted_app("def f():\n")
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            await pilot.click("#two-responses")
            await pilot.click("#link-columns")
            await pilot.click("#edit-column RadioButton:last-of-type")
            app.query_one("#input-temperature", Input).value = "2.0"
            app.query_one("#input-temperature", Input).focus()
            await pilot.press("enter")
            assert [str(v.border_title) for v in app.query(ResponseView)] == ["A · temperature 0.7",
                                                                             "B · temperature 2.0"]
            await pilot.click("#two-responses")  # off: the panel's column (B) is now the one set
            box = app.query_one("#input-max_new_tokens", Input)
            box.focus()
            box.value = "8"
            await pilot.press("enter")
            await pilot.press("f5")
            await wait_for(pilot, lambda: run_finished(app))
            request = app.scripted_engine.requests[-1]
            assert (request.params.max_new_tokens, request.params.temperature, request.columns) == (8, 2.0, None)
            assert str(app.query_one("#response-0", ResponseView).border_title) == "response"
            await pilot.click("#two-responses")  # on again: linked columns with those parameters
            assert app.state.linked and app.state.params_b == app.state.params
            assert [str(v.border_title) for v in app.query(ResponseView)] == ["response 1", "response 2"]
            assert app.query_one("#input-max_new_tokens", Input).value == "8"
    asyncio.run(scenario())


class HeldLoader:
    """A loader that reports bytes, then waits for the test before it returns (or fails)."""

    def __init__(self, engine=None, total: int = 4_500_000) -> None:
        self.engine, self.total = engine or ScriptedEngine(), total
        self.reported = threading.Event()
        self.go = threading.Event()
        self.fail = False

    def __call__(self, options, progress):
        progress(LoadProgress("loading weights", self.total // 3, self.total))
        self.reported.set()
        self.go.wait(timeout=240)  # a safety net for a failing test, not a synchronisation
        if self.fail:
            raise OSError("disk vanished")
        return self.engine


def test_f5_while_loading_is_queued_and_runs_when_the_model_is_ready_and_loading_shows_bytes():
    """Items 5 and 10 (the demo load's bar): progress in bytes, F5 queued with a status line."""
    async def scenario():
        loader = HeldLoader()
        app = create_app(LoadOptions(model="scripted-model"), loader=loader, prompt="x = 1\n")
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: loader.reported.is_set() and app.model_status.total == loader.total)
            bar = app.query_one(ProgressBar)
            assert bar.display and bar.total == loader.total and bar.progress == loader.total // 3
            assert "loading weights 1.5/4.5 MB" in str(app.query_one("#model-status", Label).render())
            await pilot.press("f5")
            assert app.generation.queued is not None and app.run_status == QUEUED
            assert notified(app, "starts as soon as it is ready")
            loader.go.set()
            await wait_for(pilot, lambda: run_finished(app))
            assert loader.engine.requests[-1].prompt == "x = 1\n" and not bar.display
    asyncio.run(scenario())


def test_a_queued_run_can_be_cancelled_and_is_dropped_when_loading_fails():
    async def scenario():
        loader = HeldLoader()
        app = create_app(LoadOptions(model="scripted-model"), loader=loader)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, loader.reported.is_set)
            await pilot.press("f5", "escape")
            assert app.generation.queued is None and app.run_status == "queued run cancelled"
            await pilot.press("f5")
            loader.fail = True
            loader.go.set()
            await wait_for(pilot, lambda: app.model_status.failed)
            assert app.generation.queued is None and "dropped" in app.run_status and not app.generating
    asyncio.run(scenario())


def test_the_status_line_shows_what_the_app_said_before_it_was_mounted():
    """The model can finish loading before the status bar exists: the bar is bound to the state."""
    async def scenario():
        app = scripted_app()
        app.model_status = ModelStatus("said before the screen existed", loading=False)
        async with app.run_test(size=SIZE):
            assert "said before" in str(app.query_one(StatusBar).query_one("#model-status", Label).render())
    asyncio.run(scenario())


def test_f4_during_a_run_and_copying_a_missing_column_say_why_they_do_nothing():
    """Item 6: F4 mid-run pins nothing; 'Copy response 2' with one response says there is none."""
    async def scenario():
        engine = GatedEngine()
        app = create_app(LoadOptions(model="scripted-model"), loader=lambda options, progress: engine)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            await pilot.press("f5")
            engine.gate.set()
            await wait_for(pilot, lambda: run_finished(app))
            engine.gate.clear()
            await pilot.press("f5")
            await wait_for(pilot, lambda: app.generating)
            await pilot.press("f4")
            assert app.state.params.seed is None and notified(app, "pin its seed once it has finished")
            engine.gate.set()
            await wait_for(pilot, lambda: run_finished(app))
            app.copy_to_clipboard("before")
            assert not app.action_keep(1, "copy")
            await pilot.pause()
            assert app.clipboard == "before" and notified(app, "there is no response 2")
    asyncio.run(scenario())


def test_a_saved_preset_keeps_max_new_tokens_none_and_export_has_live_changes_and_current_values():
    async def scenario():
        app = scripted_app("def f():\n", SamplingParams.make(max_new_tokens=None, top_k=7))
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            await app.run_action("save_preset")
            await pilot.pause()
            app.screen.query_one("#name-input", Input).value = "endless"
            await pilot.press("enter")
            await wait_for(pilot, lambda: (locations.user_presets_dir() / "endless.toml").exists())
            assert find_preset("endless").apply(SamplingParams()).max_new_tokens is None
            await pilot.press("f5")
            await wait_for(pilot, lambda: run_finished(app))
            record = app.keeper.session.runs[-1]
            app.keeper.session.runs[-1] = dataclasses.replace(
                record, live_changes=(LiveChange(row=0, at_token=3, name="temperature", value=0.0),))
            app.state = app.state.with_value("top_k", 40)  # changed after the run, before the export
            app.action_export_markdown()
            exported = next((locations.data_dir() / "exports").glob("*.md")).read_text()
            assert "live change: response 1 from token 3: `temperature=0.0`" in exported
            assert "Current parameters:" in exported and "`top_k=40`" in exported
            assert "`max_new_tokens=none`" in exported and "None" not in exported  # as typed, as presets write it
    asyncio.run(scenario())


def test_theme_commands_say_remembered_only_when_the_config_can_be_written(isolated_dirs):
    config = isolated_dirs / "config" / "starcoder-play" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("theme = [broken\n")

    async def scenario():
        app = scripted_app()
        async with app.run_test(size=SIZE):
            helps = {c.help for c in app.palette_commands() if c.title.startswith("Theme: ")}
            assert helps == {"Switch theme (not remembered: config.toml could not be read)"}
            app.theme = "starcoder-light"
        assert config.read_text() == "theme = [broken\n" and load_config().broken
    asyncio.run(scenario())


def test_keys_that_arrive_together_apply_in_order():
    """Item 7: Home, ctrl+k, 0.3, Enter in one burst (a paste, tmux, a macro) sets 0.3."""
    async def scenario():
        app = scripted_app()
        async with app.run_test(size=SIZE) as pilot:
            box = app.query_one("#input-temperature", Input)
            box.focus()
            await pilot.pause()
            for key, character in [("home", None), ("ctrl+k", None), ("0", "0"), ("full_stop", "."), ("3", "3"),
                                   ("enter", "\r")]:
                app.post_message(events.Key(key, character))  # all queued before any is handled
            await wait_for(pilot, lambda: app.state.params.temperature == 0.3)
            assert box.value == "0.3" and not notified(app, "got")
            box.value = ""
            app.post_message(events.Paste("\n  0.45\n"))
            await pilot.pause()
            await pilot.press("enter")
            assert app.state.params.temperature == 0.45
    asyncio.run(scenario())


def test_keys_after_a_tab_in_one_burst_go_to_the_next_box():
    """Item 7 across boxes: tab, 42, Enter in one burst set the seed (the next box), and leave
    max_new_tokens (the box tab left) as it was."""
    async def scenario():
        app = scripted_app()
        async with app.run_test(size=SIZE) as pilot:
            app.query_one("#input-max_new_tokens", Input).focus()
            await pilot.pause()
            for key, character in [("tab", "\t"), ("4", "4"), ("2", "2"), ("enter", "\r")]:
                app.post_message(events.Key(key, character))  # all queued before any is handled
            await wait_for(pilot, lambda: app.state.params.seed is not None or app.state.params.max_new_tokens != 512
                           or notified(app, "got"))
            assert (app.state.params.seed, app.state.params.max_new_tokens) == (42, 512)
            assert app.focused is app.query_one("#input-seed", Input)
    asyncio.run(scenario())


def test_a_name_typed_in_one_burst_is_the_name_saved():
    """Item 7 in the name dialog: ctrl+u, a name and Enter in one burst (tmux, a macro) save
    under that name, not an empty one (ctrl+u and Enter once ran after the letters)."""
    async def scenario():
        app = scripted_app("x = 1\n")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: bool(app.screen.query("#name-input")))
            for key, character in [("ctrl+u", None), *((c, c) for c in "first"), ("enter", "\r")]:
                app.post_message(events.Key(key, character))  # all queued before any is handled
            await wait_for(pilot, lambda: app.keeper.session.saved_path is not None or notified(app, "Type a name"))
            saved = app.keeper.session.saved_path
            assert saved is not None and saved.name == "first.json" and not notified(app, "Type a name")
    asyncio.run(scenario())


def test_value_boxes_show_every_value_whole():
    """Item 8: -1.5, -0.25, 63096, none and -0.01 fit their boxes."""
    async def scenario():
        app = scripted_app()
        async with app.run_test(size=SIZE) as pilot:
            app.state = app.state.with_params(SamplingParams.make(
                presence_penalty=-1.5, frequency_penalty=-0.25, max_new_tokens=63096, top_k=999))
            await pilot.pause()
            shown = {name: app.query_one(f"#input-{name}", Input) for name in
                     ("presence_penalty", "frequency_penalty", "max_new_tokens", "top_k")}
            assert [box.value for box in shown.values()] == ["-1.5", "-0.25", "63096", "999"]
            app.state = app.state.with_value("max_new_tokens", None).with_value("presence_penalty", -0.01)
            await pilot.pause()
            for name, value in (("max_new_tokens", "none"), ("presence_penalty", "-0.01"),
                                ("repetition_penalty", "1.0")):
                box = app.query_one(f"#input-{name}", Input)
                assert box.value == value and box.content_size.width >= len("1000000") + 1  # and the cursor
    asyncio.run(scenario())


def test_the_seed_used_fits_the_panel_and_help_shows_the_fill_marker():
    """Item 10: 'used <19 digits>' inside the panel; help says <FILL>; name for 'x = 1'; languages."""
    async def scenario():
        app = scripted_app()
        async with app.run_test(size=SIZE) as pilot:
            app.state = app.state.replace(last_seed=4514090615044403112)
            await pilot.pause()
            used, panel = app.query_one("#last-seed", Label), app.query_one(ParameterPanel)
            assert "used 4514090615044403112" in str(used.render())
            assert used.region.right <= panel.content_region.right
            languages = app.query_one("#language", Select)
            assert {value for _, value in languages._options if value != Select.BLANK} == set(BUILTIN_LANGUAGES)
            await pilot.press("f1")
            await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
            help_text = " ".join(str(cell) for table in app.screen.query("MarkdownTableContent")
                                 for row in table.rows for cell in row)
            assert "Fill-in-the-middle at <FILL> or the cursor" in help_text
    assert suggested_name("x = 1\n") == "x 1" and suggested_name("  \n") == "session"
    assert suggested_name("def fib(n):  # the classic\n") == "def fib n the classic"
    asyncio.run(scenario())
