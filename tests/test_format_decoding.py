"""Constrained generation on the tiny random StarCoder2 (its tokenizer built by the tests):
sampled responses that end are instances of their format, greedy is the argmax over the allowed
tokens (computed here, independently of llguidance), formats per A/B column, stops, sessions."""

from __future__ import annotations

import json
import re

import pytest
import regex  # partial matching: the independent mask of the greedy test
import torch

from playground.engine.engine import Engine
from playground.engine.handle import GenerationHandle
from playground.engine.types import GenerationRequest
from playground.params import SamplingParams
from playground.response_format import FormatError
from playground.runtime.running import Generation
from playground.sessions.records import ModelRecord, RunRecord
from playground.sessions.session import Session
from playground.sessions.store import SessionStore
from tests.format_cases import CHECKS, REGEX, REGEX_FORMAT, SCHEMA_FORMAT, is_schema_instance

PROMPT = "def config():\n    return "
SEEDS = range(0, 20, 2)  # two rows each (seeds s and s+1): 20 samples
#: Room for the longest instance of the schema (six \\uXXXX escapes in the name included).
ROOM = {"json": 32, "grammar": 32, "json_schema": 96}
#: Formats whose every instance is short: each sampled response must end inside its room.
BOUNDED = ("json_schema", "regex", "gbnf")


@pytest.fixture(scope="module")
def static_engine(loaded):
    return Engine(loaded, decode="static")


@pytest.mark.parametrize("name", list(CHECKS))
def test_every_finished_sampled_response_is_an_instance_of_its_format(engine, name):
    response_format, is_instance = CHECKS[name]
    params = SamplingParams.make(temperature=1.0, top_p=1.0, max_new_tokens=ROOM.get(name, 40), num_responses=2,
                                 response_format=response_format)
    finished = 0
    responses = [response for seed in SEEDS
                 for response in engine.generate(GenerationRequest(PROMPT, params.replace(seed=seed))).responses]
    assert len({r.seed for r in responses}) == 20
    for response in responses:
        seed = response.seed
        if response.finish_reason == "eos_token":
            finished += 1
            assert response.format_complete is True
        if response.format_complete:
            assert is_instance(response.text), (seed, response.text)
        else:
            assert response.finish_reason == "length", (seed, response.text)
    # A bounded format ends well inside max_new_tokens: no whitespace runs, no endless values.
    assert finished == len(responses) if name in BOUNDED else finished > 0


def allowed_by_regex(tokenizer, vocab_size: int, text: str, end_id: int) -> torch.Tensor:
    """Tokens that keep ``text`` a prefix of a full match of REGEX (regex's partial matching),
    and the end token once it is a full match: the mask, computed without llguidance."""
    allowed = torch.zeros(vocab_size, dtype=torch.bool)
    for token in range(vocab_size):
        piece = tokenizer.decode([token])
        if piece and regex.fullmatch(REGEX, text + piece, partial=True) is not None and "\ufffd" not in piece:
            allowed[token] = True
    allowed[end_id] = re.fullmatch(REGEX, text) is not None
    return allowed


@pytest.mark.parametrize("path", ["eager", "static"])
def test_greedy_with_a_format_is_the_argmax_over_the_allowed_tokens(loaded, engine, static_engine, path):
    chosen = engine if path == "eager" else static_engine
    params = SamplingParams.make(temperature=0, max_new_tokens=12, response_format=REGEX_FORMAT,
                                 repetition_penalty=1.3)  # a penalty too: the mask comes first
    result = chosen.generate(GenerationRequest(PROMPT, params))
    tokens = result.responses[0].token_ids
    tokenizer, model, end_id = loaded.tokenizer, loaded.model, loaded.eos_token_id
    ids = tokenizer(PROMPT, add_special_tokens=False).input_ids
    masked_mattered = False
    with torch.inference_mode():
        for position, token in enumerate(tokens):
            logits = model(torch.tensor([ids + tokens[:position]])).logits[0, -1].float()
            seen = set(ids + tokens[:position])
            penalized = logits.clone()
            for t in seen:
                penalized[t] = penalized[t] * 1.3 if penalized[t] < 0 else penalized[t] / 1.3
            allowed = allowed_by_regex(tokenizer, logits.shape[-1], tokenizer.decode(tokens[:position]), end_id)
            expected = int(torch.where(allowed, penalized, float("-inf")).argmax())
            assert token == expected, (position, token, expected)
            masked_mattered |= int(penalized.argmax()) != expected
    assert masked_mattered  # the unconstrained argmax was refused at least once
    assert result.responses[0].finish_reason == "eos_token" and re.fullmatch(REGEX, result.responses[0].text)


def test_eager_and_static_paths_draw_the_same_constrained_tokens(engine, static_engine):
    params = SamplingParams.make(temperature=0.9, top_k=40, seed=4, max_new_tokens=40, response_format=SCHEMA_FORMAT)
    eager = engine.generate(GenerationRequest(PROMPT, params)).responses[0]
    static = static_engine.generate(GenerationRequest(PROMPT, params)).responses[0]
    assert eager.token_ids == static.token_ids and is_schema_instance(static.text)


