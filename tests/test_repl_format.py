"""The REPL's /format command: each kind, the bad inputs as one line, and a constrained run."""

from __future__ import annotations

import io
import json
import re

from rich.console import Console

from playground.engine.types import GenerationResult, ResponseResult, Timings
from playground.params import SamplingParams
from playground.repl import StreamDisplay
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
    assert "error: /format schema: JSON Schema file not found: nothere.json" in out
    assert "error: usage: /format text|json | schema FILE|JSON | regex PATTERN | grammar FILE" in out
    assert "error: use /format" in out and "Traceback" not in out
    assert repl.params.response_format == ResponseFormat("regex", "[a-z]{2,4}_[0-9]")


def test_a_constrained_run_in_the_repl_matches_and_says_it_is_complete(engine):
    keys = '/format regex "[a-z]{2,4}_[0-9]"\r/set max_new_tokens 20\rx = ' + SEND + "/format text\r"
    repl, code, out = drive(engine, keys)
    response = repl.keeper.session.runs[0].responses[0]
    assert re.fullmatch("[a-z]{2,4}_[0-9]", response.text) and "eos_token, format complete" in out
    assert repl.keeper.session.runs[0].params.response_format.type == "regex"
    assert not repl.params.response_format.constrained


def test_format_schema_takes_json_text_as_the_cli_does_and_names_a_missing_file(engine):
    schema = '{"type": "integer", "minimum": 0, "maximum": 9}'
    repl, code, out = drive(engine, f"/format schema '{schema}'\r/format grammar nothere.lark\r")
    assert repl.params.response_format == ResponseFormat("json_schema", schema)
    assert "error: /format grammar: grammar file not found: nothere.lark" in out and "Traceback" not in out


def test_two_responses_end_side_by_side_whole_at_80_columns():
    """A long unbroken token is folded, never cut with "…", and the seed shows all its digits."""
    console = Console(file=io.StringIO(), width=80, force_terminal=True, color_system=None)
    params = SamplingParams.make(num_responses=2, seed=8990832719199111224)
    texts = ["ionloblinitleliblibllefiathoblsysliblibdefshxx", "x = 1\n" + "a" * 50]
    responses = [ResponseResult(index=i, text=text, token_ids=[], finish_reason="length", seed=params.seed + i,
                                params=params) for i, text in enumerate(texts)]
    result = GenerationResult(model="m", prompt_tokens=1, params=params, responses=responses,
                              timings=Timings(load_s=0, ttft_s=0, decode_tokens_per_s=0, total_s=0))
    StreamDisplay(console, rows=2, language="python").show_final(result)
    shown = console.file.getvalue()
    halves = [[line[:40], line[40:]] for line in shown.splitlines()]
    left, right = ("".join(re.sub(r"[│ ]", "", row[side]) for row in halves if row[side].startswith("│"))
                   for side in (0, 1))
    assert "…" not in shown and left == texts[0] and right == texts[1].replace("\n", "").replace(" ", "")
    assert "seed 8990832719199111224" in shown and "seed 8990832719199111225" in shown
