"""The server client against a real vLLM (``tests/vllm_server.py``): skipped without one.

Everything vLLM itself can produce is tested here, on a real connection: greedy output equal
to the in-process engine's, two responses, probabilities equal to a teacher-forced forward,
token texts and branches equal to in-process ones, response formats, cancel aborting on the
server, live changes, and the errors of a closed port, an over-long prompt, a refused
parameter and a server that dies mid-stream (last: it stops the shared server).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from playground.engine.handle import GenerationHandle
from playground.engine.options import LoadOptions
from playground.engine.types import GenerationRequest, StreamEvent, TokenEvent, TokenInfo
from playground.errors import UserError
from playground.params import ParamError, SamplingParams
from playground.response_format import ResponseFormat
from playground.server import streams
from playground.server.connection import ServerConnection, ServerError
from playground.server.engine import ServerEngine, open_server
from playground.server.pieces import TokenPieces
from playground.server.tokens import ServerTokenizer
from playground.server.wire import completion_body
from tests.vllm_server import CONTEXT, VllmServer, free_port, wait_for

GREEDY = SamplingParams(temperature=0.0, max_new_tokens=24)
PROMPTS = ["def fibonacci(n):", "import os\nfor path in ", "", "class Stack:\n    def push(self, item):"]


@pytest.fixture(scope="module")
def server_engine(vllm_server: VllmServer) -> ServerEngine:
    return open_server(LoadOptions(server=vllm_server.url + "/v1"), lambda progress: None)


@pytest.fixture(scope="module")
def local_engine(vllm_server: VllmServer) -> Any:
    from playground.engine.engine import Engine
    from playground.engine.loading import load_model

    return Engine(load_model(LoadOptions(model=str(vllm_server.model_dir), device="cpu", dtype="float32")))


def collect(engine: Any, request: GenerationRequest, handle: GenerationHandle | None = None,
            on_token: Any = None) -> tuple[Any, list[StreamEvent]]:
    events: list[StreamEvent] = []

    def on_event(batch: list[StreamEvent]) -> None:
        events.extend(batch)
        if on_token is not None:
            on_token(events)

    return engine.generate(request, on_event, handle), events


def test_the_model_and_its_context_come_from_the_server(server_engine: ServerEngine, vllm_server: VllmServer) -> None:
    assert server_engine.name == str(vllm_server.model_dir)
    assert server_engine.context_window == CONTEXT
    assert vllm_server.url in server_engine.loaded.describe() and "1,024" in server_engine.loaded.describe()


@pytest.mark.parametrize("prompt", PROMPTS)
def test_greedy_output_equals_the_in_process_engine(server_engine: ServerEngine, local_engine: Any,
                                                    prompt: str) -> None:
    request = GenerationRequest(prompt, GREEDY)
    assert server_engine.prepare(request).ids == local_engine.prepare(request).ids
    served, events = collect(server_engine, request)
    local = local_engine.generate(request)
    assert served.responses[0].token_ids == local.responses[0].token_ids
    assert served.responses[0].text == local.responses[0].text
    assert served.responses[0].finish_reason == local.responses[0].finish_reason
    assert "".join(e.text for e in events) == served.responses[0].text  # what streamed is what was kept
    assert served.prompt_tokens == local.prompt_tokens


def test_fill_in_the_middle_and_stop_sequences_equal_the_in_process_engine(server_engine: ServerEngine,
                                                                          local_engine: Any) -> None:
    fim = GenerationRequest("def area(r):\n    ", GREEDY, suffix="\n    return result\n")
    local = local_engine.generate(fim)
    assert server_engine.generate(fim).responses[0].token_ids == local.responses[0].token_ids
    text = local_engine.generate(GenerationRequest(PROMPTS[0], GREEDY)).responses[0].text
    stop = text[len(text) // 2: len(text) // 2 + 3]  # a stop string the greedy output reaches
    stopped = GenerationRequest(PROMPTS[0], GREEDY.replace(stop=(stop,)))
    local_stop, served_stop = local_engine.generate(stopped), server_engine.generate(stopped)
    assert served_stop.responses[0].finish_reason == local_stop.responses[0].finish_reason == "stop_sequence"
    assert served_stop.responses[0].text == local_stop.responses[0].text
    assert served_stop.responses[0].token_ids == local_stop.responses[0].token_ids


def test_two_responses_stream_side_by_side_and_replay_identically(server_engine: ServerEngine) -> None:
    params = SamplingParams(temperature=1.0, top_k=50, min_p=0.02, repetition_penalty=1.1, max_new_tokens=16,
                            num_responses=2, seed=1234)
    request = GenerationRequest("def quick_sort(items):", params)
    first, events = collect(server_engine, request)
    rows = {event.row for event in events if isinstance(event, TokenEvent)}
    assert rows == {0, 1}
    assert [r.seed for r in first.responses] == [1234, 1235]
    assert first.responses[0].token_ids != first.responses[1].token_ids
    again = server_engine.generate(request)
    assert [r.token_ids for r in again.responses] == [r.token_ids for r in first.responses]


def test_probabilities_equal_a_teacher_forced_forward(server_engine: ServerEngine, local_engine: Any) -> None:
    import torch

    request = GenerationRequest("def fibonacci(n):", SamplingParams(temperature=0.9, max_new_tokens=20, seed=7),
                                logprobs=5)
    response = server_engine.generate(request).responses[0]
    assert response.logprobs is not None and len(response.logprobs) == len(response.token_ids) == 20
    ids = local_engine.prepare(request).ids + response.token_ids
    with torch.inference_mode():
        logits = local_engine.model(torch.tensor([ids])).logits[0, -len(response.token_ids) - 1:-1].float()
    expected = torch.log_softmax(logits, dim=-1)
    worst = 0.0
    for step, (token_id, info) in enumerate(zip(response.token_ids, response.logprobs)):
        worst = max(worst, abs(info.logprob - expected[step, token_id].item()))
        values, top_ids = expected[step].topk(5)
        assert [alt.token_id for alt in info.top] == top_ids.tolist()
        assert max(abs(a.logprob - v) for a, v in zip(info.top, values.tolist())) < 1e-3
        assert info.rank == 1 + int((expected[step] > expected[step, token_id]).sum()) or info.rank == 6
        assert info.sampled_logprob is None
    assert worst < 1e-3


def test_probabilities_equal_the_in_process_engines(server_engine: ServerEngine, local_engine: Any) -> None:
    request = GenerationRequest("class Stack:\n", GREEDY, logprobs=5)  # greedy: the same tokens on both
    served, local = server_engine.generate(request).responses[0], local_engine.generate(request).responses[0]
    assert served.token_ids == local.token_ids and served.logprobs is not None and local.logprobs is not None
    for mine, theirs in zip(served.logprobs, local.logprobs):
        assert abs(mine.logprob - theirs.logprob) < 1e-3 and mine.rank == theirs.rank == 1
        assert [a.token_id for a in mine.top] == [a.token_id for a in theirs.top]
        assert max(abs(a.logprob - b.logprob) for a, b in zip(mine.top, theirs.top)) < 1e-3
        assert mine.entropy <= theirs.entropy + 1e-3  # summed over the top tokens only: a lower bound


@pytest.mark.parametrize(("response_format", "check"), [
    (ResponseFormat("regex", r"[a-z]{3}-[0-9]{2}"), lambda text: re.fullmatch(r"[a-z]{3}-[0-9]{2}", text)),
    (ResponseFormat("json_schema", json.dumps({
        "type": "object", "properties": {"n": {"type": "integer", "minimum": 0, "maximum": 9}},
        "required": ["n"], "additionalProperties": False})),
     lambda text: json.loads(text)["n"] in range(10)),
])
def test_response_formats_hold(server_engine: ServerEngine, response_format: ResponseFormat, check: Any) -> None:
    """The playground's own parameter, sent as vLLM's structured outputs; two rows, three seeds."""
    for seed in range(3):
        params = SamplingParams(temperature=1.0, seed=seed, num_responses=2, max_new_tokens=64)
        result = server_engine.generate(GenerationRequest("x = ", params.replace(response_format=response_format)))
        for response in result.responses:
            assert response.finish_reason == "eos_token" and response.format_complete, response
            assert check(response.text), response.text


def at_first_token(monkeypatch: pytest.MonkeyPatch, action: Callable[[], None]) -> list[bool]:
    """Run ``action`` (pause or kill the server) as the stream's reader gets the first chunk with
    a token: the API process sends that one as it comes (it was waiting). Acting from the
    generation loop instead raced a busy machine: by the time a starved loop got there, the
    server had sent every token (a starved API process merges them into a few chunks) and ended
    the request itself. The list holds True once ``action`` ran."""
    done: list[bool] = []
    chunk = streams.Chunk

    def acting_chunk(row: int, epoch: int, choice: dict[str, Any], received: float = 0.0) -> streams.Chunk:
        if not done and choice.get("token_ids"):
            done.append(True)
            action()
        return chunk(row, epoch, choice, received)

    monkeypatch.setattr(streams, "Chunk", acting_chunk)
    return done


def cancel_at_first_token(server_engine: ServerEngine, vllm_server: VllmServer, monkeypatch: pytest.MonkeyPatch,
                          request: GenerationRequest) -> tuple[Any, float, float] | None:
    """Cancel ``request`` at its first token, the engine paused until the server has aborted it:
    the result, and the server's generated tokens and finished requests before. None if the
    engine had ended the request first (a client starved until all its tokens were generated)."""
    def finished() -> float:  # requests the server ended itself, by a stop or their length
        return vllm_server.metric("vllm:request_success_total")

    generated_before, finished_before, aborts_before = (vllm_server.metric("vllm:generation_tokens_total"),
                                                        finished(), vllm_server.aborts())
    handle = GenerationHandle()
    at_first_token(monkeypatch, vllm_server.pause)
    try:
        result, _events = collect(server_engine, request, handle, on_token=lambda events: handle.cancel())
        # The client closed the connection: the API process aborts the request in the engine.
        wait_for(lambda: vllm_server.aborts() > aborts_before or finished() > finished_before,
                 "the server to abort or end the request")
    finally:
        vllm_server.resume()
        monkeypatch.undo()
    return None if finished() > finished_before else (result, generated_before, finished_before)


def test_cancel_aborts_the_request_on_the_server(server_engine: ServerEngine, vllm_server: VllmServer,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    request = GenerationRequest("def main():", SamplingParams(temperature=1.0, max_new_tokens=900, seed=3))
    for _attempt in range(3):  # the case to test is there at the first try but on a starved machine
        cancelled = cancel_at_first_token(server_engine, vllm_server, monkeypatch, request)
        if cancelled is not None:
            break
    assert cancelled is not None, "the server ended the request before the client could cancel it, 3 times"
    result, generated_before, finished_before = cancelled
    response = result.responses[0]
    assert response.finish_reason == "cancelled" and 1 <= len(response.token_ids) < 900
    # The engine, resumed, drops the request: it is no longer running, and the server did not
    # finish it (vLLM counts no client abort as a success), so it did not run to its 900 tokens.
    wait_for(lambda: vllm_server.metric("vllm:num_requests_running") == 0, "the server to end the request")
    assert vllm_server.metric("vllm:request_success_total") == finished_before
    assert vllm_server.metric("vllm:generation_tokens_total") - generated_before < 900


def test_a_live_change_continues_from_the_tokens_so_far(server_engine: ServerEngine, vllm_server: VllmServer,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The change is made at the first token, the engine paused until then: the request cannot
    end before the loop gets there. The loop takes it before it handles another chunk."""
    request = GenerationRequest(PROMPTS[0], GREEDY.replace(max_new_tokens=30))

    def changed_at_first_token() -> tuple[Any, list[StreamEvent]]:
        handle, changed = GenerationHandle(), []

        def change_once(events: list[StreamEvent]) -> None:
            if any(isinstance(e, TokenEvent) for e in events) and not changed:
                changed.append(True)
                handle.set_param("repetition_penalty", 3.0)
                vllm_server.resume()

        at_first_token(monkeypatch, vllm_server.pause)
        try:
            return collect(server_engine, request, handle, on_token=change_once)
        finally:
            vllm_server.resume()
            monkeypatch.undo()

    for _attempt in range(3):  # no change if the client was starved until all 30 tokens had come
        result, events = changed_at_first_token()
        if result.live_changes:
            break
    [change] = result.live_changes
    at = change.at_token
    assert change.name == "repetition_penalty" and 1 <= at < 30
    tokens = result.responses[0].token_ids
    plain = server_engine.generate(request).responses[0].token_ids
    assert tokens[:at] == plain[:at]
    # From the change on: what a fresh request continuing from those tokens gives.
    prefix_ids = server_engine.prepare(request).ids + tokens[:at]
    body = completion_body(server_engine.name, prefix_ids, GREEDY.replace(repetition_penalty=3.0), seed=0,
                           max_tokens=30 - at)
    with server_engine.connection.events("/v1/completions", body) as stream:
        rest = [t for event in stream for choice in event["choices"] for t in choice.get("token_ids") or ()]
    assert tokens[at:] == rest
    assert "".join(e.text for e in events) == result.responses[0].text
    replay = server_engine.generate(GenerationRequest(request.prompt, request.params,
                                                      scheduled=tuple(result.live_changes)))
    assert replay.responses[0].token_ids == tokens and replay.live_changes == result.live_changes


