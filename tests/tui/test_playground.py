"""The playground driven like a user would, with a real tiny model loaded by the real loader."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import Input, RadioSet, Select, Switch

from playground.config import load_config
from playground.engine.options import LoadOptions
from playground.params import SamplingParams
from playground.tui.app import create_app
from playground.tui.widgets.param_control import ParamControl
from playground.tui.widgets.param_panel import ParameterPanel
from playground.tui.widgets.prompt_editor import PromptEditor
from playground.tui.widgets.response_view import ResponseView
from playground.tui.widgets.seed_field import SeedField
from playground.tui.widgets.slider import Slider
from playground.tui.widgets.stop_list import StopList
from tests.fakes import FakeLoaded, GatedEngine, ScriptedEngine
from tests.tui.helpers import ForwardGate, run_finished, run_from_palette, scripted_app, tiny_app, wait_for

SIZE = (150, 45)


def test_type_generate_and_see_streamed_text(tiny_model_dir):
    async def scenario():
        app = tiny_app(tiny_model_dir, SamplingParams.make(max_new_tokens=60, seed=3))
        async with app.run_test(size=SIZE) as pilot:
            assert isinstance(app.focused, PromptEditor)  # the editor has focus on start
            await wait_for(pilot, lambda: app.engine is not None)
            await pilot.press(*"def f(x):", "enter")
            await pilot.press("f5")
            await wait_for(pilot, lambda: run_finished(app))
            result = app.generation.run.result
            view = app.query_one("#response-0", ResponseView)
            assert view.streamed == result.responses[0].text and len(result.responses[0].token_ids) == 60
            assert app.generation.run.request.prompt == "def f(x):\n"
            assert f"seed {result.seed}" in str(app.query_one("#run-status").render())
            assert "tokens" in str(app.query_one(PromptEditor).border_subtitle)
    asyncio.run(scenario())


def test_stop_mid_stream_keeps_the_partial_response(tiny_model_dir):
    async def scenario():
        gate = ForwardGate(at=8)
        app = tiny_app(tiny_model_dir, SamplingParams.make(max_new_tokens=None, seed=1), loader=gate.loader)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            await pilot.press("f5")
            await wait_for(pilot, gate.reached.is_set)  # held mid-stream
            await pilot.press("escape")
            gate.release()
            await wait_for(pilot, lambda: not app.generating)
            response = app.generation.run.result.responses[0]
            assert response.finish_reason == "cancelled"
            assert 5 < len(response.token_ids) < app.engine.context_window - 1
            assert app.query_one("#response-0", ResponseView).streamed == response.text
            assert "cancelled" in str(app.query_one("#run-status").render())
    asyncio.run(scenario())


def test_slider_by_keyboard_updates_the_parameters():
    async def scenario():
        app = scripted_app()
        async with app.run_test(size=SIZE) as pilot:
            slider = app.query_one("#slider-temperature", Slider)
            slider.focus()
            await pilot.press("right")
            assert app.state.params.temperature == pytest.approx(0.71)
            await pilot.press("shift+right")
            assert app.state.params.temperature == pytest.approx(0.81)
            await pilot.press("home")
            assert app.state.params.temperature == 0.0
            await pilot.press("end")
            assert app.state.params.temperature == 2.0  # the track's end; typed values go up to 100
            assert app.query_one("#input-temperature").value == "2.0"
            app.query_one("#slider-max_new_tokens", Slider).focus()
            await pilot.press("shift+left")
            assert app.state.params.max_new_tokens < 512
    asyncio.run(scenario())


def test_slider_by_mouse_click_and_drag():
    async def scenario():
        app = scripted_app()
        async with app.run_test(size=SIZE) as pilot:
            slider = app.query_one("#slider-top_p", Slider)
            await pilot.click(slider, offset=(0, 0))
            assert app.state.params.top_p == pytest.approx(0.01)  # top_p may not be 0: the track starts a step above
            width = slider.content_size.width
            await pilot.click(slider, offset=(width - 1, 0))
            assert app.state.params.top_p == 1.0
            await pilot.mouse_down(slider, offset=(0, 0))
            await pilot.hover(slider, offset=(width // 2, 0))
            await pilot.mouse_up(slider, offset=(width // 2, 0))
            assert 0.4 < app.state.params.top_p < 0.6
    asyncio.run(scenario())


def test_typed_exact_values_and_invalid_ones():
    async def scenario():
        app = scripted_app()
        async with app.run_test(size=SIZE) as pilot:
            box = app.query_one("#input-temperature")
            box.focus()
            box.value = "5"
            await pilot.press("enter")
            assert app.state.params.temperature == 5.0  # beyond the track, still valid
            assert app.query_one("#slider-temperature", Slider).value == 2.0
            box.value = "abc"
            await pilot.press("enter")
            await pilot.pause()
            assert app.state.params.temperature == 5.0 and box.value == "5.0"
            assert any("temperature must be between 0 and 100" in n.message for n in app._notifications)
            top_k = app.query_one("#input-top_k")
            top_k.focus()
            top_k.value = "1.5"
            await pilot.press("enter")
            assert app.state.params.top_k == 0
    asyncio.run(scenario())


def test_seed_stops_and_two_responses_from_the_panel():
    async def scenario():
        app = scripted_app()
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            await pilot.press("f5")
            await wait_for(pilot, lambda: run_finished(app))
            await pilot.press("f4")  # pin the seed just used
            assert app.state.params.seed == 42 and app.query_one("#input-seed").value == "42"
            stop_box = app.query_one("#input-stop")
            stop_box.focus()
            stop_box.value = "\\n\\n"
            await pilot.press("enter")
            assert app.state.params.stop == ("\n\n",)
            app.query_one("#stop-items").focus()
            await pilot.press("down", "delete")
            assert app.state.params.stop == ()
            await pilot.click("#two-responses")
            assert app.state.params.num_responses == 2
            await pilot.press("f5")
            await wait_for(pilot, lambda: not app.generating and len(app.generation.run.result.responses) == 2)
            assert app.query_one("#response-1").display
            assert app.query_one("#response-1", ResponseView).streamed == "".join(app.scripted_engine.script)
    asyncio.run(scenario())


def test_live_slider_change_applies_mid_stream_and_is_recorded(tiny_model_dir):
    async def scenario():
        gate = ForwardGate(at=6)
        app = tiny_app(tiny_model_dir, SamplingParams.make(max_new_tokens=None, seed=5), loader=gate.loader)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            await pilot.press("f5")
            await wait_for(pilot, gate.reached.is_set)  # held mid-stream
            app.query_one("#slider-temperature", Slider).focus()
            await pilot.press("home")
            gate.release()
            await wait_for(pilot, lambda: run_finished(app))
            changes = app.generation.run.result.live_changes
            assert [(c.name, c.value) for c in changes] == [("temperature", 0.0)]
            assert 3 < changes[0].at_token < len(app.generation.run.result.responses[0].token_ids)
    asyncio.run(scenario())


def test_fill_in_the_middle_round_trip():
    async def scenario():
        prompt = "def fib(n):\n<FILL>\n\nprint(fib(10))\n"
        app = scripted_app(prompt)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            await pilot.press("f8")
            assert app.state.fim
            await pilot.press("f5")
            await wait_for(pilot, lambda: run_finished(app))
            request = app.scripted_engine.requests[-1]
            assert (request.prompt, request.suffix) == ("def fib(n):\n", "\n\nprint(fib(10))\n")
            view = app.query_one("#response-0", ResponseView)
            fill = "".join(app.scripted_engine.script)
            assert view.text == "def fib(n):\n" + fill + "\n\nprint(fib(10))\n"
            assert view.selected_text == fill  # the fill is highlighted in place
            await pilot.press("f3")  # continue: the fill goes into the hole
            editor = app.query_one(PromptEditor)
            assert editor.text == "def fib(n):\n" + fill + "\n\nprint(fib(10))\n" and not app.state.fim
    asyncio.run(scenario())


def test_the_fill_is_highlighted_from_the_runs_request_not_the_current_toggle():
    async def scenario():
        engine = GatedEngine()
        app = create_app(LoadOptions(model="scripted-model"), loader=lambda options, progress: engine,
                         prompt="a = <FILL>\n")
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            view = app.query_one("#response-0", ResponseView)
            await pilot.press("f8", "f5", "f8")  # a fill asked for, then FIM switched off while it runs
            engine.gate.set()
            await wait_for(pilot, lambda: run_finished(app))
            assert not app.state.fim and view.selected_text == "".join(engine.script)
            engine.gate.clear()
            await pilot.press("f5", "f8")  # a completion asked for, then FIM switched on while it runs
            engine.gate.set()
            await wait_for(pilot, lambda: run_finished(app) and len(engine.requests) == 2)
            assert app.state.fim and not engine.requests[-1].is_fim and view.selected_text == ""
    asyncio.run(scenario())


def test_the_panel_shows_the_apps_state_without_posting_it_back():
    intents = (ParameterPanel.Changed, ParameterPanel.ColumnsChanged, ParameterPanel.PresetChosen,
               ParameterPanel.LanguageChanged, ParamControl.Changed, SeedField.Changed, StopList.Changed,
               Switch.Changed, RadioSet.Changed, Select.Changed)

    async def scenario():
        app = scripted_app()
        async with app.run_test(size=SIZE) as pilot:
            panel = app.query_one(ParameterPanel)
            posted = []
            post = panel.post_message
            panel.post_message = lambda message: posted.append(message) or post(message)
            app.action_apply_preset("greedy")
            app.state = app.state.with_value("num_responses", 2).with_columns(linked=False, editing=1)
            app.state = app.state.with_value("stop", ("\n\n",)).replace(language="rust")
            await pilot.pause()
            assert app.query_one("#input-temperature", Input).value == "0.0"
            assert app.query_one("#edit-column", RadioSet).pressed_index == 1
            assert app.query_one(StopList).stops == ("\n\n",) and app.query_one(PromptEditor).language == "rust"
            assert not [message for message in posted if isinstance(message, intents)]
    asyncio.run(scenario())


def test_fim_without_a_marker_uses_the_cursor():
    async def scenario():
        app = scripted_app("a = 1\nb = 2\n")
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            app.query_one(PromptEditor).move_cursor((1, 0))
            await pilot.press("f8", "f5")
            await wait_for(pilot, lambda: run_finished(app))
            request = app.scripted_engine.requests[-1]
            assert (request.prompt, request.suffix) == ("a = 1\n", "b = 2\n")
    asyncio.run(scenario())


def test_load_failure_keeps_the_app_usable_and_offers_the_demo(tmp_path):
    async def scenario():
        app = create_app(LoadOptions(model=str(tmp_path / "no-such-model"), device="cpu"))
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.query_one("#load-demo").display)
            status = str(app.query_one("#model-status").render())
            assert "model not found" in status and "Traceback" not in status
            await pilot.press(*"x = 1")
            assert app.query_one(PromptEditor).text == "x = 1"
            await pilot.press("f5")  # no model: a notice, not a crash
            assert not app.generating
            await pilot.click("#load-demo")
            await wait_for(pilot, lambda: app.engine is not None)
            assert "demo model" in str(app.query_one("#model-status").render())
    asyncio.run(scenario())


def test_loading_warnings_are_shown_once_as_text():
    warning = "--revision [b]v1[/] is ignored: ./model is a local directory"
    engine = ScriptedEngine(loaded=FakeLoaded("scripted-model", warnings=(warning,)))

    async def scenario():
        app = create_app(LoadOptions(model="scripted-model"), loader=lambda options, progress: engine)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            shown = [n for n in app._notifications if n.severity == "warning"]
            assert [(n.message, n.markup) for n in shown] == [(warning, False)]
    asyncio.run(scenario())


def test_generation_error_is_one_line_in_the_status(tiny_model_dir):
    async def scenario():
        app = tiny_app(tiny_model_dir)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            app.query_one(PromptEditor).load_text("x = 1\n" * 200)  # longer than the 160-token context
            await pilot.press("f5")
            await wait_for(pilot, lambda: not app.generating)
            assert "context window is 160" in str(app.query_one("#run-status").render())
    asyncio.run(scenario())


def test_theme_choice_is_remembered_and_drives_syntax_colours():
    async def scenario():
        app = scripted_app()
        async with app.run_test(size=SIZE) as pilot:
            app.theme = "starcoder-light"
            await wait_for(pilot, lambda: app.engine is not None)
            assert app.query_one(PromptEditor).theme == "github_light"
        assert load_config().theme == "starcoder-light"
        again = scripted_app()
        async with again.run_test(size=SIZE) as pilot:
            # leave once loaded: ModelLoaded arriving mid-shutdown is the app race issue 13 names
            await wait_for(pilot, lambda: again.engine is not None)
            assert again.theme == "starcoder-light"
            await wait_for(pilot, lambda: again.engine is not None)  # leave once loading has ended
    asyncio.run(scenario())


def test_launching_never_rewrites_config_toml(isolated_dirs):
    config = isolated_dirs / "config" / "starcoder-play" / "config.toml"

    async def launch():
        app = scripted_app()
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)

    asyncio.run(launch())
    assert not config.exists()  # the default theme, applied, is not a choice to remember
    config.parent.mkdir(parents=True)
    config.write_text('# mine\ntheme = "midnight-terminal"  # dark\n')
    before = config.stat().st_mtime_ns
    asyncio.run(launch())
    assert config.read_text() == '# mine\ntheme = "midnight-terminal"  # dark\n'
    assert config.stat().st_mtime_ns == before


def test_broken_theme_file_is_reported_and_skipped(isolated_dirs):
    themes = isolated_dirs / "config" / "starcoder-play" / "themes"
    themes.mkdir(parents=True)
    (themes / "broken.toml").write_text('name = "broken"\nprimary = "not-a-colour"\n')
    (themes / "mine.toml").write_text('name = "mine"\nprimary = "#ff0000"\ndark = false\n')

    async def scenario():
        app = scripted_app()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert "mine" in app.available_themes and "broken" not in app.available_themes
            assert any("broken.toml" in n.message for n in app._notifications)
    asyncio.run(scenario())


def test_user_keymap_remaps_a_binding_by_id(isolated_dirs):
    config = isolated_dirs / "config" / "starcoder-play" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[keymap]\ngenerate = "f9"\n')

    async def scenario():
        app = scripted_app()
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            await pilot.press("f9")
            await wait_for(pilot, lambda: run_finished(app))
    asyncio.run(scenario())


def test_palette_has_presets_and_applying_one_updates_the_panel():
    async def scenario():
        app = scripted_app()
        async with app.run_test(size=SIZE) as pilot:
            titles = [c.title for c in app.palette_commands()]
            assert {"Preset: precise-code", "Fill-in-the-middle: toggle", "Clear output", "Copy response 1",
                    "Save session", "Sessions", "Replay last run", "Export session to Markdown",
                    "Theme: starcoder-light", "Open a file into the editor", "Show the prompt's tokens",
                    "Save response 1 to a file", "Clear the prompt"} <= set(titles)
            assert "Copy response 2" not in titles  # one response: no second column to keep
            app.state = app.state.with_value("num_responses", 2)
            assert "Copy response 2" in [c.title for c in app.palette_commands()]
            await run_from_palette(pilot, "Preset: precise-code")  # the provider's hit runs the app's action
            await wait_for(pilot, lambda: app.state.params.temperature == 0.2)
            assert app.state.params.top_p == 0.95 and app.query_one("#input-temperature", Input).value == "0.2"
            await run_from_palette(pilot, "Theme: starcoder-light")
            await wait_for(pilot, lambda: app.theme == "starcoder-light")
    asyncio.run(scenario())


def test_help_screen_lists_binding_ids():
    async def scenario():
        app = scripted_app()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("f1")
            await pilot.pause()
            assert app.screen.__class__.__name__ == "HelpScreen"
            assert {"generate", "stop", "pin-seed", "toggle-fim"} <= {key.id for key in app.screen.keys}
            await pilot.press("escape")
            assert app.screen.__class__.__name__ != "HelpScreen"
    asyncio.run(scenario())
