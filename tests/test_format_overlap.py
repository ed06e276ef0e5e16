"""A response format on an overlapping decoder (as on a GPU; forced on here): the forward of token
k+1 is launched before the host has token k, and its sampling only once the host has filled the
format's mask for k+1. The tokens are those of the loop that waits; live changes apply from the
next token; at most one forward is computed in vain, and none when a row's length ends it."""

from __future__ import annotations

import json

import pytest

from playground.engine.engine import Engine
from playground.engine.handle import GenerationHandle
from playground.engine.static_decoder import StaticDecoder
from playground.engine.types import GenerationRequest
from playground.params import SamplingParams
from tests.format_cases import SCHEMA_FORMAT, is_schema_instance

PROMPT = "def config():\n    return "
SAMPLED = SamplingParams.make(temperature=0.9, top_k=40, seed=4, max_new_tokens=96, response_format=SCHEMA_FORMAT)


class CallLog:
    """A decoder whose calls from the loop are written down, in order."""

    def __init__(self, decoder):
        self.decoder, self.calls = decoder, []

    def __getattr__(self, name):
        return getattr(self.decoder, name)

    @property
    def overlaps(self):
        return self.decoder.overlaps

    def _logged(self, name, *args):
        self.calls.append(name)
        return getattr(self.decoder, name)(*args)

    def request_tokens(self):
        return self._logged("request_tokens")

    def received_tokens(self):
        return self._logged("received_tokens")

    def set_mask(self, bits):
        return self._logged("set_mask", bits)

    def launch(self):
        return self._logged("launch")

    def launch_forward(self):
        return self._logged("launch_forward")

    def launch_sampling(self):
        return self._logged("launch_sampling")


def logged_engine(loaded, monkeypatch, overlap):
    engine = Engine(loaded, decode="static")
    engine._decoders.static[1] = StaticDecoder(loaded.model, 1, loaded.device, compiled=False, overlap=overlap)
    logs = []
    original = engine._decoders.decoder
    monkeypatch.setattr(engine._decoders, "decoder", lambda *a: logs.append(CallLog(original(*a))) or logs[-1])
    return engine, logs


def test_the_forward_goes_ahead_and_the_sampling_waits_for_the_mask(loaded, monkeypatch):
    waiting, _ = logged_engine(loaded, monkeypatch, overlap=False)
    expected = waiting.generate(GenerationRequest(PROMPT, SAMPLED)).responses[0]
    engine, logs = logged_engine(loaded, monkeypatch, overlap=True)
    response = engine.generate(GenerationRequest(PROMPT, SAMPLED)).responses[0]
    assert response.token_ids == expected.token_ids and is_schema_instance(response.text)
    assert response.finish_reason == "eos_token" and len(response.token_ids) > 10
    calls = logs[-1].calls
    assert calls[0] == "set_mask" and "launch" not in calls  # the first mask goes with the prefill
    step = ["request_tokens", "launch_forward", "received_tokens", "set_mask", "launch_sampling"]
    drawn = len(response.token_ids) - 1  # token 0 comes from the prefill
    assert calls[1:1 + len(step) * drawn] == step * drawn
    # The last token (the format's end) ends the row: its forward went ahead in vain, no sampling.
    assert calls[1 + len(step) * drawn:] == ["request_tokens", "launch_forward", "received_tokens"]


def test_without_overlap_the_loop_waits_for_each_token_and_launches_nothing_ahead(loaded, monkeypatch):
    engine, logs = logged_engine(loaded, monkeypatch, overlap=False)
    response = engine.generate(GenerationRequest(PROMPT, SAMPLED)).responses[0]
    step = ["request_tokens", "received_tokens", "set_mask", "launch_forward", "launch_sampling"]
    drawn = len(response.token_ids) - 1
    assert logs[-1].calls == ["set_mask", *step * drawn, "request_tokens", "received_tokens"]


def test_no_forward_goes_ahead_past_the_last_token_the_length_allows(loaded, monkeypatch):
    engine, logs = logged_engine(loaded, monkeypatch, overlap=True)
    params = SAMPLED.replace(max_new_tokens=6)
    response = engine.generate(GenerationRequest(PROMPT, params)).responses[0]
    assert response.finish_reason == "length" and len(response.token_ids) == 6
    assert logs[-1].calls.count("launch_forward") == logs[-1].calls.count("launch_sampling") == 5


@pytest.mark.parametrize("overlap", [False, True])
def test_a_live_change_applies_from_the_next_token_and_replays(loaded, monkeypatch, overlap):
    """The mask and a live change both wait for token k on the host, and both apply to k+1:
    with a format the overlap delays neither (without one, a change lands a token later)."""
    engine, _ = logged_engine(loaded, monkeypatch, overlap=overlap)
    handle, batches = GenerationHandle(), []

    def on_event(events):
        batches.append(events)
        if len(batches) == 5:  # token 4 is being handled
            handle.set_param("temperature", 0.0)

    result = engine.generate(GenerationRequest(PROMPT, SAMPLED), on_event, handle)
    [change] = result.live_changes
    assert change.at_token == 5
    replayed = engine.generate(GenerationRequest(PROMPT, SAMPLED, scheduled=tuple(result.live_changes)))
    assert replayed.responses[0].token_ids == result.responses[0].token_ids


@pytest.mark.slow
def test_the_compiled_halves_take_a_format_on_and_off_without_recompiling(loaded):
    """AOT-eager compiles both halves (forward, sampling) once; a format, another format or none
    is data in the mask buffer, and the forward going ahead changes no token."""
    import torch._dynamo

    compiled = Engine(loaded, decode="compiled")
    compiled._decoders.static[1] = StaticDecoder(loaded.model, 1, loaded.device, compiled=True,
                                                 compile_options={"backend": "aot_eager"}, overlap=True)
    compiled.warm_up((1,))
    static = Engine(loaded, decode="static")
    cases = [SAMPLED, SAMPLED.replace(response_format="json"),
             SAMPLED.replace(response_format="text", max_new_tokens=12)]
    torch._dynamo.config.error_on_recompile = True
    try:
        got = [compiled.generate(GenerationRequest(PROMPT, params)).responses[0] for params in cases]
    finally:
        torch._dynamo.config.error_on_recompile = False
    expected = [static.generate(GenerationRequest(PROMPT, params)).responses[0] for params in cases]
    assert [r.token_ids for r in got] == [r.token_ids for r in expected]
    assert is_schema_instance(got[0].text) and got[0].finish_reason == "eos_token"
    if got[1].finish_reason == "eos_token":
        json.loads(got[1].text)  # any JSON value, "null" included: raises if it is not one
