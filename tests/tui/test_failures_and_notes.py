"""The playground when writes fail (picking a theme, saving a preset or a session on a full disk
or under a file), with a keymap that cannot work, and with options that do nothing: one
notification each, the app keeps running, nothing in memory is lost. And a run is on disk
before its status line is shown."""

from __future__ import annotations

import asyncio
import errno
import os
from typing import Any

import pytest

from playground import locations
from playground.config import load_config
from playground.engine.options import LoadOptions
from playground.runtime.keeper import SessionKeeper
from playground.tui.app import PlaygroundApp, create_app
from playground.tui.keymap import binding_ids, checked_keymap, key_problem
from playground.tui.widgets.status_bar import StatusBar
from tests.fakes import ScriptedEngine
from tests.tui.helpers import run_finished, scripted_app, wait_for

SIZE = (150, 45)


def messages(app: PlaygroundApp) -> list[str]:
    return [notification.message for notification in app._notifications]


def full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", no_space)


def test_picking_a_theme_when_the_config_folder_cannot_be_written(isolated_dirs, monkeypatch):
    blocker = isolated_dirs / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(blocker))  # config.toml would go under a file

    async def scenario():
        app = scripted_app()
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            app.theme = "starcoder-light"
            await wait_for(pilot, lambda: any(str(blocker) in m for m in messages(app)))
            assert app.theme == "starcoder-light" and app.is_running  # applied, just not remembered
            await pilot.press("f5")
            await wait_for(pilot, lambda: run_finished(app))
    asyncio.run(scenario())


def test_saving_a_preset_and_a_session_on_a_full_disk(monkeypatch):
    async def scenario():
        app = scripted_app("def f():\n")
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            full_disk(monkeypatch)
            await pilot.press("f5")
            await wait_for(pilot, lambda: run_finished(app))
            assert any("could not autosave" in m and "No space left on device" in m for m in messages(app))
            app.presets.save_as("mine")
            await pilot.pause()
            assert any("mine.toml" in m and "No space left on device" in m for m in messages(app)), messages(app)
            assert not (locations.user_presets_dir() / "mine.toml").exists()
            app.sessions.save_as("kept")
            await pilot.pause()
            assert any("kept.json: cannot be written" in m and "No space left on device" in m
                       for m in messages(app)), messages(app)
            assert len(app.keeper.session.runs) == 1 and app.is_running  # nothing in memory lost
            monkeypatch.undo()
            app.sessions.save_as("kept")  # the disk has room again: the same session is saved whole
            assert SessionKeeper().open(locations.sessions_dir() / "kept.json").runs[0].prompt == "def f():\n"
    asyncio.run(scenario())


def test_the_run_is_autosaved_before_its_status_line_is_shown(monkeypatch):
    status_when_saved: list[str] = []
    record = SessionKeeper.record

    async def scenario():
        app = scripted_app("x = 1\n")

        def recording(self: SessionKeeper, *args: Any, **kwargs: Any) -> str | None:
            status_when_saved.append(str(app.query_one("#run-status").render()))
            return record(self, *args, **kwargs)

        monkeypatch.setattr(SessionKeeper, "record", recording)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            await pilot.press("f5")
            await wait_for(pilot, lambda: run_finished(app))
            assert "seed 42" in str(app.query_one("#run-status").render())
    asyncio.run(scenario())
    assert len(status_when_saved) == 1 and "seed" not in status_when_saved[0]


def test_keymap_entries_that_cannot_work_are_reported_one_line_each(isolated_dirs):
    config = isolated_dirs / "config" / "starcoder-play" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[keymap]\ngenerate = "f9"\ngenrate = "f6"\nstop = "ctlr+x"\n"[x=" = "f7"\n')

    async def scenario():
        app = scripted_app()
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            problems = [m for m in messages(app) if "[keymap]" in m]
            assert len(problems) == 3
            assert any("'genrate' is not a binding id" in m for m in problems)
            assert any("stop: 'ctlr+x' is not a key" in m for m in problems)
            assert any("'[x=' is not a binding id" in m for m in problems)
            await pilot.press("f9")  # the good entry still applies
            await wait_for(pilot, lambda: run_finished(app))
    asyncio.run(scenario())
    assert load_config().keymap["genrate"] == "f6"  # reported, never rewritten


def test_what_a_key_is():
    assert key_problem("f5,ctrl+enter") is None and key_problem("ctrl+shift+left") is None
    assert key_problem("a") is None and key_problem("?") is None and key_problem("f24") is None
    assert key_problem("ctrl+question_mark") is None and key_problem("alt+plus_sign,pageup") is None
    for bad in ("ctlr+x", "ctrl+", "", "f5,,f6", "ctrl+nosuchkey"):
        assert key_problem(bad) is not None, bad
    ids = binding_ids([PlaygroundApp])
    assert {"generate", "stop", "save-session"} <= ids
    usable, problems = checked_keymap({"generate": "f9", "nope": "f1"}, ids)
    assert usable == {"generate": "f9"} and len(problems) == 1


def test_demo_with_a_model_says_the_model_is_ignored():
    async def scenario():
        engine = ScriptedEngine()
        app = create_app(LoadOptions(model="someone/model", demo=True), loader=lambda options, progress: engine)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            assert any("--model someone/model is ignored" in m for m in messages(app))
            assert "scripted-model" in str(app.query_one(StatusBar).query_one("#model-status").render())
    asyncio.run(scenario())
