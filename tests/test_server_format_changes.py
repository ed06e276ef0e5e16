"""A live change on a server to a response with a format: refused in one line, not applied. It
would continue in a new request, where vLLM starts the format over (the response would be the
tokens so far followed by a new instance). Responses without a format still take changes."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from playground.engine.handle import GenerationHandle
from playground.engine.types import GenerationRequest, LiveChange, StreamEvent, TokenEvent
from playground.errors import UserError
from playground.params import ParamError, SamplingParams
from playground.server.generation import FORMAT_KEEPS_ITS_PARAMETERS
from tests.server_stub import StubHandler, chunk, models, stub_server, tokenize
from tests.test_server_branch import detokenize
from tests.test_server_client import open_stub

REGEX = {"type": "regex", "value": "[a-z]{1,9}"}


def three_tokens(handler: StubHandler, body: dict[str, Any]) -> None:
    handler.send_events([chunk("a", [97]), chunk("b", [98]), chunk("c", [99], finish="length")])


ROUTES = {"/v1/models": models("m"), "/tokenize": tokenize, "/detokenize": detokenize,
          "/v1/completions": three_tokens}


def run(request: GenerationRequest, handle: GenerationHandle, on_token: Any) -> tuple[Any, list[dict[str, Any]]]:
    events: list[StreamEvent] = []

    def on_event(batch: list[StreamEvent]) -> None:
        events.extend(batch)
        on_token(events)

    with stub_server(ROUTES) as (url, seen):
        result = open_stub(url).generate(request, on_event, handle)
    return result, [body for path, _headers, body in seen if path == "/v1/completions"]


def test_a_change_to_a_response_with_a_format_is_refused_in_one_line_and_not_applied() -> None:
    handle, refusals = GenerationHandle(), []

    def change(events: list[StreamEvent]) -> None:
        if sum(isinstance(e, TokenEvent) for e in events) == 1:
            with pytest.raises(ParamError) as refused:
                handle.set_param("temperature", 0.1)
            refusals.append(str(refused.value))

    params = SamplingParams.make(max_new_tokens=3, seed=1, response_format=REGEX)
    result, bodies = run(GenerationRequest("x", params), handle, change)
    assert refusals == [FORMAT_KEEPS_ITS_PARAMETERS] and "\n" not in refusals[0]
    assert len(bodies) == 1 and result.live_changes == [] and result.responses[0].text == "abc"


def test_a_change_made_before_the_request_started_is_not_applied_and_said() -> None:
    handle = GenerationHandle()
    handle.set_param("temperature", 0.1)  # queued before the engine could refuse it
    params = SamplingParams.make(max_new_tokens=3, seed=1, response_format=REGEX)
    result, bodies = run(GenerationRequest("x", params), handle, lambda events: None)
    assert len(bodies) == 1 and bodies[0]["temperature"] == params.temperature and result.live_changes == []
    assert result.warnings == [f"response 1: not changed (temperature): {FORMAT_KEEPS_ITS_PARAMETERS}"]


def test_the_response_without_a_format_still_takes_its_change() -> None:
    handle, refusals = GenerationHandle(), []

    def change(events: list[StreamEvent]) -> None:
        if sum(isinstance(e, TokenEvent) and e.row == 1 for e in events) == 1 and not refusals:
            handle.set_param("temperature", 0.1, row=1)
            with pytest.raises(ParamError):
                handle.set_param("temperature", 0.1)  # every row: the first one has a format
            refusals.append(True)

    params = SamplingParams.make(max_new_tokens=3, seed=1, num_responses=2)
    request = GenerationRequest("x", params, columns=(params.replace(response_format=REGEX), params))
    result, bodies = run(request, handle, change)
    assert [change.row for change in result.live_changes] == [1]
    # Row 2 continued in a second request with the change; row 1 kept its one request and format.
    assert len(bodies) == 3 and bodies[2]["temperature"] == 0.1 and "structured_outputs" not in bodies[2]
    assert [body["temperature"] for body in bodies[:2]] == [params.temperature] * 2


def test_a_replay_of_live_changes_in_a_response_with_a_format_is_refused_before_any_request() -> None:
    params = SamplingParams.make(max_new_tokens=3, seed=1, response_format=REGEX)
    request = GenerationRequest("x", params, scheduled=(LiveChange(0, 1, "temperature", 0.1),))
    with stub_server(ROUTES) as (url, seen), pytest.raises(UserError, match="cannot replay them"):
        open_stub(url).generate(request)
    assert not [path for path, _headers, _body in seen if path == "/v1/completions"]



def test_changes_from_another_thread_racing_the_refusal_never_reach_the_response_with_a_format() -> None:
    """A thread changes response 1 (a format) and response 2 (none) over and over while the run
    starts, until the engine refuses response 1's: each earlier change to it is said and not
    applied; response 2's are applied; every refusal is the one line."""
    import threading

    handle, started = GenerationHandle(), threading.Event()
    outcomes: list[str] = []

    def hammer() -> None:
        started.set()
        while not any(outcome.startswith("refused 0") for outcome in outcomes):
            for row in (0, 1):
                try:
                    handle.set_param("temperature", 0.25, row)
                    outcomes.append(f"queued {row}")
                except ParamError as refused:
                    outcomes.append(f"refused {row}: {refused}")

    formatted = SamplingParams.make(max_new_tokens=3, seed=1, response_format=REGEX)
    request = GenerationRequest("x", formatted, columns=(formatted, SamplingParams.make(max_new_tokens=3, seed=2)))
    thread = threading.Thread(target=hammer)
    thread.start()
    started.wait()
    result, bodies = run(request, handle, lambda events: None)
    thread.join()  # it ends at the refusal, which the run made before its first request
    assert {change.row for change in result.live_changes} <= {1}
    assert all(body["temperature"] == formatted.temperature for body in bodies if "structured_outputs" in body)
    assert result.responses[0].text == "abc" and result.responses[0].params.temperature == formatted.temperature
    assert not [outcome for outcome in outcomes if outcome.startswith("refused 1")]
    assert all(outcome == f"refused 0: {FORMAT_KEEPS_ITS_PARAMETERS}" for outcome in outcomes
               if outcome.startswith("refused 0"))
    assert all("\n" not in warning for warning in result.warnings)


