"""Extra checks against the real StarCoder2 vocabulary; skipped where ../shared is absent."""

from playground.engine.detok import IncrementalDetokenizer
from playground.engine.fim import STARCODER2_SPECIAL_TOKENS, build_prompt
from playground.engine.loading import end_of_text_id
from tests.conftest import SHARED_TOKENIZER


def test_llama_cpp_vectors_match(real_tokenizer):
    # llama.cpp's format: each input, a newline, then a marker line; one line of ids per input.
    pieces = (SHARED_TOKENIZER / "vectors.inp").read_text(encoding="utf-8").split("__ggml_vocab_test__\n")
    inputs = [piece.removesuffix("\n") for piece in pieces[:-1]]
    expected = (SHARED_TOKENIZER / "vectors.out").read_text(encoding="utf-8").split("\n")[: len(inputs)]
    assert len(inputs) == 46
    for text, line in zip(inputs, expected):
        assert real_tokenizer(text, add_special_tokens=False).input_ids == [int(x) for x in line.split()], text


def test_special_tokens_sit_at_their_real_ids(real_tokenizer):
    assert [real_tokenizer.convert_tokens_to_ids(t) for t in STARCODER2_SPECIAL_TOKENS] == list(range(38))
    assert end_of_text_id(real_tokenizer) == 0 and len(real_tokenizer) == 49152


def test_fim_prompt_uses_the_fim_token_ids(real_tokenizer):
    ids = real_tokenizer(build_prompt("def f():\n    ", "\n"), add_special_tokens=False).input_ids
    assert ids[0] == 1 and ids[-1] == 2 and ids.count(3) == 1


def test_stop_and_digits_pipeline_keeps_single_digits(real_tokenizer):
    ids = real_tokenizer("x = 12345", add_special_tokens=False).input_ids
    assert [real_tokenizer.decode([i]) for i in ids][-5:] == list("12345")
    detokenizer = IncrementalDetokenizer(real_tokenizer)
    assert "".join(detokenizer.push(i) for i in ids) + detokenizer.flush() == "x = 12345"
