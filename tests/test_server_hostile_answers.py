"""A server whose answers are not vLLM's shape, met by branches and token texts: every one is a
line naming the endpoint (or the row cut with one warning, its tokens kept), never a traceback.
The stub is tests/server_stub.py; tests/test_server_branch.py has the well-behaved cases."""

from __future__ import annotations

import json
import re
import threading
from typing import Any

import pytest

from playground.engine.types import GenerationRequest, TokenEvent
from playground.params import SamplingParams
from playground.server.connection import ServerConnection, ServerError
from playground.server.tokens import ServerTokenizer
from tests.server_stub import StubHandler, chunk, stub_server, tokenize
from tests.test_server_branch import ROUTES
from tests.test_server_client import open_stub

BRANCH = GenerationRequest("ab", SamplingParams(max_new_tokens=5, seed=1), logprobs=1, prefix_tokens=(99,),
                           forced_token=103)


def answering(data: Any) -> Any:
    return lambda handler, body: handler.send_json(data)


def separator_as(data: Any) -> Any:
    """``/tokenize`` as the stub's, but ``data`` for the separator the batched ``/detokenize`` asks about."""
    def route(handler: StubHandler, body: dict[str, Any]) -> None:
        handler.send_json(data) if body["prompt"] == "<|endoftext|>" else tokenize(handler, body)
    return route


def run(routes: dict[str, Any], request: GenerationRequest = BRANCH) -> tuple[Any, list[TokenEvent]]:
    events: list[Any] = []
    with stub_server(ROUTES | routes) as (url, _):
        result = open_stub(url).generate(request, events.extend)
    return result, [event for event in events if isinstance(event, TokenEvent)]


@pytest.mark.parametrize(("routes", "named"), [
    ({"/detokenize": answering([1, 2])}, "/detokenize answered without a text"),
    ({"/detokenize": answering({})}, "/detokenize answered without a text"),
    ({"/detokenize": answering({"prompt": ["a", "b"]})}, "/detokenize answered without a text"),
    ({"/tokenize": separator_as({"tokens": ["x"]})}, r"/tokenize answered a token that is not one \('x'"),
    ({"/tokenize": separator_as({"tokens": [-4]})}, r"/tokenize answered a token that is not one \(-4"),
    ({"/tokenize": separator_as([0])}, "/tokenize answered without a list of tokens"),
])
def test_a_tokenizer_answer_of_the_wrong_shape_is_one_line_naming_the_endpoint(routes: dict[str, Any],
                                                                               named: str) -> None:
    with pytest.raises(ServerError, match=named) as failed:
        run(routes)
    assert "\n" not in str(failed.value) and "OpenAI-compatible" in str(failed.value)


def test_a_token_count_of_the_wrong_shape_keeps_the_last_count() -> None:
    answers = iter([{"count": 3}, [1, 2], {"count": "many"}, {"tokens": [1, "x"]}])
    with stub_server({"/tokenize": lambda handler, body: handler.send_json(next(answers))}) as (url, _):
        tokenizer = ServerTokenizer(ServerConnection(url), "m")
        assert [tokenizer.count(text) for text in ("a", "b", "c", "d")] == [3, 3, 3, 3]


def first_chunk(logprobs: Any, prompt: Any, ids: Any = (90,)) -> Any:
    """A stream whose first chunk echoes ``prompt`` with ``logprobs``, then ends by length."""
    def route(handler: StubHandler, body: dict[str, Any]) -> None:
        first = chunk("Z", list(ids))
        first["choices"][0] |= {"prompt_token_ids": body["prompt"] if prompt is None else prompt,
                                "logprobs": logprobs(len(body["prompt"]))}
        handler.send_events([first, chunk("", [], "length")])
    return route


def values(value: Any) -> Any:
    return lambda length: {"token_logprobs": [None] + [value] * length, "top_logprobs": [None] + [{}] * length}


@pytest.mark.parametrize(("route", "named"), [
    (first_chunk(values(float("nan")), None), "nan is not a log-probability"),
    (first_chunk(values(5.0), None), "5.0 is not a log-probability"),
    (first_chunk(values("-1"), None), "'-1' is not a log-probability"),
    (first_chunk(lambda n: {"token_logprobs": [None] + [-0.5] * n,  # exp(1e308) overflowed: a traceback
                            "top_logprobs": [None] + [{"token_id:5": 1e308}] * n}, None),
     "1e\\+308 is not a log-probability"),
    (first_chunk(values(-0.5), [97]), "it echoed a prompt of 1 tokens for one of 4"),
    (first_chunk(values(-0.5), 5), "prompt_token_ids '5' is not a list"),
    (first_chunk(values(-0.5), None, [10**30]), "is not a token id"),
    (first_chunk(values(-0.5), None, [-1]), "-1 is not a token id"),
])
def test_an_echoed_chunk_of_the_wrong_shape_cuts_the_row_and_keeps_the_given_tokens(route: Any, named: str) -> None:
    result, tokens = run({"/v1/completions": route})
    assert [(token.token_id, token.text) for token in tokens] == [(99, "c"), (103, "g")]
    [response] = result.responses
    assert response.token_ids == [99, 103] and response.finish_reason == "cancelled"
    [warning] = result.warnings
    assert "response 1 is cut after 2 tokens" in warning and "partial response is kept" in warning
    assert re.search(named, warning)