def assert_same_information(served: list[TokenInfo] | None, local: list[TokenInfo] | None) -> None:
    """The same tokens and alternatives, named by the same texts, with the same probabilities."""
    assert served is not None and local is not None and len(served) == len(local)
    for mine, theirs in zip(served, local):
        assert (mine.text, [(a.token_id, a.text) for a in mine.top]) == \
            (theirs.text, [(a.token_id, a.text) for a in theirs.top])
        assert abs(mine.logprob - theirs.logprob) < 1e-3
        assert max(abs(a.logprob - b.logprob) for a, b in zip(mine.top, theirs.top)) < 1e-3


def test_every_token_and_alternative_is_named_as_in_process(server_engine: ServerEngine, local_engine: Any) -> None:
    """By the model's tokenizer here (the server's model is a directory on this machine), and by
    the server's /detokenize for a client without it; byte pieces of characters included."""
    request = GenerationRequest("s = 'naïve café'\nclass Stack:\n", GREEDY, logprobs=20)
    local = local_engine.generate(request).responses[0].logprobs
    assert local is not None and any("\ufffd" in a.text for info in local for a in info.top)
    assert server_engine.tokenizer.pieces.is_local
    assert_same_information(server_engine.generate(request).responses[0].logprobs, local)
    remote, name = ServerEngine(server_engine.connection, server_engine.loaded), server_engine.name
    remote.tokenizer = ServerTokenizer(remote.connection, name, TokenPieces(remote.connection, name, None))
    assert_same_information(remote.generate(request).responses[0].logprobs, local)


