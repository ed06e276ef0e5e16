"""Branches and token texts on a server, the client's side, against the scripted stub
(tests/server_stub.py) and the real tokenizer; tests/test_server_vllm.py runs them on a real vLLM."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from playground.engine.detok import IncrementalDetokenizer
from playground.engine.handle import GenerationHandle
from playground.engine.types import GenerationRequest, RowFinished, StreamEvent, TokenEvent
from playground.errors import UserError
from playground.params import SamplingParams
from playground.response_format import ResponseFormat
from playground.server.connection import ServerConnection
from playground.server.pieces import TokenPieces, local_tokenizer
from playground.server.wire import logprob_ids, split_echo
from tests.conftest import SHARED_TOKENIZER
from tests.server_stub import StubHandler, chunk, models, stub_server, tokenize
from tests.test_server_client import open_stub


def detokenize(handler: StubHandler, body: dict[str, Any]) -> None:
    """The stub's tokens are code points (``tokenize``): their text is the characters."""
    handler.send_json({"prompt": "".join(chr(token) for token in body["tokens"])})


def echoing(handler: StubHandler, body: dict[str, Any]) -> None:
    """A first chunk as vLLM sends it with ``echo``: the prompt's information, then the token's (the
    stub's end-of-text is 13 tokens, ``<``, ``|``, ``e``, ``n``, ``d``...: given tokens avoid them)."""
    prompt = body["prompt"]
    values = [None] + [-0.25 * position for position in range(1, len(prompt))] + [-0.5]
    tops = [None] + [{f"token_id:{token}": value, "token_id:33": -0.1}
                     for token, value in zip([*prompt[1:], 90], values[1:])]
    first = chunk("Z", [90])
    first["choices"][0] |= {"prompt_token_ids": prompt, "logprobs": {"token_logprobs": values, "top_logprobs": tops}}
    last = chunk("", [], "length")
    handler.send_events([first, last] if body.get("echo") else [chunk("Z", [90], "length")])


ROUTES = {"/v1/models": models("m"), "/tokenize": tokenize, "/detokenize": detokenize, "/v1/completions": echoing}


def run_stub(request: GenerationRequest, handle: GenerationHandle | None = None) -> tuple[Any, list[StreamEvent],
                                                                                          list[Any]]:
    events: list[StreamEvent] = []
    with stub_server(ROUTES) as (url, seen):
        result = open_stub(url).generate(request, events.extend, handle)
    return result, events, [body for path, _, body in seen if path == "/v1/completions"]


def test_a_branch_sends_its_given_tokens_as_the_prompt_and_shows_them_first() -> None:
    request = GenerationRequest("ab", SamplingParams(max_new_tokens=5, seed=1), prefix_tokens=(99,), forced_token=103)
    result, events, [body] = run_stub(request)
    assert body["prompt"] == [97, 98, 99, 103] and body["max_tokens"] == 3 and "echo" not in body
    assert [(e.token_id, e.text) for e in events if isinstance(e, TokenEvent)] == [(99, "c"), (103, "g"), (90, "Z")]
    [response] = result.responses
    assert (response.token_ids, response.text, result.prompt_tokens) == ([99, 103, 90], "cgZ", 2)


def test_the_given_tokens_take_their_information_from_the_echoed_prompt() -> None:
    request = GenerationRequest("ab", SamplingParams(max_new_tokens=5, seed=1), logprobs=1, prefix_tokens=(99,),
                                forced_token=103)
    result, events, [body] = run_stub(request)
    assert body["echo"] is True and body["prompt"] == [97, 98, 99, 103]
    tokens = [e for e in events if isinstance(e, TokenEvent)]
    assert [(e.token_id, e.info and e.info.logprob) for e in tokens] == [(99, -0.5), (103, -0.75), (90, -0.5)]
    assert [(a.token_id, a.text) for a in tokens[1].info.top] == [(33, "!")]  # type: ignore[union-attr]
    assert tokens[0].info.text == "c"  # type: ignore[union-attr]
    assert result.responses[0].logprobs == [e.info for e in tokens]


