"""The split decode step (forward ahead, sampling after the mask) under hostile timing: cancel at
every token, live changes at every token, a row with a format beside one without, a format whole
after one token, one token allowed, a branch, probabilities. The overlapping decoder (forced on
here, as on a GPU) must give the waiting loop's tokens, information and endings, and never hang."""

from __future__ import annotations

from typing import Any

import pytest

from playground.engine.engine import Engine
from playground.engine.handle import GenerationHandle
from playground.engine.static_decoder import StaticDecoder
from playground.engine.types import GenerationRequest, GenerationResult
from playground.params import SamplingParams
from tests.format_cases import REGEX_FORMAT, SCHEMA_FORMAT

PROMPT = "def config():\n    return "
SCHEMA = SamplingParams.make(temperature=0.9, top_k=40, seed=4, max_new_tokens=40, response_format=SCHEMA_FORMAT)
PLAIN = SamplingParams.make(temperature=0.8, seed=5, max_new_tokens=40)


def engines(loaded: Any) -> tuple[Engine, Engine]:
    """(waiting, overlapping) static engines on the tiny model, one and two rows."""
    pair = []
    for overlap in (False, True):
        engine = Engine(loaded, decode="static")
        for rows in (1, 2):
            engine._decoders.static[rows] = StaticDecoder(loaded.model, rows, loaded.device, compiled=False,
                                                          overlap=overlap)
        pair.append(engine)
    return pair[0], pair[1]


def outcome(result: GenerationResult) -> list[Any]:
    return [(r.token_ids, r.text, r.finish_reason, r.format_complete, r.logprobs) for r in result.responses] + [
        result.live_changes]


def run(engine: Engine, request: GenerationRequest, on_token: Any = None) -> GenerationResult:
    """``request``, with ``on_token(k, handle)`` called as token k's events arrive."""
    handle, seen = GenerationHandle(), [0]

    def on_event(events: Any) -> None:
        if on_token is not None:
            for _ in [e for e in events if type(e).__name__ == "TokenEvent" and e.row == 0]:
                on_token(seen[0], handle)
                seen[0] += 1

    return engine.generate(request, on_event, handle)


CASES = {
    "format beside plain": GenerationRequest(PROMPT, SCHEMA, columns=(SCHEMA, PLAIN)),
    "plain beside format": GenerationRequest(PROMPT, SCHEMA, columns=(PLAIN, SCHEMA)),
    "whole after one token": GenerationRequest(PROMPT, SCHEMA.replace(response_format={"type": "regex",
                                                                                       "value": "x"})),
    "one token allowed": GenerationRequest(PROMPT, SCHEMA.replace(max_new_tokens=1)),
    "one token, two rows": GenerationRequest(PROMPT, SCHEMA, columns=(SCHEMA.replace(max_new_tokens=1), PLAIN)),
    "probabilities": GenerationRequest(PROMPT, SCHEMA, columns=(SCHEMA, PLAIN.replace(response_format=REGEX_FORMAT)),
                                       logprobs=3),
}


@pytest.mark.parametrize("name", list(CASES))
def test_the_overlapping_loop_writes_what_the_waiting_loop_writes(loaded: Any, name: str) -> None:
    waiting, overlapping = engines(loaded)
    expected = outcome(run(waiting, CASES[name]))
    assert outcome(run(overlapping, CASES[name])) == expected
    if name == "whole after one token":
        assert expected[0][:3] == ([expected[0][0][0], 0], "x", "eos_token")  # the format's end is end-of-text


def test_a_branch_with_a_format_writes_the_same_on_both_loops(loaded: Any) -> None:
    waiting, overlapping = engines(loaded)
    parent = run(waiting, GenerationRequest(PROMPT, SCHEMA, logprobs=2)).responses[0]
    for forced in (None, parent.token_ids[3]):
        request = GenerationRequest(PROMPT, SCHEMA, logprobs=2, prefix_tokens=tuple(parent.token_ids[:3]),
                                    forced_token=forced)
        assert outcome(run(overlapping, request)) == outcome(run(waiting, request))


def test_a_cancel_at_any_token_ends_both_loops_at_the_same_token(loaded: Any) -> None:
    waiting, overlapping = engines(loaded)
    request = CASES["format beside plain"]
    whole = run(waiting, request).responses[0]
    for at in range(len(whole.token_ids) + 1):
        def cancel(k: int, handle: GenerationHandle, at: int = at) -> None:
            if k == at:
                handle.cancel()

        expected = outcome(run(waiting, request, cancel))
        assert outcome(run(overlapping, request, cancel)) == expected, at


def test_live_changes_at_any_token_apply_at_the_same_token_on_both_loops(loaded: Any) -> None:
    waiting, overlapping = engines(loaded)
    request = CASES["format beside plain"]
    whole = run(waiting, request).responses[0]
    for at in range(len(whole.token_ids)):
        def change(k: int, handle: GenerationHandle, at: int = at) -> None:
            if k == at:
                handle.set_param("temperature", 0.0, 0)
                handle.set_param("top_k", 3)
                handle.set_param("max_new_tokens", at + 3, 1)

        expected = outcome(run(waiting, request, change))
        got = run(overlapping, request, change)
        assert outcome(got) == expected, at
        replay = GenerationRequest(PROMPT, SCHEMA, columns=request.columns, scheduled=tuple(got.live_changes))
        assert outcome(run(overlapping, replay))[:2] == expected[:2], at
