"""The engine's decode loop against transformers' generate, and its streaming contract."""

import threading

import pytest
import torch

from playground.engine.handle import GenerationHandle
from playground.engine.types import GenerationRequest, RowFinished, TokenEvent
from playground.errors import UserError
from playground.params import ParamError, SamplingParams

LONG_PROMPT = "def fibonacci(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n"


def prompt_ids(engine, text):
    return engine.tokenizer(text, add_special_tokens=False).input_ids


def hf_greedy(engine, ids, new_tokens, **kwargs):
    out = engine.model.generate(torch.tensor([ids]), do_sample=False, max_new_tokens=new_tokens,
                                pad_token_id=0, eos_token_id=engine.loaded.eos_token_id, **kwargs)
    return out[0, len(ids):].tolist()


@pytest.mark.parametrize("penalty", [1.0, 1.3, 0.7])
def test_greedy_is_token_exact_against_transformers_past_the_sliding_window(engine, penalty):
    ids = prompt_ids(engine, LONG_PROMPT)
    assert len(ids) > engine.model.config.sliding_window * 2
    params = SamplingParams.make(temperature=0, max_new_tokens=60, repetition_penalty=penalty)
    ours = engine.generate(GenerationRequest(LONG_PROMPT, params)).responses[0]
    theirs = hf_greedy(engine, ids, 60, repetition_penalty=penalty)
    assert ours.token_ids == theirs
    assert len(set(ours.token_ids)) > 10  # a varied sequence, not one repeated token


def test_two_responses_share_a_prefill_and_sample_independently(engine):
    params = SamplingParams.make(num_responses=2, seed=7, max_new_tokens=30, temperature=1.0, top_p=1.0)
    result = engine.generate(GenerationRequest(LONG_PROMPT, params))
    first, second = result.responses
    assert first.token_ids != second.token_ids
    assert (first.seed, second.seed) == (7, 8)
    # each row alone, with its own seed, reproduces the same tokens
    alone = engine.generate(GenerationRequest(LONG_PROMPT, params.replace(num_responses=1, seed=8)))
    assert alone.responses[0].token_ids == second.token_ids


def test_greedy_rows_in_a_batch_match_a_single_greedy_run(engine):
    params = SamplingParams.make(temperature=0, max_new_tokens=40)
    single = engine.generate(GenerationRequest(LONG_PROMPT, params)).responses[0]
    pair = engine.generate(GenerationRequest(LONG_PROMPT, params.replace(num_responses=2))).responses
    assert pair[0].token_ids == pair[1].token_ids == single.token_ids


def test_same_seed_same_tokens_and_drawn_seed_is_reported(engine):
    params = SamplingParams.make(max_new_tokens=40, temperature=1.2, top_p=1.0)
    a = engine.generate(GenerationRequest("x = ", params.replace(seed=123)))
    b = engine.generate(GenerationRequest("x = ", params.replace(seed=123)))
    c = engine.generate(GenerationRequest("x = ", params.replace(seed=124)))
    assert a.responses[0].token_ids == b.responses[0].token_ids != c.responses[0].token_ids
    drawn = engine.generate(GenerationRequest("x = ", params))
    again = engine.generate(GenerationRequest("x = ", params.replace(seed=drawn.seed)))
    assert drawn.responses[0].token_ids == again.responses[0].token_ids


def test_unlinked_columns_share_a_seed_and_use_their_own_parameters(engine):
    cold = SamplingParams.make(temperature=0, max_new_tokens=25)
    hot = SamplingParams.make(temperature=1.5, top_p=1.0, max_new_tokens=25)
    request = GenerationRequest(LONG_PROMPT, cold.replace(seed=3, num_responses=2), columns=(cold, hot))
    result = engine.generate(request)
    assert [r.seed for r in result.responses] == [3, 3]
    greedy = engine.generate(GenerationRequest(LONG_PROMPT, cold)).responses[0]
    assert result.responses[0].token_ids == greedy.token_ids
    assert result.responses[1].token_ids != greedy.token_ids


