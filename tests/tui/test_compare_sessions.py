"""Side by side, saving, reopening, replaying and the sessions screen, in the playground."""

from __future__ import annotations

import asyncio

from playground import locations
from playground.engine.types import GenerationRequest
from playground.params import SamplingParams
from playground.sessions.session import Session, load_session_file
from playground.sessions.store import SessionStore
from playground.tui.widgets.prompt_editor import PromptEditor
from playground.tui.widgets.response_view import ResponseView
from playground.tui.widgets.slider import Slider
from tests.tui.helpers import run_finished, scripted_app, tiny_app, wait_for

SIZE = (150, 45)
PROMPT = "def fibonacci(n):\n    a, b = 0, 1\n"


async def generate(pilot):
    app = pilot.app
    await pilot.press("f5")
    await wait_for(pilot, lambda: run_finished(app))
    return app.generation.run.result


def test_linked_columns_stream_side_by_side_with_different_samples(tiny_model_dir):
    async def scenario():
        app = tiny_app(tiny_model_dir, SamplingParams.make(num_responses=2, seed=4, max_new_tokens=30, temperature=1.2),
                       prompt=PROMPT)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            result = await generate(pilot)
            first, second = app.query(ResponseView)
            assert first.display and second.display and first.region.y == second.region.y  # side by side
            assert first.streamed == result.responses[0].text and second.streamed == result.responses[1].text
            assert [r.seed for r in result.responses] == [4, 5]
            at = next(i for i, (a, b) in enumerate(zip(*(r.token_ids for r in result.responses))) if a != b)
            assert first.has_class("-diverged") and second.has_class("-diverged")
            assert f"diverges at token {at}" in str(first.border_subtitle)
            chars = app.generation.run.token_chars[0]
            start = sum(chars[:at])
            # a token that is half of a character shows nothing itself: the mark covers the character
            assert first.selected_text == first.streamed[start: start + max(chars[at], 1)]
    asyncio.run(scenario())


def test_unlinked_columns_run_an_ab_of_one_knob_with_the_same_seed(tiny_model_dir):
    async def scenario():
        app = tiny_app(tiny_model_dir, SamplingParams.make(num_responses=2, seed=11, max_new_tokens=20), prompt=PROMPT)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            await pilot.click("#link-columns")
            assert not app.state.linked and app.query_one("#edit-column").display
            app.query_one("#slider-temperature", Slider).focus()
            await pilot.press("home")  # column A: temperature 0
            await pilot.click("#edit-column RadioButton:last-of-type")
            assert app.state.editing == 1 and app.query_one("#input-temperature").value == "0.7"
            box = app.query_one("#input-temperature")
            box.focus()
            box.value = "1.5"
            await pilot.press("enter")
            assert (app.state.params.temperature, app.state.params_b.temperature) == (0.0, 1.5)
            titles = [str(v.border_title) for v in app.query(ResponseView)]
            assert titles == ["A · temperature 0.0", "B · temperature 1.5"]
            result = await generate(pilot)
            assert [r.seed for r in result.responses] == [11, 11]
            greedy_params = SamplingParams.make(temperature=0, max_new_tokens=20)
            greedy = app.engine.generate(GenerationRequest(PROMPT, greedy_params))
            assert result.responses[0].token_ids == greedy.responses[0].token_ids
            assert result.columns[1].temperature == 1.5
    asyncio.run(scenario())


def test_keep_a_column_copy_make_prompt_continue():
    async def scenario():
        app = scripted_app("def fib(n):\n", SamplingParams.make(num_responses=2))
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            await generate(pilot)
            fill = "".join(app.scripted_engine.script)
            assert app.action_keep(1, "copy") and app.clipboard == fill
            assert app.action_keep(1, "prompt")
            assert app.query_one(PromptEditor).text == "def fib(n):\n" + fill
            app.action_continue(1)
            await wait_for(pilot, lambda: not app.generating)
            assert app.scripted_engine.requests[-1].prompt == "def fib(n):\n" + fill
    asyncio.run(scenario())


