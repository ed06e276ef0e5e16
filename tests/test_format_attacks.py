"""Hostile response formats: boolean schemas, formats no text can satisfy, huge patterns and
files, flag combinations, special tokens the model lacks. Each is one line, never a traceback."""

from __future__ import annotations

import pytest

from playground.engine.types import GenerationRequest
from playground.errors import UserError
from playground.params import ParamError, SamplingParams
from playground.response_format import FormatError, ResponseFormat
from tests.test_response_format import run

NEVER_SATISFIED = [
    {"type": "json_schema", "value": '{"$ref": "#"}'},
    {"type": "json_schema", "value": '{"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, '
                                     '"$ref": "#/$defs/a"}'},
    {"type": "regex", "value": r"[^\s\S]"},
    {"type": "grammar", "value": 'start: a\na: a "x"\n'},
    {"type": "grammar", "value": 'root ::= root "x"'},
]


@pytest.mark.parametrize("value", NEVER_SATISFIED)
def test_a_format_no_text_can_satisfy_is_refused_in_one_line(value):
    with pytest.raises(ParamError) as caught:
        SamplingParams.make(response_format=value)
    assert "no text can satisfy it" in str(caught.value) and "\n" not in str(caught.value)


def test_boolean_schemas_are_the_any_value_schema_or_refused_in_one_line():
    assert SamplingParams.make(response_format={"type": "json_schema", "value": "true"}).response_format.constrained
    with pytest.raises(ParamError, match="JSON Schema false allows no value at all"):
        SamplingParams.make(response_format={"type": "json_schema", "value": "false"})


@pytest.mark.parametrize("pattern", [" ", "   ", "\t"])
def test_a_pattern_of_whitespace_is_a_pattern(pattern):
    assert SamplingParams.make(response_format={"type": "regex", "value": pattern}).response_format.value == pattern


def test_a_value_of_the_wrong_type_is_named_as_such():
    with pytest.raises(ParamError, match="the pattern must be text \\(got int\\)"):
        SamplingParams.make(response_format={"type": "regex", "value": 5})


def test_a_long_bad_pattern_is_not_echoed_whole():
    with pytest.raises(ParamError) as caught:
        SamplingParams.make(response_format={"type": "regex", "value": "a" * 50_000 + "("})
    message = str(caught.value)
    assert "unclosed group" in message and "…" in message and len(message) < 200


def test_a_grammar_naming_a_special_token_the_model_lacks_is_refused_before_generating(engine):
    params = SamplingParams.make(response_format={"type": "grammar", "value": 'start: <|no_such_token|> "x"'})
    with pytest.raises(FormatError) as caught:
        engine.generate(GenerationRequest("x = ", params.replace(max_new_tokens=3)))
    message = str(caught.value)
    assert 'unknown special token: "<|no_such_token|>"' in message and "this model cannot use it" in message
    assert "\n" not in message and len(message) < 200  # not the model's whole list of special tokens
    assert ResponseFormat("grammar", "x").label()  # the engine is still usable
    assert engine.generate(GenerationRequest("x = ", params.replace(
        max_new_tokens=2, response_format=ResponseFormat()))).responses


@pytest.mark.parametrize(("flags", "message"), [
    (["--json-schema", "true"], None),
    (["--json-schema", "[1]"], "--json-schema: JSON Schema must be an object (got list)"),
    (["--json-schema", "HUGE"], "is 400,001 bytes: a response format takes at most 100,000 characters"),
    (["--grammar", "HUGE"], "is 400,001 bytes: a response format takes at most 100,000 characters"),
    (["--response-format", "text", "--json-schema", "{}", "--regex", "a"],
     "--response-format, --json-schema and --regex each set the response format: give one"),
    (["--json-schema", '{"$ref": "#"}'], "--json-schema: JSON Schema: no text can satisfy it"),
])
def test_format_flags_attacked(capsys, tmp_path, tiny_model_dir, flags, message):
    huge = tmp_path / "huge.json"
    huge.write_text("x" * 400_001)
    flags = [str(huge) if flag == "HUGE" else flag for flag in flags]
    code, out, err = run(capsys, "generate", "--model", str(tiny_model_dir), "--prompt", "x", "--max-new-tokens",
                         "2", *flags)
    if message is None:
        assert code == 0, err
    else:
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_the_repl_and_presets_refuse_a_false_schema_file_in_one_line(tmp_path):
    from playground.format_input import file_format

    schema = tmp_path / "false.json"
    schema.write_text("false")
    with pytest.raises(UserError, match="JSON Schema false allows no value at all"):
        file_format("json_schema", schema, "/format schema")


def test_a_label_shows_control_characters_as_pictures_never_as_terminal_commands():
    label = ResponseFormat("regex", "\x1bc\x1b\\[2J\x7f").label(60)  # ESC c: a terminal reset
    assert label == "regex ␛c␛\\[2J␡" and not any(ord(c) < 32 or ord(c) == 0x7F for c in label)
