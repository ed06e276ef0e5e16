"""Text with square brackets, typed into every box of the playground and read from every kind
of file, reaches the screen as the literal text: never parsed as markup, never a crash."""

from __future__ import annotations

import asyncio
import html
import re
from typing import Any

from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Label

from playground import locations
from playground.engine.options import LoadOptions
from playground.params import PARAMETERS, SamplingParams, escape, unescape
from playground.runtime.keeper import SessionKeeper
from playground.sessions.session import Session
from playground.tui.app import PlaygroundApp, create_app
from playground.tui.widgets.param_panel import SLIDER_PARAMETERS
from playground.tui.widgets.prompt_editor import PromptEditor
from playground.tui.widgets.responses import ResponsesPane
from playground.tui.widgets.stop_list import StopListView
from tests.tui.helpers import palette_settled, run_finished, scripted_app, type_in_palette, wait_for

SIZE = (160, 50)
#: Each of these once crashed the playground (MarkupError) or lost its brackets.
BRACKETED = ["[/]", "[/INST]", "[x=", "[bold]", "\\[", "x[/]", "[b]bold[/b] \\[b]"]


def screen_text(app: PlaygroundApp) -> str:
    """What the terminal shows, row by row, read from the app's own screenshot (an SVG whose
    text runs sit at x = column × the cell width)."""
    width, cell = app.size.width, 12.2
    rows: dict[float, list[str]] = {}
    runs = re.findall(r'<text[^>]*\bx="([\d.]+)" y="([\d.]+)"[^>]*clip-path[^>]*>(.*?)</text>',
                      app.export_screenshot(), flags=re.S)
    for x, y, body in runs:
        row = rows.setdefault(float(y), [" "] * width)
        column = round(float(x) / cell)
        for offset, char in enumerate(html.unescape(body).replace("\xa0", " ").rstrip("\n")):
            if column + offset < width:
                row[column + offset] = char
    return "\n".join("".join(rows[y]) for y in sorted(rows))


def toasts(app: PlaygroundApp) -> list[str]:
    """The notifications on screen, as rendered."""
    return [getattr(toast.render(), "plain", "") for toast in app.screen.query("Toast")]


async def toast_shown(pilot: Pilot[Any], app: PlaygroundApp, text: str) -> None:
    try:
        await wait_for(pilot, lambda: any(text in shown for shown in toasts(app)))
    except AssertionError:
        raise AssertionError(f"{text!r} not in the notifications shown: {toasts(app)}") from None


def test_bracketed_text_typed_into_every_box_is_shown_as_typed():
    async def scenario():
        app = scripted_app()
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            for box in [f"#input-{name}" for name in SLIDER_PARAMETERS] + ["#input-seed"]:
                # every text into the two boxes that crashed; one into the others (the same control)
                texts = BRACKETED if box in ("#input-temperature", "#input-seed") else ["[/]x"]
                app.query_one(box, Input).focus()
                for text in texts:
                    await pilot.press("ctrl+shift+a", *text, "enter")  # typed over the box's value
                for text in texts:  # each refused, with the text as typed
                    await toast_shown(pilot, app, f"(got {text!r})")
                app.clear_notifications()
            assert app.state.params == SamplingParams()

            app.query_one("#input-stop", Input).focus()
            for text in BRACKETED:
                await pilot.press(*text, "enter")
            assert app.state.params.stop == tuple(unescape(text) for text in BRACKETED)
            items = [str(label.render()) for label in app.query_one(StopListView).query(Label)]
            assert items == [escape(unescape(text)) for text in BRACKETED]
            assert "[/INST]" in screen_text(app) and "x[/]" in screen_text(app)

            editor = app.query_one(PromptEditor)
            editor.focus()
            await pilot.press(*"x = '[/]' + '[bold]'")
            assert editor.text == "x = '[/]' + '[bold]'"
            await pilot.press("f5")
            await wait_for(pilot, lambda: run_finished(app))
            assert "x = '[/]' + '[bold]'" in screen_text(app)
    asyncio.run(scenario())


def test_column_titles_show_bracketed_stops():
    async def scenario():
        app = scripted_app()
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            app.state = app.state.with_value("num_responses", 2).with_columns(False, 1)  # unlinked, editing B
            app.query_one("#input-stop", Input).focus()
            await pilot.press(*"[/INST]", "enter")
            await pilot.pause()
            titles = [str(view.border_title) for view in app.query_one(ResponsesPane).views]
            assert "B · stop ['[/INST]']" in screen_text(app), titles
    asyncio.run(scenario())