def test_save_reopen_and_replay_gives_identical_tokens(tiny_model_dir):
    async def first_session():
        app = tiny_app(tiny_model_dir, SamplingParams.make(max_new_tokens=25, temperature=1.1), prompt=PROMPT)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            result = await generate(pilot)
            await pilot.press("ctrl+s")
            await pilot.pause()
            app.screen.query_one("#name-input").value = "  "
            await pilot.press("enter")  # an empty name keeps the prompt open
            assert app.screen.query("#name-input") and app.keeper.path is None
            app.screen.query_one("#name-input").value = "my fib"
            await pilot.press("enter")
            await pilot.pause()
            assert app.keeper.path == locations.sessions_dir() / "my fib.json"
            return result

    result = asyncio.run(first_session())
    saved = load_session_file(locations.sessions_dir() / "my fib.json")
    assert saved.name == "my fib" and saved.runs[0].responses[0].token_ids == result.responses[0].token_ids
    assert saved.runs[0].model.id == str(tiny_model_dir) and saved.runs[0].model.device == "cpu"
    assert len(list(locations.history_dir().glob(f"{saved.id}/*.json"))) == 1  # every run is autosaved

    async def reopen():
        app = tiny_app(tiny_model_dir, session=locations.sessions_dir() / "my fib.json")
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            assert app.query_one(PromptEditor).text == PROMPT
            assert app.query_one("#response-0", ResponseView).streamed == result.responses[0].text
            assert app.state.params.temperature == 1.1
            app.action_replay()
            await wait_for(pilot, lambda: run_finished(app))
            status = str(app.query_one("#run-status").render())
            # probabilities are on by default in the playground: the replay checks them too
            assert "✓ replay identical to the saved run (25 tokens, 25 probabilities within 0.001)" in status
            assert app.generation.run.result.responses[0].token_ids == result.responses[0].token_ids
            original, replay = app.keeper.session.runs  # the replay is recorded too, as a replay of the first
            assert replay.replay_of == original.id and replay.responses[0].token_ids == original.responses[0].token_ids
    asyncio.run(reopen())
    entries = SessionStore().entries()  # the saved session and its history are one entry
    assert [(e.title, e.kind, e.runs, e.unsaved_runs) for e in entries] == [("my fib", "saved", 2, 1)]


def test_a_fill_in_the_middle_session_reopens_as_it_was_saved():
    text = "def fib(n):\n<FILL>\n\nprint(fib(10))\n"

    async def save():
        app = scripted_app(text)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            await pilot.press("f8")
            await generate(pilot)
            app.sessions.save_as("fill")
            assert app.keeper.path == locations.sessions_dir() / "fill.json"

    async def reopen():
        app = scripted_app(session=locations.sessions_dir() / "fill.json")
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            assert app.query_one(PromptEditor).text == text and app.state.fim

    asyncio.run(save())
    asyncio.run(reopen())


def test_sessions_screen_search_rename_delete_open():
    async def scenario():
        app = scripted_app("import os\n")
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            await generate(pilot)
            app.sessions.save_as("alpha")
            alpha_id = app.keeper.session.id
            app.query_one(PromptEditor).load_text("SELECT 1;\n")
            app.keeper.session = Session(prompt="SELECT 1;\n")
            await generate(pilot)
            await pilot.press("f2")
            await pilot.pause()
            table = app.screen.query_one("#session-table")
            assert table.row_count == 2  # alpha (saved, with its history) and one recent session
            await pilot.press(*"alpha")
            await pilot.pause()
            assert table.row_count == 1
            await pilot.press("ctrl+n")
            await pilot.pause()
            app.screen.query_one("#name-input").value = "beta"
            await pilot.press("enter")
            await pilot.pause()
            assert (locations.sessions_dir() / "beta.json").exists()
            assert not (locations.sessions_dir() / "alpha.json").exists()
            await pilot.press(*["backspace"] * 5)
            await pilot.pause()
            await pilot.press("down", "up")  # arrows move the list while the search box has focus
            await pilot.press("enter")  # open the first row: the saved session
            await pilot.pause()
            assert app.query_one(PromptEditor).text == "import os\n" and app.keeper.session.id == alpha_id
            await generate(pilot)  # autosaved under the opened session's id: still one entry
            await pilot.press("ctrl+s")  # saves where the session is now, never under the old name
            await pilot.pause()
            assert not (locations.sessions_dir() / "alpha.json").exists()
            assert len(load_session_file(locations.sessions_dir() / "beta.json").runs) == 2
            await pilot.press("f2")
            await pilot.pause()
            assert app.screen.query_one("#session-table").row_count == 2
            await pilot.press(*"beta")
            await pilot.pause()
            await pilot.press("ctrl+d", "y")
            await pilot.pause()
            assert not (locations.sessions_dir() / "beta.json").exists()
            assert not (locations.history_dir() / alpha_id).exists()  # its history went with it
            await pilot.press("escape")
            await pilot.pause()
            await generate(pilot)  # a new run after the delete: recorded alone, the deleted ones stay gone
    asyncio.run(scenario())
    entries = SessionStore().entries()
    assert sorted((e.title, e.runs) for e in entries) == [("SELECT 1;", 1), ("import os", 1)]


