"""Issue 13: keyboard flow, the stop list, small terminals, files, the tokens view, copying."""

from __future__ import annotations

import asyncio

from textual.widgets import DataTable, Input, Label, ListView, TextArea

from playground.engine.options import LoadOptions
from playground.errors import UserError
from playground.params import SamplingParams
from playground.tui.app import create_app
from playground.tui.screens.path_prompt import PathPrompt, complete_path
from playground.tui.screens.tokens import TokensScreen
from playground.tui.widgets.param_panel import ParameterPanel
from playground.tui.widgets.prompt_editor import PromptEditor
from playground.tui.widgets.response_view import ResponseView
from playground.tui.widgets.stop_list import StopList, shown_stop
from tests.fakes import ScriptedEngine
from tests.tui.helpers import run_finished, run_from_palette, scripted_app, wait_for

SIZE = (150, 45)


def area(app) -> str:
    """Which area has focus: the editor, the panel or the responses."""
    focused = app.focused
    for name, kind in (("editor", PromptEditor), ("panel", ParameterPanel), ("responses", ResponseView)):
        if isinstance(focused, kind) or any(isinstance(a, kind) for a in focused.ancestors):
            return name
    return type(focused).__name__


async def palette(pilot, command: str) -> None:
    await run_from_palette(pilot, command)


def test_f6_cycles_editor_panel_responses_and_focus_comes_back_after_every_screen():
    """Item 11: a visible path for focus; select-all and clear prompt; focus restored."""
    async def scenario():
        app = scripted_app("first line\nsecond line\n")
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            assert area(app) == "editor"
            await pilot.press("f6")
            assert area(app) == "panel"
            await pilot.press("f6")
            assert area(app) == "responses"
            await pilot.press("f6")
            assert area(app) == "editor"
            await pilot.press("shift+f6")
            assert area(app) == "responses"
            await pilot.press("shift+f6", "tab")  # within the panel, tab moves to the next control
            panel_control = app.focused
            await pilot.press("f6", "f6", "f6")  # round the cycle: back where focus was in the panel
            assert app.focused is panel_control
            await pilot.press("f6", "f6")
            editor = app.query_one(PromptEditor)
            await pilot.press("ctrl+a")
            assert editor.selected_text == editor.text
            await pilot.press("f1")
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is app.default_screen)
            assert app.focused is editor
            await palette(pilot, "Clear the prompt")
            assert editor.text == "" and app.focused is editor
            await pilot.press("ctrl+z")
            assert editor.text == "first line\nsecond line\n"  # undoable
    asyncio.run(scenario())


def test_loading_the_demo_model_from_the_palette_leaves_the_keys_working():
    def fail(options, progress):
        if not options.demo:
            raise UserError("model not found: /models/missing", 1)
        return ScriptedEngine()

    async def scenario():
        app = create_app(LoadOptions(model="/models/missing"), loader=fail)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.model_status.failed)
            await pilot.click("#load-demo")  # a click leaves focus where it was
            await wait_for(pilot, lambda: app.engine is not None)
            assert isinstance(app.focused, PromptEditor)
            app.engine = None
            app.model_status = app.model_status.__class__("failed again", loading=False, failed=True)
            await palette(pilot, "Load the demo model")
            await wait_for(pilot, lambda: app.engine is not None)
            await pilot.press("a")
            assert app.query_one(PromptEditor).text == "a"
    asyncio.run(scenario())


def test_the_demo_model_offered_after_a_server_failed_loads_here():
    asked: list[LoadOptions] = []

    def fail(options, progress):
        asked.append(options)
        if options.server is not None:  # --server wins over --demo when both are given
            raise UserError("cannot reach the server at http://127.0.0.1:9", 2)
        return ScriptedEngine()

    async def scenario():
        app = create_app(LoadOptions(server="http://127.0.0.1:9"), loader=fail)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.model_status.failed)
            await pilot.click("#load-demo")
            await wait_for(pilot, lambda: len(asked) == 2 and (app.engine is not None or app.model_status.failed))
            assert asked[1].demo and asked[1].server is None and app.engine is not None
    asyncio.run(scenario())


def test_stop_list_delete_works_on_the_first_item_keeps_the_highlight_and_shows_spaces():
    """Item 12."""
    assert shown_stop("  available") == "␠␠available" and shown_stop("\ndef ") == "\\ndef␠"
    assert shown_stop(" ") == "␠" and shown_stop("a b") == "a b"

    async def scenario():
        app = scripted_app(params=SamplingParams.make(stop=("\n\n", "  available", "\nclass ", "[b]x[/b]")))
        async with app.run_test(size=SIZE) as pilot:
            labels = [str(label.render()) for label in app.query_one(StopList).query(Label)][1:]
            assert labels == ["\\n\\n", "␠␠available", "\\nclass␠", "[b]x[/b]"]  # markup shown as text
            view = app.query_one("#stop-items", ListView)
            view.focus()
            await pilot.press("delete")  # no ↓ first: the first one goes
            assert app.state.params.stop == ("  available", "\nclass ", "[b]x[/b]")
            await pilot.press("down", "delete")
            assert app.state.params.stop == ("  available", "[b]x[/b]") and view.index == 1
            await pilot.press("delete")
            assert app.state.params.stop == ("  available",) and view.index == 0
    asyncio.run(scenario())