def test_a_branch_from_the_parents_tokens_reproduces_the_parent(server_engine: ServerEngine) -> None:
    parent = server_engine.generate(GenerationRequest(PROMPTS[0], GREEDY)).responses[0]
    branch = GenerationRequest(PROMPTS[0], GREEDY, prefix_tokens=tuple(parent.token_ids[:7]))
    served, events = collect(server_engine, branch)
    assert (served.responses[0].token_ids, served.responses[0].text) == (parent.token_ids, parent.text)
    assert [e.token_id for e in events if isinstance(e, TokenEvent)][:7] == parent.token_ids[:7]  # shown first
    assert "".join(e.text for e in events) == parent.text


def test_a_branch_from_inside_a_character_equals_the_in_process_branch(server_engine: ServerEngine,
                                                                       local_engine: Any) -> None:
    """Given tokens that end inside a character: vLLM's first text would start with the prompt
    again, and the newline in it would be its stop (tests/test_server_split_characters.py); the
    client puts it right."""
    ids = local_engine.prepare(GenerationRequest("s = 'naïve café 🙂 日本語 ∑'", GREEDY)).ids
    cut = next(k for k in range(1, len(ids)) if server_engine.tokenizer.decode(ids[:k]).endswith("\ufffd"))
    branch = GenerationRequest("x = 1\ns = ", GREEDY.replace(stop=("\n",)), prefix_tokens=tuple(ids[:cut]))
    (served, events), local = collect(server_engine, branch), local_engine.generate(branch).responses[0]
    assert (served.responses[0].token_ids, served.responses[0].text) == (local.token_ids, local.text)
    assert "".join(e.text for e in events) == local.text


