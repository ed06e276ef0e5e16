"""The response_format parameter: checking, every bad input as one line, the CLI flags, presets,
the JSON output and the token mask's packing."""

from __future__ import annotations

import json
import re

import pytest
import torch

from playground.cli import main
from playground.engine.sampling.mask import all_allowed, allowed_tokens, apply_token_mask
from playground.params import ParamError, SamplingParams
from playground.presets import find_preset, save_user_preset
from playground.response_format import ResponseFormat
from tests.format_cases import GBNF_FORMAT, LARK, REGEX, SCHEMA, SCHEMA_FORMAT

BAD_FORMATS = [
    ({"type": "json_schema", "value": "{bad"}, "JSON Schema is not valid JSON: Expecting property name enclosed "
                                               "in double quotes at line 1, column 2"),
    ({"type": "json_schema", "value": '{"type": "object", "if": {}}'}, 'JSON Schema: Unimplemented keys: ["if"]'),
    ({"type": "json_schema", "value": '{"type": "strin"}'}, "JSON Schema: Invalid type: strin"),
    ({"type": "json_schema", "value": '{"type": "string", "pattern": "(?<=a)b"}'}, "look-around"),
    ({"type": "json_schema", "value": "[1, 2]"}, "JSON Schema must be an object (got list)"),
    ({"type": "regex", "value": "a(b"}, 'regex: invalid regex "a(b": regex parse error; unclosed group'),
    ({"type": "grammar", "value": "start: foo\n"}, 'grammar: line 1, column 8: unknown name: "foo"'),
    ({"type": "grammar", "value": 'root ::= "a" b'}, "grammar (GBNF): Rule 'b' not found"),
    ({"type": "regex"}, "response_format regex needs a value: the pattern"),
    ({"type": "json", "value": "x"}, "response_format json takes no value"),
    ({"type": "xml"}, "response_format type must be one of text, json, json_schema, regex, grammar"),
    ({"type": "json", "extra": 1}, "response_format has unknown key(s) 'extra'"),
    (42, "response_format must be a type name or a table of type and value"),
]


@pytest.mark.parametrize(("value", "message"), BAD_FORMATS)
def test_every_bad_format_is_one_line_naming_what_and_where(value, message):
    with pytest.raises(ParamError) as caught:
        SamplingParams.make(response_format=value)
    assert message in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("value", [SCHEMA_FORMAT, {"type": "regex", "value": REGEX},
                                   {"type": "grammar", "value": LARK}, GBNF_FORMAT, "json", {"type": "text"}])
def test_good_formats_round_trip_through_the_parameters_dict(value):
    params = SamplingParams.make(response_format=value)
    again = SamplingParams.make(json.loads(json.dumps(params.to_dict())))
    assert again == params and again.response_format.constrained == (params.to_dict()["response_format"]["type"]
                                                                      != "text")


def test_text_is_the_default_and_labels_are_short_plain_text():
    assert SamplingParams().response_format == ResponseFormat("text", None)
    assert SamplingParams().to_dict()["response_format"] == {"type": "text", "value": None}
    assert "response_format" not in SamplingParams().changes_from_defaults()
    label = SamplingParams.make(response_format=SCHEMA_FORMAT).response_format.label(24)
    assert label.startswith("JSON Schema {") and len(label) <= 24 and label.endswith("…")


def test_a_preset_keeps_its_format(tmp_path):
    params = SamplingParams.make(temperature=0.3, response_format={"type": "regex", "value": REGEX})
    path = save_user_preset("ids", params)
    assert 'type = "regex"' in path.read_text()
    assert find_preset("ids").apply(SamplingParams()).response_format == params.response_format
    text_preset = save_user_preset("plain", SamplingParams())  # text: no null in TOML
    assert find_preset("plain").apply(params).response_format == ResponseFormat()
    assert text_preset.exists()