def test_changes_faster_than_the_first_token_wait_for_it_and_apply_once() -> None:
    """A slider held down: each change would end the request before it wrote anything. They wait
    for the request's first token, then apply together (the last value) in one new request."""
    gate, taken = threading.Event(), threading.Event()

    class Handle(GenerationHandle):
        def take_changes(self) -> list[Any]:
            changes = super().take_changes()
            if changes:
                taken.set()
            return changes

    def first_held(handler: StubHandler, body: dict[str, Any]) -> None:
        if len([path for path, _headers, _body in handler.seen if path == "/v1/completions"]) == 1:
            gate.wait(timeout=240)  # a safety net for a failing test, not a synchronisation
        handler.send_events([chunk("a", [97]), chunk("b", [98]), chunk("c", [99], finish="length")])

    handle, results = Handle(), []
    routes = {**ROUTES, "/v1/completions": first_held}
    with stub_server(routes) as (url, seen):
        engine = open_stub(url)
        worker = threading.Thread(target=lambda: results.append(
            engine.generate(GenerationRequest("x", SamplingParams.make(max_new_tokens=5, seed=1)), None, handle)))
        worker.start()
        for value in (0.2, 0.4, 0.6, 0.8):
            taken.clear()
            handle.set_param("temperature", value)
            assert taken.wait(timeout=240)  # the loop has taken it (and, before, restarted on it)
        requests = [body for path, _headers, body in seen if path == "/v1/completions"]
        gate.set()
        worker.join(timeout=240)
    [result] = results
    assert len(requests) == 1  # nothing restarted while the first request had not answered
    bodies = [body for path, _headers, body in seen if path == "/v1/completions"]
    assert [body["temperature"] for body in bodies] == [SamplingParams().temperature, 0.8]
    assert result.live_changes == [LiveChange(0, 1, "temperature", 0.8)]
