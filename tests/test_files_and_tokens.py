"""The application layer's files (a prompt opened, a response saved) and the tokens of the
exact prompt, on the real tiny engine."""

from __future__ import annotations

import pytest

from playground.engine.fim import FIM_MIDDLE, FIM_PREFIX, FIM_SUFFIX
from playground.engine.types import GenerationRequest
from playground.errors import UserError
from playground.params import SamplingParams
from playground.runtime.files import MAX_PROMPT_FILE_BYTES, language_for, read_prompt_file, write_response_file
from playground.runtime.tokens import prompt_tokens


def test_a_prompt_file_is_read_or_refused_in_one_line(tmp_path):
    good = tmp_path / "fib.py"
    good.write_text("def fib(n):\n    ")
    assert read_prompt_file(good) == "def fib(n):\n    " and language_for(good) == "python"
    (tmp_path / "blob.bin").write_bytes(b"PK\x03\x04\x00\x00")
    (tmp_path / "latin.txt").write_bytes("café".encode("latin-1"))
    (tmp_path / "huge.txt").write_bytes(b"x" * (MAX_PROMPT_FILE_BYTES + 1))
    for name, reason in (("blob.bin", "binary"), ("latin.txt", "not UTF-8"), ("huge.txt", "MB"),
                         ("missing.py", "no file"), (".", "folder")):
        with pytest.raises(UserError, match=reason) as caught:
            read_prompt_file(tmp_path / name)
        assert "\n" not in str(caught.value)


def test_a_response_is_written_atomically_and_privately(tmp_path):
    target = tmp_path / "out" / "response.py"
    write_response_file(target, "print(1)\n")
    assert target.read_text() == "print(1)\n" and target.stat().st_mode & 0o777 == 0o600
    write_response_file(target, "print(2)\n")
    assert target.read_text() == "print(2)\n" and [p.name for p in target.parent.iterdir()] == ["response.py"]
    with pytest.raises(UserError, match="folder"):
        write_response_file(tmp_path, "x")


def test_the_tokens_view_is_exactly_what_the_model_reads(engine):
    request = GenerationRequest("def add(a, b):\n    ", SamplingParams(), suffix="\n\nprint(add(1, 2))\n")
    tokens = prompt_tokens(engine, request)
    assert tokens.text == f"{FIM_PREFIX}def add(a, b):\n    {FIM_SUFFIX}\n\nprint(add(1, 2))\n{FIM_MIDDLE}"
    assert tokens.ids == engine.prepare(request).ids  # the ids the engine prefills
    assert tokens.tokens[0] == FIM_PREFIX and tokens.ids[0] == engine.tokenizer.convert_tokens_to_ids(FIM_PREFIX)
    assert "".join(tokens.texts) == tokens.text  # ASCII: each token's text, in order, is the prompt
    empty = prompt_tokens(engine, GenerationRequest("", SamplingParams()))
    assert empty.ids == [engine.loaded.eos_token_id] and empty.tokens == ["<|endoftext|>"]