def run(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as stopped:  # argparse's own refusals
        code = stopped.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("flags", "message"), [
    (["--json-schema", '{"type": "object", "if": {}}'], '--json-schema: JSON Schema: Unimplemented keys: ["if"]'),
    (["--json-schema", "missing.json"], "JSON Schema file not found: missing.json"),
    (["--regex", "a(b"], '--regex: regex: invalid regex "a(b"'),
    (["--grammar", "GRAMMAR"], "--grammar GRAMMAR: grammar: line 1, column 8: unknown name"),
    (["--regex", "a", "--response-format", "json"], "--response-format and --regex both set the response format"),
    (["--response-format", "xml"], "invalid choice: 'xml'"),
])
def test_bad_format_flags_exit_2_with_one_line(capsys, tmp_path, tiny_model_dir, flags, message):
    grammar = tmp_path / "broken.lark"
    grammar.write_text("start: foo\n")
    flags = [str(grammar) if flag == "GRAMMAR" else flag for flag in flags]
    message = message.replace("GRAMMAR", str(grammar))
    code, out, err = run(capsys, "generate", "--model", str(tiny_model_dir), "--prompt", "x", *flags)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_format_flags_reach_the_json_output(capsys, tmp_path, tiny_model_dir):
    schema = tmp_path / "person.json"
    schema.write_text(json.dumps(SCHEMA))
    code, out, _ = run(capsys, "generate", "--model", str(tiny_model_dir), "--prompt", "x = ", "--seed", "2",
                       "--json-schema", str(schema), "--max-new-tokens", "96", "--json")
    data = json.loads(out)
    assert code == 0 and data["params"]["response_format"] == {"type": "json_schema", "value": json.dumps(SCHEMA)}
    response = data["responses"][0]
    assert response["finish_reason"] == "eos_token" and response["format_complete"] is True
    json.loads(response["text"])
    grammar = tmp_path / "answer.gbnf"
    grammar.write_text(GBNF_FORMAT["value"])
    code, out, err = run(capsys, "generate", "--model", str(tiny_model_dir), "--prompt", "x = ", "--seed", "2",
                         "--grammar", str(grammar))
    assert code == 0 and re.fullmatch("yes|no|maybe [0-9]", out.strip())
    assert "eos_token, format complete" in err


def test_the_mask_unpacks_llguidance_bit_order_and_the_all_ones_mask_changes_nothing():
    vocab = 70  # three words, the last one partly past the vocabulary
    bits = torch.zeros(2, 3, dtype=torch.int32)
    for row, token in ((0, 0), (0, 31), (0, 33), (1, 69), (1, 63)):
        word, bit = divmod(token, 32)
        bits[row, word] |= torch.tensor(1 << bit).to(torch.int32)  # bit 31 wraps to the sign bit
    allowed = allowed_tokens(bits, vocab)
    assert allowed[0].nonzero().flatten().tolist() == [0, 31, 33]
    assert allowed[1].nonzero().flatten().tolist() == [63, 69]
    logits = torch.randn(2, vocab)
    assert torch.equal(apply_token_mask(logits, all_allowed(2, vocab, "cpu")), logits)
    masked = apply_token_mask(logits, bits)
    assert torch.isinf(masked[~allowed]).all() and torch.equal(masked[allowed], logits[allowed])


def test_the_format_speed_benchmark_runs_with_the_real_tokenizer(real_tokenizer, capsys):
    import sys
    from pathlib import Path

    from tests.conftest import SHARED_TOKENIZER

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import format_decode

    format_decode.main(["--tokenizer", str(SHARED_TOKENIZER), "--paths", "eager", "--new-tokens", "4",
                        "--repeats", "1"])
    table = capsys.readouterr().out
    assert "| eager |" in table and "(4 tokens)" in table and " µs |" in table


@pytest.mark.parametrize("value", [{"type": "json"}, SCHEMA_FORMAT])
def test_json_allows_no_whitespace_between_tokens(value):
    from playground.engine.demo import build_tokenizer
    from playground.engine.formats import FormatCompiler

    tokenizer = build_tokenizer()
    vocab = len(tokenizer)
    spaces = [t for t in range(vocab) if tokenizer.decode([t]) and not tokenizer.decode([t]).strip()]
    assert spaces  # the tokenizer has whitespace tokens to refuse
    matchers = FormatCompiler(tokenizer, vocab).matchers([SamplingParams.make(response_format=value).response_format],
                                                         frozenset({0}))
    assert matchers is not None
    for text in ("", "{"):  # before the value, and inside an object before its first key
        if text:
            matchers.accept(tokenizer(text, add_special_tokens=False).input_ids, [True])
        allowed = allowed_tokens(matchers.fill(), vocab)[0]
        assert allowed.any() and not allowed[spaces].any()