def test_a_tiny_positive_log_probability_is_float_rounding_and_reads_as_certain() -> None:
    result, tokens = run({"/v1/completions": first_chunk(values(1e-7), None)})
    assert [token.info and token.info.logprob for token in tokens] == [0.0, 0.0, 0.0] and not result.warnings


def forced_end(answer: Any) -> Any:
    """The request for a forced end's probabilities (not streamed, nothing generated) answered
    with ``answer`` (a function of the prompt sent)."""
    def route(handler: StubHandler, body: dict[str, Any]) -> None:
        assert body["stream"] is False and body["max_tokens"] == 0 and body["echo"] is True
        handler.send_json(answer(body["prompt"]))
    return route


END = GenerationRequest("ab", SamplingParams(max_new_tokens=5), logprobs=1, prefix_tokens=(99,), forced_token=60)


def test_a_forced_end_takes_its_probabilities_from_a_request_of_its_own() -> None:
    def echoed(prompt: list[int]) -> Any:
        return {"choices": [{"prompt_token_ids": prompt, "logprobs": values(-0.25)(len(prompt) - 1)}]}

    result, tokens = run({"/v1/completions": forced_end(echoed)}, END)  # "<" starts the stub's end-of-text
    assert [(token.token_id, token.info and token.info.logprob) for token in tokens] == [(99, -0.25), (60, -0.25)]
    assert result.responses[0].finish_reason == "eos_token"


@pytest.mark.parametrize("answer", [[1], {"choices": "x"}, {"choices": []}, {},
                                    {"choices": [{"prompt_token_ids": [1]}]},
                                    {"choices": [{"logprobs": {"token_logprobs": [None, "x", "y", "z"]}}]}])
def test_a_forced_ends_answer_of_the_wrong_shape_is_one_line(answer: Any) -> None:
    with pytest.raises(ServerError, match="sent a chunk that is not a completion .*OpenAI-compatible") as failed:
        run({"/v1/completions": forced_end(lambda prompt: answer)}, END)
    assert "\n" not in str(failed.value)


@pytest.mark.parametrize("url", ["http://alice:s3/cret@gpu.example:8000", "http://alice:s3?cret@gpu.example:8000",
                                 "http://alice:s3#cret@gpu.example:8000", "http://ali/ce:s3cret@gpu.example",
                                 "alice:s3cret@gpu.example:8000", "http://alice:s3cret@gpu.example:99999"])
def test_a_password_that_ends_the_host_early_is_never_shown(url: str) -> None:
    """A '/', '?' or '#' in a password ends the URL's host there: what followed (part of the
    password) was shown as the path; now the address is refused naming the fix, without it."""
    from playground.errors import UserError
    from playground.server.address import checked_url, public_url, shown_url

    with pytest.raises(UserError) as refused:
        checked_url(url)
    shown = [str(refused.value), shown_url(url), public_url(url)]
    assert not [text for text in shown if "s3" in text or "alice" in text or "ali/" in text]
    assert "gpu.example" in shown_url(url)
    if "/" in url.split("@")[0].removeprefix("http://") or "?" in url or "#" in url:
        assert "percent-encode them (%2F, %3F, %23)" in str(refused.value)


def test_a_lone_surrogate_from_the_server_becomes_the_replacement_character() -> None:
    """JSON's ``\\ud800`` escape decodes to a lone surrogate, which no terminal, file or pipe can
    take (the response view crashed on it); vLLM's own decoder writes U+FFFD for bad bytes."""
    def route(handler: StubHandler, body: dict[str, Any]) -> None:
        handler.start_events()
        handler.send_event('{"choices": [{"index": 0, "text": "a\\ud800b", "token_ids": [90], "finish_reason": '
                           '"length", "stop_reason": null}]}')
        handler.wfile.write(b"data: [DONE]\n\n")

    def detokenize(handler: StubHandler, body: dict[str, Any]) -> None:
        payload = b'{"prompt": "' + b"\\udc80" * len(body["tokens"]) + b'"}'
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    plain = GenerationRequest("ab", SamplingParams(max_new_tokens=3, seed=1), prefix_tokens=(99,), forced_token=103)
    result, tokens = run({"/v1/completions": route, "/detokenize": detokenize}, plain)
    assert result.responses[0].text == "\ufffd\ufffd" + "a\ufffdb"  # the given tokens, named by /detokenize
    with stub_server({"/detokenize": detokenize, "/tokenize": tokenize}) as (url, _):
        assert ServerTokenizer(ServerConnection(url), "m").decode([1, 2]) == "\ufffd\ufffd"


