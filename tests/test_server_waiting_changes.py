"""Live changes on a server that wait for the row's request to answer (``_take_changes``): one
arriving as the request reaches its limit, a row that finishes while they wait, a cancel while
they wait, a lowered ``max_new_tokens``, the other row not answered yet, and the replay of what
was recorded. Each stub is gated on the client's own events, never on time."""

from __future__ import annotations

import json
import threading
from typing import Any

from playground.engine.handle import GenerationHandle, ParamChange
from playground.engine.types import GenerationRequest, GenerationResult, LiveChange, StreamEvent, TokenEvent
from playground.params import SamplingParams
from tests.server_stub import StubHandler, chunk, models, stub_server, tokenize
from tests.test_server_branch import detokenize
from tests.test_server_client import open_stub


class Handle(GenerationHandle):
    """A handle that says when the loop took changes, and when it saw the cancel."""

    def __init__(self) -> None:
        super().__init__()
        self.taken = threading.Event()
        self.cancel_seen = threading.Event()

    def take_changes(self) -> list[ParamChange]:
        changes = super().take_changes()
        if changes:
            self.taken.set()
        return changes

    @property
    def cancelled(self) -> bool:
        if super().cancelled:
            self.cancel_seen.set()
            return True
        return False


def completions(seen: list[tuple[str, dict[str, str], dict[str, Any]]]) -> list[dict[str, Any]]:
    return [body for path, _headers, body in seen if path == "/v1/completions"]


def generate(route: Any, request: GenerationRequest, handle: GenerationHandle,
             on_event: Any = None) -> tuple[GenerationResult, list[dict[str, Any]]]:
    routes = {"/v1/models": models("m"), "/tokenize": tokenize, "/detokenize": detokenize, "/v1/completions": route}
    with stub_server(routes) as (url, seen):
        result = open_stub(url).generate(request, on_event, handle)
    return result, completions(seen)


def test_a_change_as_the_request_reaches_its_limit_sends_no_empty_request_and_is_not_recorded() -> None:
    """The last token comes, then (in a chunk of its own) the finish: a change taken between them
    has no token left to act on. It must not continue in a request for no tokens (``max_tokens``
    0) nor be recorded at the end of the response."""
    handle = Handle()

    def route(handler: StubHandler, body: dict[str, Any]) -> None:
        if len(completions(handler.seen)) > 1:
            handler.send_events([chunk("z", [122], finish="length")])
            return
        handler.start_events()
        for event in (chunk("a", [97]), chunk("b", [98]), chunk("c", [99])):
            handler.send_event(json.dumps(event))
        handle.taken.wait(timeout=240)  # a safety net for a failing test, not a synchronisation
        handler.send_events([chunk("", [], finish="length")])

    def on_event(events: list[StreamEvent]) -> None:
        if any(isinstance(event, TokenEvent) and event.token_id == 99 for event in events):
            handle.set_param("temperature", 0.3)

    result, bodies = generate(route, GenerationRequest("x", SamplingParams.make(max_new_tokens=3, seed=1)),
                              handle, on_event)
    assert [body["max_tokens"] for body in bodies] == [3]
    [response] = result.responses
    assert (response.text, response.token_ids, response.finish_reason) == ("abc", [97, 98, 99], "length")
    assert result.live_changes == []


def test_a_row_that_finishes_while_changes_wait_records_none_of_them() -> None:
    handle = Handle()

    def route(handler: StubHandler, body: dict[str, Any]) -> None:
        handle.taken.wait(timeout=240)  # a safety net for a failing test, not a synchronisation
        handler.send_events([chunk("", [], finish="stop")])  # ends before any token

    handle.set_param("temperature", 0.3)
    handle.set_param("max_new_tokens", 1)
    result, bodies = generate(route, GenerationRequest("x", SamplingParams.make(max_new_tokens=4, seed=1)), handle)
    assert len(bodies) == 1 and result.live_changes == []
    assert result.responses[0].params.temperature == SamplingParams().temperature


def test_a_cancel_while_changes_wait_ends_at_once_and_keeps_what_came() -> None:
    """The first request answers, a change continues in a second that has not answered when a
    second change comes (it waits), then the run is cancelled."""
    handle = Handle()

    def route(handler: StubHandler, body: dict[str, Any]) -> None:
        if len(completions(handler.seen)) == 1:
            handler.start_events()
            handler.send_event(json.dumps(chunk("a", [97])))
            handle.cancel_seen.wait(timeout=240)  # a safety net for a failing test, not a synchronisation
            return
        handle.cancel_seen.wait(timeout=240)
        handler.send_events([chunk("z", [122])])  # after the cancel: dropped

    result: list[GenerationResult] = []
    answered = threading.Event()

    def on_event(events: list[StreamEvent]) -> None:
        if any(isinstance(event, TokenEvent) for event in events):
            answered.set()

    routes = {"/v1/models": models("m"), "/tokenize": tokenize, "/detokenize": detokenize, "/v1/completions": route}
    with stub_server(routes) as (url, seen):
        engine = open_stub(url)
        request = GenerationRequest("x", SamplingParams.make(max_new_tokens=5, seed=1))
        worker = threading.Thread(target=lambda: result.append(engine.generate(request, on_event, handle)))
        worker.start()
        assert answered.wait(timeout=240)
        for value in (0.3, 0.6):
            handle.taken.clear()
            handle.set_param("temperature", value)
            assert handle.taken.wait(timeout=240)
        handle.cancel()
        worker.join(timeout=240)
        bodies = completions(seen)
    assert not worker.is_alive()
    [response] = result[0].responses
    assert (response.text, response.token_ids, response.finish_reason) == ("a", [97], "cancelled")
    assert result[0].live_changes == [LiveChange(0, 1, "temperature", 0.3)]  # the second never applied
    assert [body["temperature"] for body in bodies] == [SamplingParams().temperature, 0.3]


