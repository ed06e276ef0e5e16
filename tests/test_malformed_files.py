"""The malformed-file corpus: files that parse (or nearly) but are wrong, and files that are not
files. Every one gives one line naming the file and what is wrong; none hangs, reads without
bound or raises anything else; the browser lists them beside the good ones."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from playground import locations
from playground.config import load_config
from playground.errors import UserError
from playground.presets import PresetError, available_presets, load_preset_file
from playground.sessions.session import Session, SessionError, load_session_file
from playground.sessions.store import SessionStore
from playground.tui.themes import ThemeError, available_themes, load_theme_file
from playground.user_files import SESSION_LIMIT
from tests.session_records import make_run


def valid_document() -> dict[str, Any]:
    session = Session(prompt="def f():\n", name="good", runs=[make_run(1), make_run(2)])
    return json.loads(session.dumps())


def mutate(change: Callable[[dict[str, Any]], None]) -> str:
    document = valid_document()
    change(document)
    return json.dumps(document)


def response(document: dict[str, Any]) -> dict[str, Any]:
    return document["runs"][0]["responses"][0]


SESSION_CORPUS = {
    "200k nested [": ("[" * 200_000, "nested too deeply"),
    "not JSON": ('{"format": "starcoder-play-session", "ru', "is not valid JSON"),
    "a response that is not an object": (mutate(lambda d: d["runs"][0]["responses"].__setitem__(0, "text")),
                                         "runs[0].responses[0] must be an object (got a string)"),
    "a suffix that is an int": (mutate(lambda d: d.__setitem__("suffix", 3)), "suffix must be a string"),
    "a run suffix that is an int": (mutate(lambda d: d["runs"][1].__setitem__("suffix", 3)),
                                    "runs[1].suffix must be a string"),
    "a response without text": (mutate(lambda d: response(d).pop("text")), "runs[0].responses[0].text is missing"),
    "a model of the wrong type": (mutate(lambda d: d["runs"][0].__setitem__("model", "x")),
                                  "runs[0].model must be an object"),
    "a model id of the wrong type": (mutate(lambda d: d["runs"][0]["model"].__setitem__("id", 1)),
                                     "runs[0].model.id must be a string"),
    "a name of the wrong type": (mutate(lambda d: d.__setitem__("name", ["x"])), "name must be a string"),
    "an updated time of the wrong type": (mutate(lambda d: d.__setitem__("updated_at", 5)),
                                          "updated_at must be a string"),
    "an updated time that is no time": (mutate(lambda d: d.__setitem__("updated_at", "yesterday")),
                                        "updated_at must be an ISO 8601 time"),
    "temperature hot": (mutate(lambda d: d["params"].__setitem__("temperature", "hot")),
                        "params: temperature must be between 0 and 100 (got 'hot')"),
    "per-run parameters out of range": (mutate(lambda d: d["runs"][1]["params"].__setitem__("top_p", 7)),
                                        "runs[1].params: top_p must be"),
    "per-response parameters unknown": (mutate(lambda d: response(d)["params"].__setitem__("heat", 1)),
                                        "runs[0].responses[0].params: unknown parameter 'heat'"),
    "column parameters wrong": (mutate(lambda d: d["runs"][0].__setitem__("columns", [{"top_k": -1}])),
                                "runs[0].columns[0]: top_k must be"),
    "lang 1": (mutate(lambda d: d.__setitem__("language", 1)), "language must be a string"),
    "a token id that is text": (mutate(lambda d: response(d)["token_ids"].__setitem__(2, "7")),
                                "runs[0].responses[0].token_ids[2] must be a whole number"),
    "a token id that is true": (mutate(lambda d: response(d)["token_ids"].__setitem__(0, True)),
                                "token_ids[0] must be a whole number"),
    "a negative seed": (mutate(lambda d: response(d).__setitem__("seed", -1)), "seed must be between 0"),
    "an unknown finish reason": (mutate(lambda d: response(d).__setitem__("finish_reason", "bored")),
                                 "finish_reason must be one of"),
    "a live change to a fixed parameter": (mutate(lambda d: d["runs"][0]["live_changes"][0].__setitem__(
        "name", "num_responses")), "live_changes[0].name must be a parameter that changes live"),
    "a live change out of range": (mutate(lambda d: d["runs"][0]["live_changes"][0].__setitem__("value", 500)),
                                   "live_changes[0].value: temperature must be"),
    "a live change for a missing row": (mutate(lambda d: d["runs"][0]["live_changes"][0].__setitem__("row", 1)),
                                        "live_changes[0].row must be between 0 and 0"),
    "negative timings": (mutate(lambda d: d["runs"][0]["timings"].__setitem__("ttft_s", -1)),
                         "timings.ttft_s must be a number of at least 0"),
    "three responses": (mutate(lambda d: d["runs"][0]["responses"].extend([response(d)] * 2)),
                        "must hold 1 or 2 responses"),
    "runs not a list": (mutate(lambda d: d.__setitem__("runs", {"a": 1})), "runs must be an array"),
    "two runs with one id": (mutate(lambda d: d["runs"][1].__setitem__("id", d["runs"][0]["id"])),
                             "two runs have the same id"),
    "NaN": (mutate(lambda d: d["params"].__setitem__("temperature", 0.5)).replace("0.5", "NaN"),
            "NaN is not a number JSON allows"),
    "a 5000-digit number": ('{"format": "starcoder-play-session", "schema_version": ' + "9" * 5000 + "}",
                            "is not valid JSON"),
    "a newer version": (mutate(lambda d: d.__setitem__("schema_version", 99)), "newer starcoder-play"),
    "a foreign file": ('{"name": "something else"}', "is not a starcoder-play session file"),
    "a list": ("[1, 2, 3]", "is not a starcoder-play session file"),
    "not UTF-8": ("\udcff", "is not UTF-8 text"),
}


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8", "surrogateescape"))


@pytest.mark.parametrize("case", list(SESSION_CORPUS))
def test_malformed_session_files_give_one_line_naming_the_file_and_the_field(case):
    text, expected = SESSION_CORPUS[case]
    path = locations.sessions_dir() / "[bad] case.json"
    write(path, text)
    with pytest.raises(SessionError) as caught:
        load_session_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and expected in message and "\n" not in message
    store = SessionStore()
    with pytest.raises(SessionError):
        store.open(str(path))
    [entry] = store.entries()  # listed, marked bad; the browser keeps working
    assert entry.error == message


def test_a_valid_document_is_valid():
    path = locations.sessions_dir() / "good.json"
    write(path, json.dumps(valid_document()))
    assert [r.params.seed for r in load_session_file(path).runs] == [1, 2]


def special_files(tmp_path: Path) -> dict[str, Path]:
    fifo = tmp_path / "x.json"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.json"
    zero.symlink_to("/dev/zero")
    huge = tmp_path / "huge.json"
    with open(huge, "wb") as file:
        file.truncate(SESSION_LIMIT + 1)  # sparse: nothing is written, nothing must be read
    folder = tmp_path / "folder.json"
    folder.mkdir()
    return {"a FIFO named x.json": fifo, "a symlink to /dev/zero": zero, "a 16 MB + 1 file": huge,
            "a folder": folder, "a missing file": tmp_path / "missing.json"}


@pytest.mark.parametrize("case, expected", [
    ("a FIFO named x.json", "not a regular file"), ("a symlink to /dev/zero", "not a regular file"),
    ("a 16 MB + 1 file", "more than the 16,777,216 bytes"), ("a folder", "is a directory"),
    ("a missing file", "no such file"),
])
def test_files_that_are_not_regular_files_neither_hang_nor_read_without_bound(tmp_path, case, expected):
    path = special_files(tmp_path)[case]
    for load in (load_session_file, load_preset_file, load_theme_file):
        with pytest.raises(UserError) as caught:
            load(path)
        assert str(caught.value).startswith(f"{path}: ")
        if load is load_session_file:
            assert expected in str(caught.value)
    config = load_config(path)
    assert config.broken == (case != "a missing file") and config.theme is None


def test_bad_files_in_the_store_folders_are_listed_not_fatal(tmp_path):
    store = SessionStore()
    good = Session(prompt="fine")
    store.record_run(good, make_run(1))
    locations.sessions_dir().mkdir(parents=True, exist_ok=True)
    os.mkfifo(locations.sessions_dir() / "x.json")
    (locations.sessions_dir() / "zero.json").symlink_to("/dev/zero")
    (locations.history_dir() / "nested.json").write_text("[" * 200_000)
    entries = store.entries()
    assert [e.title for e in entries if e.error is None] == ["fine"]
    assert sorted(e.title for e in entries if e.error) == ["nested.json", "x.json", "zero.json"]


PRESET_CORPUS = {
    'temperature = "hot"': "temperature must be between 0 and 100 (got 'hot')",
    "description = 3": "description must be a string",
    "stop = [1]": "stop must be a list of strings",
    "seed = 1.5": "seed must be a whole number",
    "heat = 1": "unknown parameter 'heat'",
    "top_k = 1979-05-27": "top_k must be",
    "[table]\nx = 1": "unknown parameter 'table'",
    "x = " + "[" * 200_000: "is nested too deeply",
    "temperature = ": "is not valid TOML",
}


@pytest.mark.parametrize("text", list(PRESET_CORPUS))
def test_malformed_presets_give_one_line(text):
    path = locations.user_presets_dir() / "bad.toml"
    write(path, text)
    with pytest.raises(PresetError) as caught:
        load_preset_file(path)
    assert str(caught.value).startswith(f"{path}: ") and PRESET_CORPUS[text] in str(caught.value)
    assert "\n" not in str(caught.value)
    presets, problems = available_presets()
    assert "bad" not in presets and problems == [str(caught.value)]


def test_preset_descriptions_and_theme_names_with_brackets_are_plain_data():
    write(locations.user_presets_dir() / "llama.toml", 'description = "Llama-style [/INST] stops"\nstop = ["[/INST]"]')
    preset = available_presets()[0]["llama"]
    assert preset.description == "Llama-style [/INST] stops" and preset.values == {"stop": ("[/INST]",)}
    write(locations.user_themes_dir() / "markup.toml", 'name = "mark[/]up"\nprimary = "#ff0000"\n')
    assert "mark[/]up" in available_themes()[0]


THEME_CORPUS = {
    'dark = "no"': "dark must be true or false (got 'no')",
    "name = 3": "name must be a non-empty line of text",
    'name = ""': "name must be a non-empty line of text",
    "primary = 5": "primary must be a colour string",
    "background = true": "background must be a colour string",
    'luminosity_spread = "x"': "luminosity_spread must be a number between 0 and 1",
    "text_alpha = 7": "text_alpha must be a number between 0 and 1",
    "variables = { a = 1 }": "[variables] must be a table",
    "syntax = 3": "syntax must be one of",
    'primary = "not-a-colour"': "not-a-colour",
    "shade = 1": "unknown field(s) shade",
    "x = " + "[" * 200_000: "is nested too deeply",
}


@pytest.mark.parametrize("text", list(THEME_CORPUS))
def test_malformed_themes_give_one_line(text):
    path = locations.user_themes_dir() / "bad.toml"
    key = text.split(" ")[0]
    base = {"name": 'name = "bad"', "primary": 'primary = "#ff0000"'}
    lines = [line for k, line in base.items() if k != key] + [text]
    write(path, "\n".join(lines) + "\n")
    with pytest.raises(ThemeError) as caught:
        load_theme_file(path)
    assert str(caught.value).startswith(f"{path}: ") and THEME_CORPUS[text] in str(caught.value)
    assert "\n" not in str(caught.value)
    themes, problems = available_themes()
    assert "bad" not in themes and problems == [str(caught.value)]