def test_events_stream_the_same_text_and_tokens_as_the_result(engine):
    events = []
    params = SamplingParams.make(num_responses=2, max_new_tokens=30, seed=1)
    result = engine.generate(GenerationRequest("import os\n", params), events.extend)
    for response in result.responses:
        mine = [e for e in events if e.row == response.index]
        assert "".join(e.text for e in mine) == response.text
        assert [e.token_id for e in mine if isinstance(e, TokenEvent)] == response.token_ids
        assert [e.reason for e in mine if isinstance(e, RowFinished)] == [response.finish_reason]


def greedy_text(engine, prompt, n):
    params = SamplingParams.make(temperature=0, max_new_tokens=n)
    return engine.generate(GenerationRequest(prompt, params)).responses[0]


def test_stop_string_across_token_boundaries_ends_generation_and_is_excluded(engine):
    reference = greedy_text(engine, LONG_PROMPT, 40)
    full = reference.text
    # a stop that starts inside one token's text and ends inside a later one
    pieces = [engine.tokenizer.decode([t]) for t in reference.token_ids]
    boundary = len(pieces[0]) + len(pieces[1])
    stop = full[boundary - 1: boundary + 2]
    assert len(stop) == 3
    params = SamplingParams.make(temperature=0, max_new_tokens=40, stop=[stop])
    events = []
    result = engine.generate(GenerationRequest(LONG_PROMPT, params), events.extend).responses[0]
    assert result.finish_reason == "stop_sequence"
    assert result.text == full[: full.index(stop)]
    assert "".join(e.text for e in events) == result.text


def test_max_new_tokens_none_fills_the_context_window(engine):
    ids = prompt_ids(engine, LONG_PROMPT)
    params = SamplingParams.make(temperature=0, max_new_tokens=None, repetition_penalty=1.2)
    result = engine.generate(GenerationRequest(LONG_PROMPT, params))
    response = result.responses[0]
    assert response.finish_reason in ("length", "eos_token")
    if response.finish_reason == "length":
        assert len(ids) + len(response.token_ids) == engine.context_window
    assert result.params.max_new_tokens == engine.context_window - len(ids)


def test_a_prompt_longer_than_the_context_is_one_clear_error(engine):
    with pytest.raises(UserError) as caught:
        engine.generate(GenerationRequest("x = 1\n" * 200))
    assert "context window is 160" in str(caught.value) and "shorten" in str(caught.value)
    assert caught.value.exit_code == 2


def test_cancel_from_another_thread_lands_within_a_step(engine):
    handle = GenerationHandle()
    seen = []

    def on_event(events):
        seen.extend(events)
        if len(seen) == 5:
            threading.Thread(target=handle.cancel).start()

    params = SamplingParams.make(max_new_tokens=None, temperature=1.0, seed=1)
    result = engine.generate(GenerationRequest("x", params), on_event, handle)
    response = result.responses[0]
    assert response.finish_reason == "cancelled"
    assert 5 <= len(response.token_ids) <= 7
    assert response.text == "".join(e.text for e in seen)


def test_live_changes_apply_from_the_next_token_and_are_recorded(engine):
    handle = GenerationHandle()
    params = SamplingParams.make(max_new_tokens=30, temperature=1.5, top_p=1.0, seed=11)
    steps = []

    def on_event(events):
        steps.append(events)
        if len(steps) == 10:
            handle.set_param("temperature", 0)

    result = engine.generate(GenerationRequest(LONG_PROMPT, params), on_event, handle)
    [change] = result.live_changes
    assert (change.row, change.at_token, change.name, change.value) == (0, 10, "temperature", 0.0)
    tokens = result.responses[0].token_ids
    # from token 10 on the run is greedy: the same as continuing the first 10 tokens greedily
    ids_then = prompt_ids(engine, LONG_PROMPT) + tokens[:10]
    assert hf_greedy(engine, ids_then, 20) == tokens[10:]