@pytest.mark.parametrize(("at", "rank"), [(0, 2), (9, 3), (5, 0)])
def test_a_forced_branch_equals_the_in_process_branch(server_engine: ServerEngine, local_engine: Any, at: int,
                                                      rank: int) -> None:
    """The alternative of that rank forced at token ``at`` (rank 0: end-of-text, which ends the
    branch at once: its information then comes from a request of its own)."""
    parent = local_engine.generate(GenerationRequest(PROMPTS[3], GREEDY, logprobs=5)).responses[0]
    forced = parent.logprobs[at].top[rank - 1].token_id if rank else 0
    branch = GenerationRequest(PROMPTS[3], GREEDY, logprobs=5, prefix_tokens=tuple(parent.token_ids[:at]),
                               forced_token=forced)
    (served, events), local = collect(server_engine, branch), local_engine.generate(branch).responses[0]
    response = served.responses[0]
    assert response.token_ids[:at + 1] == [*parent.token_ids[:at], forced]
    assert (response.token_ids, response.text, response.finish_reason) == (local.token_ids, local.text,
                                                                           local.finish_reason)
    assert_same_information(response.logprobs, local.logprobs)
    assert [e.info for e in events if isinstance(e, TokenEvent)] == response.logprobs


def test_a_branch_with_a_response_format_is_refused_in_one_line(server_engine: ServerEngine) -> None:
    params = GREEDY.replace(response_format=ResponseFormat("regex", "[a-z]+"))
    with pytest.raises(UserError, match="branch with a response format .* runs in process only"):
        server_engine.generate(GenerationRequest(PROMPTS[0], params, prefix_tokens=(13,), forced_token=14))


