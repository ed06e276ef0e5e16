"""The REPL's /format command: each kind, the bad inputs as one line, and a constrained run."""

from __future__ import annotations

import json
import re

from playground.response_format import ResponseFormat
from tests.format_cases import SCHEMA
from tests.test_repl import SEND, drive


def test_format_command_sets_each_kind_and_refuses_bad_input_in_one_line(engine, tmp_path):
    schema = tmp_path / "person.json"
    schema.write_text(json.dumps(SCHEMA))
    broken = tmp_path / "broken.lark"
    broken.write_text("start: foo\n")
    lines = ["/format json", f"/format schema {schema}", "/format regex [a-z", f"/format grammar {broken}",
             "/format schema nothere.json", "/format xml", "/set response_format json", "/show", "/format",
             '/format regex "[a-z]{2,4}_[0-9]"']
    repl, code, out = drive(engine, "".join(line + "\r" for line in lines))
    joined = " ".join(out.split())  # the console wraps long lines
    assert "response_format = JSON\n" in out and "response_format = JSON Schema {" in out
    assert 'error: /format regex: regex: invalid regex "[a-z"' in out
    assert f"error: /format grammar {broken}: grammar: line 1, column 8: unknown name" in joined
    assert "error: JSON Schema file not found: nothere.json" in out
    assert "error: usage: /format text|json | schema FILE | regex PATTERN | grammar FILE" in out
    assert "error: use /format" in out and "Traceback" not in out
    assert repl.params.response_format == ResponseFormat("regex", "[a-z]{2,4}_[0-9]")


def test_a_constrained_run_in_the_repl_matches_and_says_it_is_complete(engine):
    keys = '/format regex "[a-z]{2,4}_[0-9]"\r/set max_new_tokens 20\rx = ' + SEND + "/format text\r"
    repl, code, out = drive(engine, keys)
    response = repl.keeper.session.runs[0].responses[0]
    assert re.fullmatch("[a-z]{2,4}_[0-9]", response.text) and "eos_token, format complete" in out
    assert repl.keeper.session.runs[0].params.response_format.type == "regex"
    assert not repl.params.response_format.constrained