def test_at_80_by_24_the_editor_keeps_the_width_and_ctrl_b_shows_the_panel():
    """Item 9."""
    async def scenario():
        app = scripted_app("x = 1\n")
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            panel, editor = app.query_one(ParameterPanel), app.query_one(PromptEditor)
            assert not panel.display and editor.size.width >= 70
            await pilot.press("ctrl+b")
            await wait_for(pilot, lambda: area(app) == "panel")
            assert panel.display and editor.size.width >= 24 and panel.region.right <= 80
            await pilot.press("ctrl+b")
            assert not panel.display and area(app) == "editor"
        wide = scripted_app()
        async with wide.run_test(size=SIZE) as pilot:
            assert wide.query_one(ParameterPanel).display
            await pilot.press("ctrl+b")
            assert not wide.query_one(ParameterPanel).display
    asyncio.run(scenario())


def test_open_a_file_with_completion_and_save_a_response_to_one(tmp_path, monkeypatch):
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "quicksort.rs").write_text("fn quicksort(items: &mut [i32]) {\n")
    (tmp_path / "notes.bin").write_bytes(b"\x00\x01")
    monkeypatch.chdir(tmp_path)
    assert complete_path("pro") == "project/" and complete_path("project/q") == "project/quicksort.rs"
    assert complete_path("zzz") is None

    async def scenario():
        app = scripted_app("old prompt\n")
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            await pilot.press("ctrl+o")
            await wait_for(pilot, lambda: isinstance(app.screen, PathPrompt))
            box = app.screen.query_one("#path-input", Input)
            box.value = "pro"
            await pilot.press("tab")
            await pilot.press("q", "tab", "enter")
            await wait_for(pilot, lambda: app.screen is app.default_screen)
            editor = app.query_one(PromptEditor)
            assert editor.text == "fn quicksort(items: &mut [i32]) {\n" and app.state.language == "rust"
            assert app.focused is editor
            await pilot.press("ctrl+o")
            await wait_for(pilot, lambda: isinstance(app.screen, PathPrompt))
            app.screen.query_one("#path-input", Input).value = "notes.bin"
            await pilot.press("enter")
            await pilot.pause()
            assert any("binary" in str(n.message) for n in app._notifications)
            await pilot.press("f5")
            await wait_for(pilot, lambda: run_finished(app))
            await app.run_action("save_response(0)")
            await wait_for(pilot, lambda: isinstance(app.screen, PathPrompt))
            assert app.screen.query_one("#path-input", Input).value == "response-1.rs"
            await pilot.press("enter")
            await wait_for(pilot, lambda: (tmp_path / "response-1.rs").exists())
            assert (tmp_path / "response-1.rs").read_text() == "".join(app.scripted_engine.script)
            assert (tmp_path / "response-1.rs").stat().st_mode & 0o077 == 0
    asyncio.run(scenario())


def test_the_tokens_view_shows_the_exact_fill_in_the_middle_prompt():
    async def scenario():
        app = scripted_app("def f():\n    <FILL>\n\nprint(f())\n")
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            await pilot.press("f8", "f9")
            await wait_for(pilot, lambda: isinstance(app.screen, TokensScreen))
            formatted = app.screen.query_one("#formatted", TextArea).text
            assert formatted == "<fim_prefix>def f():\n    <fim_suffix>\n\nprint(f())\n<fim_middle>"
            table = app.screen.query_one(DataTable)
            engine = app.scripted_engine
            ids = engine.prepare(app.generation.current_request()).ids
            assert table.row_count == len(ids) and [str(table.get_row_at(i)[1]) for i in range(3)] == \
                [str(i) for i in ids[:3]]
            assert str(table.get_row_at(1)[3]) == "␠"  # whitespace shown
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is app.default_screen)
            assert isinstance(app.focused, PromptEditor)
    asyncio.run(scenario())


def test_text_in_a_response_can_be_selected_and_copied():
    async def scenario():
        app = scripted_app("def fib(n):\n")
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            await pilot.press("f5")
            await wait_for(pilot, lambda: run_finished(app))
            view = app.query_one("#response-0", ResponseView)
            await pilot.click(view, offset=(2, 1))
            assert app.focused is view
            await pilot.press("ctrl+a", "ctrl+c")
            assert app.clipboard == view.text
            view.move_cursor((1, 3))
            await pilot.press("home", "shift+end", "ctrl+c")
            assert app.clipboard == view.text.splitlines()[1] == "        return n"
    asyncio.run(scenario())


def test_escape_closes_a_dialog_over_a_running_generation_instead_of_stopping_it():
    from tests.fakes import GatedEngine

    async def scenario():
        engine = GatedEngine()
        app = create_app(LoadOptions(model="scripted-model"), loader=lambda options, progress: engine)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            await pilot.press("f5")
            await wait_for(pilot, lambda: app.generating)
            await pilot.press("f1")
            await wait_for(pilot, lambda: app.screen is not app.default_screen)
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is app.default_screen)
            assert app.generating and not app.generation.run.generation.handle.cancelled
            await pilot.press("escape")  # on the main screen, escape stops the run
            assert app.generation.run.generation.handle.cancelled
            engine.gate.set()
            await wait_for(pilot, lambda: run_finished(app))
    asyncio.run(scenario())