def test_live_change_validation_and_max_new_tokens(engine):
    handle = GenerationHandle()
    with pytest.raises(ParamError):
        handle.set_param("top_p", 0)
    with pytest.raises(ParamError):
        handle.set_param("num_responses", 2)
    handle.set_param("max_new_tokens", 3)
    result = engine.generate(GenerationRequest("x", SamplingParams.make(max_new_tokens=50)), None, handle)
    assert len(result.responses[0].token_ids) == 3 and result.responses[0].finish_reason == "length"


def test_fim_builds_the_starcoder2_form_and_ends_at_file_sep(engine):
    request = GenerationRequest("def add(a, b):\n    ", SamplingParams.make(temperature=0),
                                suffix="\n\nprint(add(1, 2))")
    prepared = engine.prepare(request)
    tokenizer = engine.tokenizer
    assert prepared.ids[0] == 1 and 3 in prepared.ids and prepared.ids[-1] == 2  # prefix, suffix, middle
    assert tokenizer.decode(prepared.ids) == \
        "<fim_prefix>def add(a, b):\n    <fim_suffix>\n\nprint(add(1, 2))<fim_middle>"
    assert prepared.end_ids == {0, 6}
    assert engine.prepare(GenerationRequest("x")).end_ids == {0}


def test_fim_generation_ends_on_file_sep(engine, monkeypatch):
    # Force <file_sep> to be the argmax after three tokens: the fill must end there.
    from playground.engine import eager as engine_module

    original = engine_module.decode_one_token
    calls = {"n": 0}

    def rigged(model, tokens, cache, keyword):
        logits = original(model, tokens, cache, keyword)
        calls["n"] += 1
        if calls["n"] == 3:
            logits = logits.clone()
            logits[:, 6] = 1e4
        return logits

    monkeypatch.setattr(engine_module, "decode_one_token", rigged)
    request = GenerationRequest("a = ", SamplingParams.make(temperature=0, max_new_tokens=50), suffix="\n")
    response = engine.generate(request).responses[0]
    assert response.finish_reason == "eos_token" and response.token_ids[-1] == 6
    assert "<file_sep>" not in response.text and len(response.token_ids) == 4


def test_special_token_strings_in_user_text_are_warned_about(engine):
    prepared = engine.prepare(GenerationRequest("x = '<fim_middle>'", suffix="<file_sep>"))
    assert len(prepared.warnings) == 2
    assert any("<fim_middle>" in w for w in prepared.warnings)
    assert engine.prepare(GenerationRequest("x = '<fim>'")).warnings == []


def test_empty_prompt_starts_a_new_document(engine):
    result = engine.generate(GenerationRequest("", SamplingParams.make(max_new_tokens=5, seed=0)))
    assert result.prompt_tokens == 1 and len(result.responses[0].token_ids) >= 1


def test_eos_ends_generation_and_is_not_in_the_text(engine, monkeypatch):
    from playground.engine import eager as engine_module

    original = engine_module.decode_one_token

    def rigged(model, tokens, cache, keyword):
        logits = original(model, tokens, cache, keyword).clone()
        logits[:, 0] = 1e4
        return logits

    monkeypatch.setattr(engine_module, "decode_one_token", rigged)
    response = engine.generate(GenerationRequest("x", SamplingParams.make(temperature=0))).responses[0]
    assert response.finish_reason == "eos_token" and response.token_ids[-1] == 0
    assert "<|endoftext|>" not in response.text


def test_timings_are_measured(engine):
    result = engine.generate(GenerationRequest("x", SamplingParams.make(max_new_tokens=20, seed=0)))
    t = result.timings
    assert 0 < t.ttft_s <= t.total_s and t.decode_tokens_per_s > 0 and t.load_s > 0