def test_max_new_tokens_lowered_below_the_tokens_so_far_while_waiting_ends_after_one_more() -> None:
    """As in process: the change takes effect from the next token, which is the last."""
    handle = Handle()

    def route(handler: StubHandler, body: dict[str, Any]) -> None:
        if len(completions(handler.seen)) == 1:
            handler.start_events()
            for event in (chunk("a", [97]), chunk("b", [98]), chunk("c", [99])):
                handler.send_event(json.dumps(event))
            handle.taken.wait(timeout=240)  # a safety net for a failing test, not a synchronisation
            return  # the connection closes: the client had ended this request
        tokens = [chunk(letter, [ord(letter)]) for letter in "xyz"][: body["max_tokens"]]
        handler.send_events([*tokens[:-1], {"choices": [{**tokens[-1]["choices"][0], "finish_reason": "length"}]}])

    def on_event(events: list[StreamEvent]) -> None:
        if any(isinstance(event, TokenEvent) and event.token_id == 99 for event in events):
            handle.set_param("max_new_tokens", 1)
            handle.set_param("stop", ["q"])

    result, bodies = generate(route, GenerationRequest("x", SamplingParams.make(max_new_tokens=10, seed=1)),
                              handle, on_event)
    [response] = result.responses
    assert [body["max_tokens"] for body in bodies] == [10, 1] and bodies[1]["stop"] == ["q"]
    assert (response.text, response.token_ids, response.finish_reason) == ("abcx", [97, 98, 99, 120], "length")
    assert result.live_changes == [LiveChange(0, 3, "max_new_tokens", 1), LiveChange(0, 3, "stop", ("q",))]


def test_a_change_for_one_row_waits_only_for_that_row_and_the_replay_gives_the_same_tokens() -> None:
    """Row 2's request has not answered when both rows are changed: row 1's change applies at
    once, row 2's at its first token. A deterministic stub (each token a function of the
    position, the temperature and the row) then replays the recorded changes token for token."""
    row_0_restarted = threading.Event()

    def row_of(body: dict[str, Any]) -> int:
        return 0 if body["top_k"] == 10 else 1

    def route(handler: StubHandler, body: dict[str, Any]) -> None:
        row = row_of(body)
        bodies = [seen for seen in completions(handler.seen) if row_of(seen) == row]
        if row == 0 and len(bodies) > 1 and bodies[-1] is body:
            row_0_restarted.set()
        if row == 1 and not row_0_restarted.wait(timeout=240):  # a safety net, not a synchronisation
            return
        letters = [chr(97 + (len(body["prompt"]) + i + round(body["temperature"] * 10) + 13 * row) % 26)
                   for i in range(body["max_tokens"])]
        events = [chunk(letter, [ord(letter)], finish="length" if i == len(letters) - 1 else None)
                  for i, letter in enumerate(letters)]
        if row == 0 and len(bodies) == 1 and len(events) > 1:  # the first request: one token, then held
            handler.start_events()
            handler.send_event(json.dumps(events[0]))
            row_0_restarted.wait(timeout=240)  # a safety net for a failing test, not a synchronisation
            return
        handler.send_events(events)

    handle, changed = Handle(), []

    def on_event(events: list[StreamEvent]) -> None:
        if any(isinstance(event, TokenEvent) and event.row == 0 for event in events) and not changed:
            changed.append(True)
            handle.set_param("temperature", 0.2, row=0)
            handle.set_param("temperature", 0.3, row=1)
            handle.set_param("temperature", 0.4, row=1)  # the last value is the one applied

    base = SamplingParams.make(max_new_tokens=4, seed=1, num_responses=2)
    columns = (base.replace(top_k=10), base.replace(top_k=20))
    result, bodies = generate(route, GenerationRequest("xy", base, columns=columns), handle, on_event)
    assert sorted(result.live_changes, key=str) == [
        LiveChange(0, 1, "temperature", 0.2), LiveChange(1, 1, "temperature", 0.4)]
    assert sorted((row_of(body), body["max_tokens"], body["temperature"]) for body in bodies) == [
        (0, 3, 0.2), (0, 4, base.temperature), (1, 3, 0.4), (1, 4, base.temperature)]
    row_0_restarted.clear()
    replay = GenerationRequest("xy", base, columns=columns, scheduled=tuple(result.live_changes))
    replayed, _bodies = generate(route, replay, GenerationHandle())
    assert [r.token_ids for r in replayed.responses] == [r.token_ids for r in result.responses]
    assert [r.text for r in replayed.responses] == [r.text for r in result.responses]
    assert sorted(replayed.live_changes, key=str) == sorted(result.live_changes, key=str)
