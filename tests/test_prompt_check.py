"""Before any weights load: the prompt's tokens counted with the tokenizer alone (as the engine
counts them), bounded and UTF-8 input, and the notes on options that will not do what they say."""

from __future__ import annotations

import io
import random
from types import SimpleNamespace

import pytest

from playground.cli import main, say
from playground.cli_io import MAX_PROMPT_BYTES, checked_text, read_bounded
from playground.engine.fim import STARCODER2_SPECIAL_TOKENS
from playground.engine.options import LoadOptions
from playground.errors import UserError
from playground.runtime.opening import option_notes
from playground.runtime.prompt_check import check_prompt_fits, count_prompt_tokens, model_files
from tests.conftest import SHARED_TOKENIZER

PIECES = ["def ", "f(x)", ":\n", "    return ", "x * 2", "\t", "é", "日本", "🙂", " ", "\n\n", "[/INST]",
          *STARCODER2_SPECIAL_TOKENS[:8]]


def texts(seed: int, count: int = 40) -> list[str]:
    draw = random.Random(seed)
    return ["".join(draw.choice(PIECES) for _ in range(draw.randint(0, 30))) for _ in range(count)]


def test_the_tokenizer_alone_counts_as_the_engine_does(engine, tiny_model_dir):
    tokenizer = tiny_model_dir / "tokenizer.json"
    for text in texts(1):
        assert count_prompt_tokens(tokenizer, text, None) == max(engine.count_tokens(text), 1)
    for prefix, suffix in zip(texts(2), texts(3)):
        assert count_prompt_tokens(tokenizer, prefix, suffix) == len(engine.prepare(
            _request(prefix, suffix)).ids)


def test_the_real_tokenizer_counts_as_transformers_does(real_tokenizer, monkeypatch):
    import tokenizers

    path = SHARED_TOKENIZER / "tokenizer.json"
    first, *others = texts(4)
    assert count_prompt_tokens(path, first, None) == max(len(real_tokenizer(first, add_special_tokens=False)
                                                             .input_ids), 1)
    # Read from the file above; for the other texts the same tokenizer is handed back, not read
    # again: the real one takes most of a second to read, 40 reads were this file's slowest test.
    read_once = tokenizers.Tokenizer.from_file(str(path))
    monkeypatch.setattr(tokenizers, "Tokenizer", SimpleNamespace(from_file=lambda file: read_once))
    for text in others:
        expected = max(len(real_tokenizer(text, add_special_tokens=False).input_ids), 1)
        assert count_prompt_tokens(path, text, None) == expected


def test_a_prompt_too_long_is_refused_and_one_that_fits_passes(tiny_model_dir):
    options = LoadOptions(model=str(tiny_model_dir))
    assert model_files(options) == (tiny_model_dir / "tokenizer.json", tiny_model_dir / "config.json")
    check_prompt_fits(options, "def f():\n    return 1\n")
    with pytest.raises(UserError, match="context window is 160: shorten it to at most 159 tokens"):
        check_prompt_fits(options, "x = 1\n" * 100)
    with pytest.raises(UserError, match="context window is 160"):
        check_prompt_fits(options, "x", suffix="y = 2\n" * 100)  # the FIM form counts the suffix too


def test_without_the_files_at_hand_the_check_is_left_to_the_engine(tmp_path):
    assert model_files(LoadOptions(model="bigcode/not-downloaded-here")) is None
    assert model_files(LoadOptions(model=str(tmp_path))) is None
    check_prompt_fits(LoadOptions(model=str(tmp_path)), "x" * 100_000)  # nothing to check with: no error


def test_input_is_bounded_and_utf8():
    assert read_bounded(io.BytesIO("déf".encode()), "the prompt") == "déf"
    with pytest.raises(UserError, match="not UTF-8 text \\(an invalid byte at offset 1\\)"):
        read_bounded(io.BytesIO(b"a\xffb"), "the prompt")
    with pytest.raises(UserError, match="larger than 8 MB"):
        read_bounded(io.BytesIO(b"x" * (MAX_PROMPT_BYTES + 1)), "the prompt")
    assert len(read_bounded(io.BytesIO(b"x" * MAX_PROMPT_BYTES), "the prompt")) == MAX_PROMPT_BYTES
    assert checked_text("[/INST] é", "--stop") == "[/INST] é"
    with pytest.raises(UserError, match="--prompt is not valid UTF-8 text"):
        checked_text("a\udcff", "--prompt")


def test_options_that_do_nothing_are_said_once_each(tiny_model_dir):
    assert option_notes(LoadOptions(model="someone/model", demo=True)) == [
        "--demo uses the built-in demo model: --model someone/model is ignored"]
    assert option_notes(LoadOptions(demo=True)) == []  # the default model: nothing was asked for
    # a revision with a local directory is the loader's warning (it knows what --model resolved to)
    assert option_notes(LoadOptions(model=str(tiny_model_dir), revision="v1")) == []
    assert option_notes(LoadOptions(model="bigcode/starcoder2-3b", revision="main")) == []


def test_options_a_server_makes_useless_are_all_named():
    server = "http://127.0.0.1:8000"
    assert option_notes(LoadOptions(server=server)) == []
    assert option_notes(LoadOptions(server=server, dtype="bfloat16", device="cuda", revision="main",
                                    decode="eager")) == [
        "--server generates on the server: --revision, --device, --dtype, --decode ignored"]
    assert option_notes(LoadOptions(server=server, model="bigcode/starcoder2-3b")) == [
        "--server generates on the server: --model ignored (--server-model NAME picks the server's model)"]


def test_the_cli_writes_control_characters_as_escapes(capsys):
    say("note: --model a\x1b[2Jb\tc is ignored")
    assert capsys.readouterr().err == "starcoder-play: note: --model a\\x1b[2Jb\tc is ignored\n"


def test_the_cli_says_the_notes_on_stderr(capsys, tiny_model_dir):
    code = main(["generate", "--model", str(tiny_model_dir), "--revision", "v1", "--prompt", "x",
                 "--max-new-tokens", "1"])
    err = capsys.readouterr().err
    assert code == 0 and err.count("--revision v1 is ignored") == 1


def _request(prefix: str, suffix: str):
    from playground.engine.types import GenerationRequest
    from playground.params import SamplingParams

    return GenerationRequest(prefix, SamplingParams(), suffix=suffix)
