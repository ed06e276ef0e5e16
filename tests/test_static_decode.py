"""The static ring-buffer path and its compiled step, checked on CPU against the eager path."""

from __future__ import annotations

import shutil

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from playground.engine import decoders
from playground.engine.engine import Engine
from playground.engine.handle import GenerationHandle
from playground.engine.static_forward import RingKVCache, decode_attention, decode_forward, prefill_forward
from playground.engine.types import GenerationRequest
from playground.params import SamplingParams

LONG = "def fibonacci(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n"
CASES = [
    SamplingParams.make(temperature=0, max_new_tokens=60),
    SamplingParams.make(temperature=0, max_new_tokens=50, repetition_penalty=1.3, num_responses=2),
    SamplingParams.make(temperature=0.9, max_new_tokens=40, seed=3, presence_penalty=0.5, frequency_penalty=0.2,
                        top_k=20, min_p=0.05),
]


@pytest.fixture(scope="module")
def engines(loaded):
    return Engine(loaded, decode="eager"), Engine(loaded, decode="static")


@pytest.mark.parametrize("chunk", [5, 16, 2048])  # smaller than, equal to and larger than the window
@pytest.mark.parametrize("prompt", [LONG, "x", "import os\nimport sys\n" * 3])
def test_static_path_is_token_identical_to_eager(engines, monkeypatch, chunk, prompt):
    monkeypatch.setattr(decoders, "PREFILL_CHUNK", chunk)
    eager, static = engines
    for params in CASES:
        expected = eager.generate(GenerationRequest(prompt, params))
        got = static.generate(GenerationRequest(prompt, params))
        assert [r.token_ids for r in got.responses] == [r.token_ids for r in expected.responses]


def test_ring_cache_logits_match_the_models_sliding_window(loaded):
    model = loaded.model
    ids = torch.randint(40, 600, (1, 50), generator=torch.Generator().manual_seed(0))
    window = model.config.sliding_window
    assert ids.shape[1] > 3 * window
    with torch.inference_mode():
        reference = model(ids).logits[0]  # every position, the model's own attention
        cache = RingKVCache.allocate(model.config, 1, window, torch.float32, torch.device("cpu"))
        logits = [prefill_forward(model, cache, ids[:, :20], chunk_size=6)[0]]
        for position in range(20, 49):
            logits.append(decode_forward(model, cache, ids[0, position].view(1), torch.tensor(position))[0])
        assert cache.keys.shape[3] == window  # no growth: the ring never gets longer
    assert torch.allclose(torch.stack(logits), reference[19:49], atol=1e-4)


class ShapeRecorder(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.shapes = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for tensor in out if isinstance(out, (tuple, list)) else [out]:
            if isinstance(tensor, torch.Tensor):
                self.shapes.append(tuple(tensor.shape))
        return out


def test_decode_attention_reads_kv_heads_without_expanding_them():
    rows, heads, kv_heads, window, dim = 2, 48, 4, 64, 16
    q = torch.randn(rows, heads, 1, dim)
    keys, values = torch.randn(rows, kv_heads, window, dim), torch.randn(rows, kv_heads, window, dim)
    visible = torch.rand(window) > 0.3
    with ShapeRecorder() as recorder:
        out = decode_attention(q, keys, values, visible, dim ** -0.5)
    assert (rows, heads, window, dim) not in recorder.shapes  # K/V never widened to 48 heads
    expanded_k = keys.repeat_interleave(heads // kv_heads, dim=1)
    expanded_v = values.repeat_interleave(heads // kv_heads, dim=1)
    scores = (q @ expanded_k.transpose(-1, -2)) * dim ** -0.5
    reference = scores.masked_fill(~visible, float("-inf")).softmax(-1) @ expanded_v
    assert torch.allclose(out, reference.reshape(rows, heads * dim), atol=1e-5)


def test_overlapped_host_loop_gives_the_same_tokens_and_records_changes_honestly(loaded, monkeypatch):
    """On a GPU the loop launches token k+1 before detokenizing token k. Forced on here."""
    plain, pipelined = Engine(loaded, decode="static"), Engine(loaded, decode="static")
    params = SamplingParams.make(temperature=0.8, seed=5, max_new_tokens=30, stop=["\n\n\n"])
    pipelined.generate(GenerationRequest("x", params.replace(max_new_tokens=1)))
    pipelined._static_decoders[1].overlaps = True
    assert [r.token_ids for r in pipelined.generate(GenerationRequest(LONG, params)).responses] == \
           [r.token_ids for r in plain.generate(GenerationRequest(LONG, params)).responses]
    handle, steps = GenerationHandle(), []

    def on_event(events):
        steps.append(events)
        if len(steps) == 5:
            handle.set_param("temperature", 0.0)

    result = pipelined.generate(GenerationRequest(LONG, params), on_event, handle)
    [change] = result.live_changes
    assert change.at_token == 6  # token 5 was already on its way when the change arrived
    replayed = pipelined.generate(GenerationRequest(LONG, params, scheduled=tuple(result.live_changes)))
    assert replayed.responses[0].token_ids == result.responses[0].token_ids


@pytest.mark.slow
def test_compiled_step_is_token_identical_with_no_recompile_after_warm_up(loaded):
    if not (shutil.which("c++") or shutil.which("g++")):
        pytest.skip("torch.compile needs a C++ compiler on CPU")
    import torch._dynamo

    eager, compiled = Engine(loaded, decode="eager"), Engine(loaded, decode="compiled")
    greedy = SamplingParams.make(temperature=0, max_new_tokens=40, repetition_penalty=1.2)
    assert compiled.generate(GenerationRequest(LONG, greedy)).responses[0].token_ids == \
        eager.generate(GenerationRequest(LONG, greedy)).responses[0].token_ids
    handle, steps = GenerationHandle(), []

    def move_sliders(events):
        steps.append(events)
        if len(steps) == 3:
            handle.set_param("temperature", 1.3)
            handle.set_param("top_k", 7)
            handle.set_param("min_p", 0.1)

    torch._dynamo.config.error_on_recompile = True
    try:  # new prompt, parameters, seed and live changes: all data in buffers, no recompile
        sampled = SamplingParams.make(temperature=0.7, top_p=0.8, max_new_tokens=30, seed=9)
        result = compiled.generate(GenerationRequest("import os\n", sampled), move_sliders, handle)
    finally:
        torch._dynamo.config.error_on_recompile = False
    assert len(result.live_changes) == 3
    again = eager.generate(GenerationRequest("import os\n", sampled, scheduled=tuple(result.live_changes)))
    assert again.responses[0].token_ids == result.responses[0].token_ids


def test_warm_up_compiles_each_batch_size_once(loaded, monkeypatch):
    engine = Engine(loaded, decode="static")
    engine.decode_path = "compiled"  # bookkeeping only: the static step stands in for the compiled one
    monkeypatch.setattr(decoders, "compile_step", lambda step, device, options: step)
    assert engine.will_compile(1) and engine.will_compile(2)
    engine.warm_up()
    assert not engine.will_compile(1) and not engine.will_compile(2)
    assert not Engine(loaded, decode="eager").will_compile(1)


def test_auto_path_choice():
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert decoders.choose_path("auto", None, cpu, "none") == "eager"
    assert decoders.choose_path("auto", None, cuda, "none") == "compiled"
    assert decoders.choose_path("auto", None, cuda, "4bit") == "eager"
    assert decoders.choose_path("static", None, cpu, "none") == "static"
