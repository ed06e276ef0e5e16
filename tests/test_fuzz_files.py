"""Fuzzing the loaders: random and mutated session, preset, theme and config files never raise
anything but the project's one-line errors (and a valid file always loads)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playground.config import load_config
from playground.errors import UserError
from playground.presets import load_preset_file
from playground.sessions.session import Session, load_session_file
from playground.sessions.store import SessionStore
from playground.tui.keymap import checked_keymap
from playground.tui.themes import load_theme_file
from tests.session_records import make_run

FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")), deadline=None,
                derandomize=os.environ.get("FUZZ_EXAMPLES") is None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False),
                    st.text(max_size=20))
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                            st.dictionaries(st.text(max_size=10), inner, max_size=4)),
                           max_leaves=12)


def valid_document() -> dict[str, Any]:
    return json.loads(Session(prompt="p", runs=[make_run(1), make_run(2)]).dumps())


def places(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += places(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += places(inner, (*prefix, index))
    return found


PLACES = places(valid_document())[1:]


def one_line_error(load, path: Path) -> None:
    try:
        load(path)
    except UserError as error:
        assert "\n" not in str(error) and str(error).startswith(str(path))


@contextmanager
def in_temp(name: str, data: bytes) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        yield path


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(PLACES), st.one_of(json_values, st.just("<drop>"))), min_size=1,
                max_size=4))
def test_mutated_session_files(mutations):
    document = valid_document()
    for place, value in mutations:
        parent: Any = document
        try:
            for key in place[:-1]:
                parent = parent[key]
            if value == "<drop>":
                del parent[place[-1]]
            else:
                parent[place[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed this place
    with in_temp("s.json", json.dumps(document).encode()) as path:
        one_line_error(load_session_file, path)
        (path.parent / "sessions").mkdir()
        path.rename(path.parent / "sessions" / "s.json")
        store = SessionStore(path.parent)
        for entry in store.entries():  # the browser's path: list, then open what is listed as good
            assert entry.error is None or "\n" not in entry.error
            if entry.error is None:
                one_line_error(store.open, entry)


@FUZZ
@given(st.one_of(st.binary(max_size=300), json_values.map(lambda v: json.dumps(v).encode()),
                 st.text(max_size=300).map(str.encode)))
def test_random_session_files(data):
    with in_temp("r.json", data) as path:
        one_line_error(load_session_file, path)


toml_tables = st.dictionaries(st.sampled_from(["name", "primary", "dark", "syntax", "temperature", "top_p", "stop",
                                               "description", "seed", "max_new_tokens", "theme", "keymap",
                                               "variables", "text_alpha", "background"]),
                              st.one_of(scalars.filter(lambda v: v is not None), st.lists(st.text(max_size=5),
                                                                                          max_size=3),
                                        st.dictionaries(st.text(min_size=1, max_size=5), st.text(max_size=5),
                                                        max_size=2)),
                              max_size=6)


def toml_text(table: dict[str, Any]) -> bytes:
    try:
        return tomlkit.dumps(table).encode()
    except Exception:  # noqa: BLE001 - a value TOML cannot hold: fuzz the loader with its repr instead
        return repr(table).encode()


toml_files = st.one_of(toml_tables.map(toml_text), st.binary(max_size=200), st.text(max_size=200).map(str.encode))


@FUZZ
@given(toml_files)
def test_random_presets_themes_and_configs(data):
    with in_temp("f.toml", data) as path:
        one_line_error(load_preset_file, path)
        one_line_error(load_theme_file, path)
        config = load_config(path)  # never raises: problems are lines
        assert all("\n" not in problem for problem in config.problems)
        assert all("\n" not in problem for problem in checked_keymap(config.keymap, ["generate", "stop"])[1])


def test_the_unmutated_document_loads():
    with in_temp("s.json", json.dumps(valid_document()).encode()) as path:
        assert len(load_session_file(path).runs) == 2