def test_bracketed_names_typed_for_a_session_and_a_preset():
    async def scenario():
        app = scripted_app(prompt="def f():\n")
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            for name in ["[x=", "[bold]", "x[b]"]:
                app.keeper.session.saved_path = None  # ask for a name again
                await pilot.press("ctrl+s")
                await wait_for(pilot, lambda: bool(app.screen.query("#name-input")))
                await pilot.press(*name, "enter")  # saved, or refused: named either way
                await toast_shown(pilot, app, name)
                app.clear_notifications()
                await app.run_action("save_preset")
                await wait_for(pilot, lambda: bool(app.screen.query("#name-input")))
                await pilot.press(*name, "enter")
                await toast_shown(pilot, app, name)
                app.clear_notifications()
            await pilot.press("f2")
            await wait_for(pilot, lambda: bool(app.screen.query("#session-search")))
            await pilot.press(*"[/]")
            await pilot.pause()
            assert "[/]" in screen_text(app)
            await pilot.press("escape")
            await type_in_palette(pilot, "[/] [x=")
            assert "[/] [x=" in screen_text(app)
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, CommandPalette))
    asyncio.run(scenario())


def _write_user_files(config_dir) -> None:
    presets = config_dir / "presets"
    presets.mkdir(parents=True)
    (presets / "[x=.toml").write_text('description = "Llama-style [/INST] stops"\nstop = ["[/INST]"]\n')
    themes = config_dir / "themes"
    themes.mkdir(parents=True)
    (themes / "markup.toml").write_text('name = "mark[/]up"\nprimary = "#F28C28"\n')


def test_bracketed_names_from_preset_theme_and_session_files():
    _write_user_files(locations.config_dir())
    keeper = SessionKeeper(Session(prompt="x[/] = '[bold]'\n"))
    saved = keeper.save(SamplingParams(), name=str(locations.sessions_dir() / "[x=].json"))

    async def palette(pilot: Pilot[Any], app: PlaygroundApp, query: str) -> None:
        await type_in_palette(pilot, query)

    async def scenario():
        app = scripted_app()
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            await pilot.click("#preset")
            await pilot.press("end")  # the user's preset comes last
            await pilot.pause()
            assert "[x=: Llama-style [/INST] stops" in screen_text(app)
            await pilot.press("escape")

            await palette(pilot, app, "Preset: [x=")
            assert "Preset: [x=" in screen_text(app) and "Llama-style [/INST] stops" in screen_text(app)
            await pilot.press("enter")
            await toast_shown(pilot, app, "Preset [x=: stop=['[/INST]']")
            assert app.state.params.stop == ("[/INST]",)

            await palette(pilot, app, "Theme: mark")
            assert "Theme: mark[/]up" in screen_text(app)
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.theme == "mark[/]up")
            app.search_themes()  # Textual's own theme picker
            await pilot.press(*"mark")
            await wait_for(pilot, lambda: palette_settled(app, "mark"))
            assert "mark[/]up" in screen_text(app)
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, CommandPalette))

            await pilot.press("f2")
            await wait_for(pilot, lambda: bool(app.screen.query(DataTable)))
            await pilot.pause()
            shown = screen_text(app)
            assert "[x=]" in shown and "x[/] = '[bold]'" in shown
            await pilot.press(*"[x=]", "ctrl+d")  # delete? asks with the file's name
            await wait_for(pilot, lambda: app.screen.__class__.__name__ == "Confirm")
            assert "Delete [x=]?  y/n" in screen_text(app)
            await pilot.press("n")
            await wait_for(pilot, lambda: bool(app.screen.query(DataTable)))
            await pilot.press("enter")
            await toast_shown(pilot, app, f"Opened {saved.stem}: 0 run(s)")
            assert app.query_one(PromptEditor).text == "x[/] = '[bold]'\n"
    asyncio.run(scenario())


def test_a_model_that_fails_to_load_is_named_as_typed():
    async def scenario():
        app = create_app(LoadOptions(model="[/]x", device="cpu"), loader=_refuse)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await wait_for(pilot, lambda: app.query_one("#load-demo").display)
            assert "[/]x" in str(app.query_one("#model-status").render())
            assert "[/]x" in screen_text(app)
            await toast_shown(pilot, app, "[/]x")
    asyncio.run(scenario())


def _refuse(options: LoadOptions, progress: Any) -> Any:
    """The real loader's first step: an id that is neither a directory nor a hub id."""
    from playground.engine.hub import resolve_model_dir

    resolve_model_dir(options.model, options.revision, progress, lambda warning: None)
    raise AssertionError("the model should not have resolved")


def test_every_parameter_box_is_tried():
    assert {f"input-{name}" for name in SLIDER_PARAMETERS} | {"input-seed"} >= {
        f"input-{name}" for name in PARAMETERS if name != "num_responses"}