@pytest.mark.parametrize("forced", [-3, 2**40])
def test_a_forced_token_that_is_no_token_id_is_refused_in_one_line_before_any_request(forced: int) -> None:
    from playground.errors import UserError

    with pytest.raises(UserError, match=f"token id {forced} is not a token id") as refused:
        run({"/v1/completions": first_chunk(values(-0.5), None)},
            GenerationRequest("ab", SamplingParams(max_new_tokens=5), prefix_tokens=(99,), forced_token=forced))
    assert "4611686018427387903" not in str(refused.value)


def echo_then(after: Any) -> Any:
    """A first chunk echoing the prompt's information (as vLLM does), then ``after(handler)``."""
    def route(handler: StubHandler, body: dict[str, Any]) -> None:
        first = chunk("Z", [90])
        first["choices"][0] |= {"prompt_token_ids": body["prompt"], "logprobs": values(-0.5)(len(body["prompt"]))}
        handler.start_events()
        handler.send_event(json.dumps(first))
        after(handler)
    return route


def test_a_server_that_dies_after_the_echo_keeps_the_given_tokens_and_the_first_with_their_information() -> None:
    result, tokens = run({"/v1/completions": echo_then(lambda handler: None)})  # closes without [DONE]
    assert [(token.token_id, token.info and token.info.logprob) for token in tokens] == [(99, -0.5), (103, -0.5),
                                                                                        (90, -0.5)]
    [warning] = result.warnings
    assert "response 1 is cut after 3 tokens" in warning and "ended the response early" in warning
    assert result.responses[0].token_ids == [99, 103, 90] and len(result.responses[0].logprobs or []) == 3


def test_a_cancel_once_the_echo_arrived_ends_the_branch_at_once_with_what_came() -> None:
    from playground.engine.handle import GenerationHandle

    released = threading.Event()
    handle = GenerationHandle()

    def quiet(handler: StubHandler) -> None:
        released.wait(timeout=240)  # a safety net for a failing test, not a synchronisation

    events: list[Any] = []

    def on_event(batch: list[Any]) -> None:
        events.extend(batch)
        if any(isinstance(event, TokenEvent) and event.token_id == 90 for event in batch):
            handle.cancel()  # the server goes quiet after the echo: the cancel must not wait on it

    try:
        with stub_server(ROUTES | {"/v1/completions": echo_then(quiet)}) as (url, _):
            result = open_stub(url).generate(BRANCH, on_event, handle)
    finally:
        released.set()
    assert result.responses[0].token_ids == [99, 103, 90] and result.responses[0].finish_reason == "cancelled"
    assert [event.info.logprob for event in events if isinstance(event, TokenEvent)] == [-0.5, -0.5, -0.5]


@pytest.mark.usefixtures("real_tokenizer")
@pytest.mark.parametrize("key", ["def", "token_id:-5", "token_id:99999999999999999999999", "token_id:4x"])
def test_an_alternative_named_by_no_token_id_is_one_line_with_the_local_tokenizer(key: str) -> None:
    """With the model's tokenizer on this machine, an alternative's id is decoded here: a key that
    is not ``token_id:N`` (a server ignoring ``return_tokens_as_token_ids``) was id -1, whose
    decode raised OverflowError, a traceback."""
    from tests.conftest import SHARED_TOKENIZER
    from tests.server_stub import models

    def route(handler: StubHandler, body: dict[str, Any]) -> None:
        first = chunk("Z", [90])
        first["choices"][0]["logprobs"] = {"token_logprobs": [-0.5], "top_logprobs": [{key: -0.5, "token_id:90": -0.6}]}
        handler.send_events([first, chunk("", [], "length")])

    request = GenerationRequest("ab", SamplingParams(max_new_tokens=3), logprobs=2)
    with pytest.raises(ServerError, match="sent a chunk that is not a completion .*(names no|is not a) token id"):
        run({"/v1/models": models(str(SHARED_TOKENIZER)), "/v1/completions": route}, request)