def test_a_live_change_to_a_response_with_a_format_is_refused_and_the_response_stays_valid(
        server_engine: ServerEngine) -> None:
    """A change would continue in a new request, where vLLM starts the format over."""
    pattern = r"[a-z]{12,20}"
    handle, refusals = GenerationHandle(), []

    def change_once(events: list[StreamEvent]) -> None:
        if sum(isinstance(e, TokenEvent) for e in events) >= 2 and not refusals:
            with pytest.raises(ParamError, match="keeps its parameters") as refused:
                handle.set_param("temperature", 0.2)
            refusals.append(refused.value)

    params = SamplingParams(temperature=1.0, seed=4, max_new_tokens=40,
                            response_format=ResponseFormat("regex", pattern))
    result, _events = collect(server_engine, GenerationRequest("x = '", params), handle, on_token=change_once)
    [response] = result.responses
    assert refusals and result.live_changes == []
    assert response.finish_reason == "eos_token" and re.fullmatch(pattern, response.text), response.text


def test_a_closed_port_is_one_line() -> None:
    with pytest.raises(ServerError, match=r"cannot reach the server at http://127\.0\.0\.1:\d+: .*refused"):
        open_server(LoadOptions(server=f"http://127.0.0.1:{free_port()}"), lambda progress: None)


def test_an_over_long_prompt_and_a_refused_parameter_are_one_line_each(server_engine: ServerEngine) -> None:
    with pytest.raises(UserError, match="context window is 1,024"):
        server_engine.generate(GenerationRequest("x " * 2000, GREEDY))
    # Past our own check (a client with a stale context): the server's 400, in one line.
    too_long = completion_body(server_engine.name, [13] * 1100, GREEDY, seed=0, max_tokens=5)
    with pytest.raises(ServerError, match=r"refused the request \(400\): .*maximum context length is 1024"), \
            server_engine.connection.events("/v1/completions", too_long):
        pass
    refused = completion_body(server_engine.name, [13], GREEDY, seed=0, max_tokens=4, logprobs=5) | {"logprobs": 99}
    with pytest.raises(ServerError, match=r"400.*logprobs"):
        server_engine.connection.post("/v1/completions", refused | {"stream": False})


def test_an_unknown_model_is_one_line(vllm_server: VllmServer) -> None:
    with pytest.raises(UserError, match="does not serve 'nope': it serves"):
        open_server(LoadOptions(server=vllm_server.url, server_model="nope"), lambda progress: None)
    connection = ServerConnection(vllm_server.url)
    body = completion_body("nope", [13], GREEDY, seed=0, max_tokens=2)
    with pytest.raises(ServerError, match=r"not found .*nope"):
        connection.post("/v1/completions", body | {"stream": False})


def test_zz_a_server_that_dies_mid_stream_keeps_the_partial_response(server_engine: ServerEngine,
                                                                    vllm_server: VllmServer,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs last in this module (pytest keeps file order): it kills the shared server, at the
    first token (``at_first_token``) of a request as long as the context allows."""
    killed = at_first_token(monkeypatch, vllm_server.kill)
    request = GenerationRequest("def main():", SamplingParams(temperature=1.0, max_new_tokens=None, seed=5))
    result, events = collect(server_engine, request)
    response = result.responses[0]
    assert killed and response.finish_reason == "cancelled"
    assert 1 <= len(response.token_ids) < CONTEXT - result.prompt_tokens
    assert any("is cut after" in warning and "partial response is kept" in warning for warning in result.warnings)
    assert response.text == "".join(e.text for e in events)
    with pytest.raises(ServerError, match="cannot reach the server"):
        server_engine.generate(request)
