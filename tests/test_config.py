"""config.toml: read and checked, never rewritten unless a setting changes, and then only that key."""

from __future__ import annotations

import asyncio

import pytest

from playground import locations
from playground.config import ConfigError, load_config, remember_theme

USER_FILE = """\
# my settings: keep this comment
theme = "starcoder-dark"   # the dark one

[keymap]
# F9 is easier on my keyboard
generate = "f9"
"""


def config_file(text: str):
    path = locations.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_remembering_a_theme_changes_only_that_key():
    path = config_file(USER_FILE)
    assert remember_theme("starcoder-light") is True
    assert path.read_text() == USER_FILE.replace('"starcoder-dark"', '"starcoder-light"')
    assert load_config().theme == "starcoder-light" and load_config().keymap == {"generate": "f9"}


def test_an_unchanged_setting_does_not_touch_the_file():
    path = config_file(USER_FILE)
    before = path.stat()
    assert remember_theme("starcoder-dark") is False
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_new_setting_goes_before_the_tables_and_a_missing_file_is_created():
    path = config_file('[keymap]\ngenerate = "f9"\n')
    remember_theme("midnight-terminal")
    assert load_config().theme == "midnight-terminal" and load_config().keymap == {"generate": "f9"}
    assert path.read_text().index("theme") < path.read_text().index("[keymap]")
    path.unlink()
    remember_theme("starcoder-light")
    assert path.read_text() == 'theme = "starcoder-light"\n'


def test_a_broken_config_is_reported_and_left_untouched():
    broken = 'theme = "starcoder-light"\n[keymap\n# half-edited\n'
    path = config_file(broken)
    config = load_config()
    assert config.broken and config.theme is None and len(config.problems) == 1
    assert config.problems[0].startswith(f"{path}: is not valid TOML") and "left as it is" in config.problems[0]
    with pytest.raises(ConfigError, match="theme not remembered"):
        remember_theme("starcoder-dark")
    assert path.read_text() == broken


@pytest.mark.parametrize("text, problem", [
    ("theme = 3", "theme must be a string"),
    ('keymap = "f5"', "[keymap] must be a table"),
    ("[keymap]\ngenerate = 5", "keymap.generate must be a string of keys"),
    ("colour = 1", "unknown setting 'colour'"),
])
def test_wrong_types_are_one_line_each_and_the_rest_is_used(text, problem):
    path = config_file(text + "\n" if "keymap" in text else text + '\n[keymap]\nstop = "escape"\n')
    config = load_config()
    assert not config.broken and len(config.problems) == 1 and problem in config.problems[0]
    assert config.problems[0].startswith(f"{path}: ")


def test_keymap_ids_and_keys_are_checked_one_line_each():
    from playground.tui.keymap import checked_keymap

    keymap = {"generate": "f9,ctrl+enter", "genrate": "f8", "stop": "ctrl+", "save-session": "", "help": "?"}
    usable, problems = checked_keymap(keymap, ["generate", "stop", "save-session", "help"])
    assert usable == {"generate": "f9,ctrl+enter", "help": "?"}
    assert len(problems) == 3
    assert "'genrate' is not a binding id" in problems[0]
    assert "stop: 'ctrl+' is not a key" in problems[1]
    assert "save-session: '' is not a key" in problems[2]


def test_the_playground_does_not_rewrite_config_at_start_even_with_an_unknown_theme():
    from tests.tui.helpers import scripted_app

    text = "# keep me\ntheme = \"no-such-theme\"\n"
    path = config_file(text)

    async def scenario():
        app = scripted_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            assert app.theme == "starcoder-dark"  # the default stands in, and is not remembered
            await pilot.pause()
    asyncio.run(scenario())
    assert path.read_text() == text