def test_a_cancel_before_the_first_chunk_still_shows_the_given_tokens() -> None:
    handle = GenerationHandle()
    handle.cancel()
    request = GenerationRequest("ab", SamplingParams(max_new_tokens=5), logprobs=1, prefix_tokens=(99, 103))
    result, events, _ = run_stub(request, handle)
    assert [e.token_id for e in events if isinstance(e, TokenEvent)] == [99, 103]
    assert isinstance(events[-1], RowFinished) and result.responses[0].token_ids == [99, 103]
    assert result.responses[0].logprobs is None  # their information never came


def test_a_forced_token_that_completes_a_stop_sequence_ends_the_branch_without_a_request() -> None:
    request = GenerationRequest("ab", SamplingParams(max_new_tokens=5, stop=("cg",)), prefix_tokens=(99,),
                                forced_token=103)
    result, events, bodies = run_stub(request)
    assert bodies == [] and result.responses[0].finish_reason == "stop_sequence"
    assert result.responses[0].text == "" and result.responses[0].token_ids == [99, 103]


def test_a_branch_with_a_response_format_is_refused_in_one_line() -> None:
    params = SamplingParams(response_format=ResponseFormat("regex", "[a-z]+"))
    with pytest.raises(UserError, match=r"branch with a response format .* runs in process only.*set the format to "
                                        "text") as refused:
        run_stub(GenerationRequest("ab", params, prefix_tokens=(99,), forced_token=103))
    assert "\n" not in str(refused.value)
    with pytest.raises(UserError, match="branch before the response ended"):  # in-process checks hold too
        run_stub(GenerationRequest("ab", prefix_tokens=(ord("<"), 99)))  # the stub's end-of-text starts with '<'


def test_echoed_information_splits_into_the_given_tokens_and_the_generated_ones() -> None:
    tops = [None, {"token_id:5": -1.0}, {"token_id:6": -2.0}, {"token_id:7": -3.0, "token_id:8": -0.1}]
    logprobs = {"token_logprobs": [None, -1.0, -2.0, -3.0], "top_logprobs": tops}
    given, generated = split_echo(logprobs, 3, 2)
    assert given == {"token_logprobs": [-1.0, -2.0], "top_logprobs": [{"token_id:5": -1.0}, {"token_id:6": -2.0}]}
    assert generated["token_logprobs"] == [-3.0] and logprob_ids(generated) == {7, 8}
    assert logprob_ids(None) == set()


def fake_hub_cache(root: Path, repo: str) -> None:
    snapshot = root / f"models--{repo.replace('/', '--')}" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (root / f"models--{repo.replace('/', '--')}" / "refs").mkdir()
    (root / f"models--{repo.replace('/', '--')}" / "refs" / "main").write_text("abc123")
    (snapshot / "tokenizer.json").write_text((SHARED_TOKENIZER / "tokenizer.json").read_text())


@pytest.mark.usefixtures("real_tokenizer")
def test_the_local_tokenizer_is_found_on_disk_or_in_the_hub_cache_never_downloaded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants

    assert local_tokenizer(str(SHARED_TOKENIZER)) is not None
    fake_hub_cache(tmp_path, "bigcode/starcoder2-15b")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))
    cached = local_tokenizer("bigcode/starcoder2-15b")
    assert cached is not None and cached.get_vocab_size() == 49152
    # Not cached, not a hub id, a directory without one: None (the server names the tokens).
    assert local_tokenizer("bigcode/starcoder2-3b") is None and local_tokenizer("not a/hub id!") is None
    assert local_tokenizer(str(tmp_path)) is None