def test_two_columns_with_two_formats(engine):
    schema = SamplingParams.make(temperature=1.0, max_new_tokens=48, response_format=SCHEMA_FORMAT)
    pattern = SamplingParams.make(temperature=1.0, max_new_tokens=48, response_format=REGEX_FORMAT)
    text = SamplingParams.make(temperature=1.0, max_new_tokens=8)
    for columns in ((schema, pattern), (pattern, text)):
        result = engine.generate(GenerationRequest(PROMPT, columns[0].replace(num_responses=2, seed=3),
                                                   columns=columns))
        for response, column in zip(result.responses, columns):
            assert response.params.response_format == column.response_format
            if column is schema:
                assert response.format_complete and is_schema_instance(response.text)
            elif column is pattern:
                assert response.format_complete and re.fullmatch(REGEX, response.text)
            else:
                assert response.format_complete is None and "format_complete" not in response.to_json()


def test_a_stop_sequence_ends_a_constrained_response_marked_incomplete(engine):
    pattern = {"type": "regex", "value": "[a-z]{2,4}_[0-9]{3}"}
    params = SamplingParams.make(temperature=0, max_new_tokens=20, response_format=pattern, stop=["_"])
    response = engine.generate(GenerationRequest(PROMPT, params)).responses[0]
    assert response.finish_reason == "stop_sequence" and re.fullmatch("[a-z]{2,4}", response.text)
    assert response.format_complete is False


def test_a_response_cut_by_length_is_incomplete(engine):
    params = SamplingParams.make(temperature=0, max_new_tokens=3, response_format=SCHEMA_FORMAT)
    response = engine.generate(GenerationRequest(PROMPT, params)).responses[0]
    assert response.finish_reason == "length" and response.format_complete is False
    assert response.to_json()["format_complete"] is False


def test_the_format_cannot_change_mid_stream(engine):
    generation = Generation(engine, GenerationRequest(PROMPT, SamplingParams.make(max_new_tokens=2)))
    assert generation.steer("response_format", {"type": "json"}) is False
    assert generation.handle.take_changes() == []


def test_a_session_with_formats_round_trips_and_replays_identically(engine):
    schema = SamplingParams.make(temperature=1.0, max_new_tokens=40, response_format=SCHEMA_FORMAT)
    pattern = SamplingParams.make(temperature=0.8, max_new_tokens=40, response_format=REGEX_FORMAT)
    request = GenerationRequest(PROMPT, schema.replace(num_responses=2, seed=11), columns=(schema, pattern))
    result = engine.generate(request, None, GenerationHandle())
    record = RunRecord.from_result(request, result, "2026-11-26T00:00:00+00:00", ModelRecord.from_engine(engine))
    SessionStore().save(Session(prompt=PROMPT, params=schema, runs=[record]), "formats")
    reopened = SessionStore().open("formats")
    assert reopened.params == schema and reopened.runs == [record]
    path = SessionStore().save(Session(prompt=PROMPT, params=schema, runs=[record]), "formats", overwrite=True)
    saved = json.loads(path.read_text())
    assert saved["params"]["response_format"] == {"type": "json_schema", "value": SCHEMA_FORMAT["value"]}
    again = engine.generate(reopened.runs[0].replay_request())
    assert [r.token_ids for r in again.responses] == [r.token_ids for r in result.responses]
    assert [r.params.response_format for r in again.responses] == [schema.response_format, pattern.response_format]


def test_a_branch_primes_the_format_with_its_prefix_and_a_forced_token_outside_it_is_refused(engine):
    pattern = {"type": "regex", "value": "[a-z]{2,4}_[0-9]{3}"}
    params = SamplingParams.make(temperature=0, max_new_tokens=20, response_format=pattern)
    whole = engine.generate(GenerationRequest(PROMPT, params)).responses[0]
    assert len(whole.token_ids) >= 3  # a token, at least one more, the end token
    branch = engine.generate(GenerationRequest(PROMPT, params, prefix_tokens=tuple(whole.token_ids[:1])))
    assert branch.responses[0].token_ids == whole.token_ids and branch.responses[0].format_complete
    outside = engine.tokenizer("{", add_special_tokens=False).input_ids[0]
    with pytest.raises(FormatError, match=r"^regex .* does not allow '\{' here: pick another alternative"):
        engine.generate(GenerationRequest(PROMPT, params, prefix_tokens=tuple(whole.token_ids[:1]),
                                          forced_token=outside))
    allowed = engine.generate(GenerationRequest(PROMPT, params, prefix_tokens=tuple(whole.token_ids[:1]),
                                                forced_token=whole.token_ids[1])).responses[0]
    assert allowed.token_ids == whole.token_ids and allowed.format_complete


def test_probabilities_with_a_format_read_the_raw_logits_and_draw_the_same_tokens(engine):
    params = SamplingParams.make(temperature=0.8, seed=2, max_new_tokens=40, response_format=SCHEMA_FORMAT)
    plain = engine.generate(GenerationRequest(PROMPT, params)).responses[0]
    probed = engine.generate(GenerationRequest(PROMPT, params, logprobs=3)).responses[0]
    assert probed.token_ids == plain.token_ids and probed.logprobs is not None
    # The raw distribution ranks tokens the format forbade: some chosen token is not its top-1.
    assert any(info.rank > 1 for info in probed.logprobs)
    assert all(info.sampled_logprob is not None for info in probed.logprobs)