def test_saving_over_another_session_asks_first():
    async def scenario():
        other = Session(prompt="print('other')\n")
        SessionStore().save(other, "taken")
        app = scripted_app("import os\n")
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            await generate(pilot)
            app.sessions.save_as("taken")
            await pilot.pause()
            assert "Overwrite it?" in str(app.screen.query_one("Label").render()) and app.keeper.path is None
            await pilot.press("n")  # declined: the other session is kept, nothing is saved
            await pilot.pause()
            assert load_session_file(locations.sessions_dir() / "taken.json").id == other.id
            app.sessions.save_as("taken")
            await pilot.pause()
            await pilot.press("y")
            await pilot.pause()
            assert app.keeper.path == locations.sessions_dir() / "taken.json"
    asyncio.run(scenario())
    saved = load_session_file(locations.sessions_dir() / "taken.json")
    assert saved.prompt == "import os\n" and len(saved.runs) == 1


def test_an_unreadable_file_is_a_row_marked_with_its_error_that_can_be_deleted_not_opened():
    sessions = locations.sessions_dir()
    sessions.mkdir(parents=True)
    (sessions / "[b]broken.json").write_text('{"format": "starcoder-play-session", "ru')
    SessionStore().save(Session(prompt="def ok():\n"), "fine")

    async def scenario():
        app = scripted_app()
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            await pilot.press("f2")
            await pilot.pause()
            table = app.screen.query_one("#session-table")
            assert table.row_count == 2
            rows = [[str(cell) for cell in table.get_row_at(index)] for index in range(table.row_count)]
            assert rows[0][0] == "fine" and rows[1][0] == "[b]broken.json"  # a file name is text, not markup
            assert rows[1][4].startswith("⚠ ") and "not valid JSON" in rows[1][4]
            assert "cannot be read" in str(app.screen.query_one("#problems").render())
            await pilot.press(*"broken", "enter")  # cannot be opened: said, and the browser stays
            await pilot.pause()
            assert app.screen.query("#session-table") and app.query_one(PromptEditor).text == ""
            assert any("not valid JSON" in n.message and "only be deleted" in n.message for n in app._notifications)
            await pilot.press("ctrl+d", "y")
            await pilot.pause()
            assert not (sessions / "[b]broken.json").exists() and table.row_count == 0
    asyncio.run(scenario())
    assert (sessions / "fine.json").exists()


def test_corrupt_session_file_is_reported_and_the_app_keeps_running(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "starcoder-play-session", "schema_version": 1, "prompt": "x", "ru')

    async def scenario():
        app = scripted_app(session=broken)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            assert any(str(broken) in n.message and "not valid JSON" in n.message for n in app._notifications)
            await generate(pilot)
    asyncio.run(scenario())
    assert broken.read_text().endswith('"ru')  # never overwritten


def test_markdown_export_and_preset_picker_and_save_preset():
    async def scenario():
        app = scripted_app("def fib(n):\n")
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            await generate(pilot)
            app.action_export_markdown()
            exported = next((locations.data_dir() / "exports").glob("*.md")).read_text()
            assert "```python\ndef fib(n):\n" in exported and "return fib(n - 1)" in exported
            app.query_one("#preset").value = "greedy"
            await pilot.pause()
            assert app.state.params.temperature == 0.0
            assert any("Preset greedy: temperature=0.0" in n.message for n in app._notifications)
            await app.run_action("save_preset")
            await pilot.pause()
            app.screen.query_one("#name-input").value = "mine"
            await pilot.press("enter")
            await pilot.pause()
            assert "temperature = 0.0" in (locations.user_presets_dir() / "mine.toml").read_text()
    asyncio.run(scenario())