def test_the_servers_detokenize_names_every_token_as_the_local_tokenizer_does(real_tokenizer: Any) -> None:
    """The whole 49,152-token vocabulary in one batched ``/detokenize`` (a stub decoding with
    the real tokenizer, as vLLM does): each text equals ``decode([id])`` in process, the
    pieces of split characters (U+FFFD) included."""
    backend = real_tokenizer.backend_tokenizer

    def real_tokenize(handler: StubHandler, body: dict[str, Any]) -> None:
        handler.send_json({"tokens": backend.encode(body["prompt"], add_special_tokens=False).ids})

    def real_detokenize(handler: StubHandler, body: dict[str, Any]) -> None:
        handler.send_json({"prompt": backend.decode(body["tokens"], skip_special_tokens=False)})

    with stub_server({"/tokenize": real_tokenize, "/detokenize": real_detokenize}) as (url, seen):
        remote = TokenPieces(ServerConnection(url), "m", None)
        remote.resolve(range(49152))
        remote.resolve([5, 6, 7])  # known already: no request
        assert [path for path, _, _ in seen] == ["/tokenize", "/detokenize"]
        local = TokenPieces(ServerConnection(url), "m", local_tokenizer(str(SHARED_TOKENIZER)))
        expected = [real_tokenizer.decode([token]) for token in range(49152)]
        assert [remote.text(token) for token in range(49152)] == expected
        assert [local.text(token) for token in range(49152)] == expected
        assert sum("\ufffd" in text for text in expected) > 100  # the byte pieces were in the test
        # A branch's given tokens stream as the in-process detokenizer streams them, with the
        # server's /detokenize too (one request): split characters, a soup of the real
        # vocabulary's tokens and its byte pieces (unfinished characters in the middle and at
        # the end), plain code.
        rng = random.Random(7)
        pieces = [token for token in range(49152) if "\ufffd" in expected[token]]
        soups = [[rng.choice(pieces) if rng.random() < 0.4 else rng.randrange(1, 49152) for _ in range(60)]
                 for _ in range(20)]
        for ids in [backend.encode("naïve café ✓ 🎉 done 👨‍👩‍👧 日本語", add_special_tokens=False).ids,
                    backend.encode("def main():", add_special_tokens=False).ids, *soups]:
            streamed = IncrementalDetokenizer(real_tokenizer)
            texts = [streamed.push(token) for token in ids]
            asked = len(seen)
            assert local.given_texts(ids) == texts
            assert remote.given_texts(ids) == texts and len(seen) - asked <= 2  # its own texts, the runs'


def test_echo_is_asked_only_with_probabilities() -> None:
    from playground.server.wire import completion_body

    plain = completion_body("m", [1], SamplingParams(), seed=0, max_tokens=1, echo=True)
    assert "echo" not in plain
    assert completion_body("m", [1], SamplingParams(), seed=0, max_tokens=1, logprobs=2, echo=True)["echo"] is True


def test_timings_count_the_chunks_arrivals_and_leave_the_given_tokens_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks are timed as they arrive; a client that fell behind reads them in a burst (here a
    millisecond apart, 1000 s after the request), which says nothing of the server's speed: the
    rate is taken over the whole request, not thousands of tokens a second from the burst. A
    branch's given tokens, which the server did not generate, are not counted in the rate."""
    import time

    from playground.server import streams

    arrivals = iter(range(1, 100))
    start = time.perf_counter()
    monkeypatch.setattr(streams, "arrival_clock", lambda: start + 1000.0 + 0.001 * next(arrivals))

    def three(handler: StubHandler, body: dict[str, Any]) -> None:
        handler.send_events([chunk("x", [120]), chunk("y", [121]), chunk("z", [122], finish="length")])

    request = GenerationRequest("ab", SamplingParams(max_new_tokens=5, seed=1), prefix_tokens=(99, 98))
    with stub_server({**ROUTES, "/v1/completions": three}) as (url, _seen):
        result = open_stub(url).generate(request)
    assert result.responses[0].token_ids == [99, 98, 120, 121, 122]
    timings = result.timings
    assert timings.ttft_s == pytest.approx(1000.0, abs=5.0)  # the first chunk's arrival
    assert timings.decode_tokens_per_s == pytest.approx(3 / 1000.0, rel=0.01)  # 3 generated in 1000 s
