"""A reopened run's tokens get their share of the response back from their own texts, also where
a character was split across tokens, a stop sequence cut the response, or an end token wrote nothing."""

from __future__ import annotations

import pytest

from playground.engine.types import GenerationRequest
from playground.params import SamplingParams
from playground.sessions.records import ModelRecord, RunRecord
from playground.tui.runs import RunState
from playground.tui.token_spans import token_chars

S = "\ufffd"  # the text of a piece of a split character


@pytest.mark.parametrize(("texts", "response", "chars"), [
    (["def", " f"], "def f", [3, 2]),
    (["a", S, S, S, "b"], "a😀b", [1, 0, 0, 1, 1]),  # the token that completes a character writes it
    (["a", S, S, S, S, "b", "<|endoftext|>"], "a中文b", [1, 0, 0, 0, 2, 1, 0]),
    (["a", S, S], "a中", [1, 0, 1]),
    ([S, S, "文"], "中文", [0, 1, 1]),
    (["use", " ==", "sh"], "use ", [3, 1, 0]),  # a stop sequence '==sh' cut inside ' =='
    (["x", S], "x\ufffd", [1, 1]),  # the model wrote U+FFFD itself
    ([], "", []),
])
def test_each_token_gets_the_characters_it_wrote(texts, response, chars):
    assert token_chars(texts, response) == chars
    assert sum(chars) == len(response)


@pytest.mark.parametrize(("texts", "response"), [(["x", "y"], "xz"), (["x", "y"], "xyz"), ([S, "b"], "b")])
def test_pieces_that_cannot_make_up_the_response_give_none(texts, response):
    assert token_chars(texts, response) is None


def test_a_run_cut_by_a_stop_sequence_shows_its_tokens_again_when_reopened(engine):
    params = SamplingParams.make(max_new_tokens=12, seed=3, temperature=0.9)
    whole = engine.generate(GenerationRequest("def f(x):", params)).responses[0]
    cut = whole.text[len(whole.text) // 2:][:3]  # a stop sequence inside the response
    request = GenerationRequest("def f(x):", params.replace(stop=(cut,)), logprobs=2)
    result = engine.generate(request)
    assert result.responses[0].finish_reason == "stop_sequence"
    record = RunRecord.from_result(request, result, "2026-11-26T00:00:00+00:00", ModelRecord.from_engine(engine))
    assert "".join(i.text for i in record.responses[0].probabilities) != record.responses[0].text
    run = RunState.from_record(engine, record)
    assert run is not None
    assert "".join(piece.text for piece in run.pieces(0)) == record.responses[0].text
    assert [piece.token_id for piece in run.pieces(0)] == record.responses[0].token_ids
