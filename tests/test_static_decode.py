"""The static ring-buffer path, checked on CPU against the eager path and the model itself
(the compiled step is in test_compiled_step.py)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

from playground.engine import decoders, eager, static_decoder
from playground.engine.attention import DECODE_SPLIT, decode_attention
from playground.engine.eager import EagerDecoder
from playground.engine.engine import Engine
from playground.engine.handle import GenerationHandle
from playground.engine.sampling.chain import next_tokens
from playground.engine.static import RingKVCache, decode_forward, prefill_forward
from playground.engine.static_decoder import StaticDecoder
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
    monkeypatch.setattr(static_decoder, "PREFILL_CHUNK", chunk)
    eager, static = engines
    for params in CASES:
        expected = eager.generate(GenerationRequest(prompt, params))
        got = static.generate(GenerationRequest(prompt, params))
        assert [r.token_ids for r in got.responses] == [r.token_ids for r in expected.responses]


@pytest.mark.parametrize("chunk", [6, 16, 20])  # the first chunk shorter than, as long as, longer than the window
def test_ring_cache_logits_match_the_models_sliding_window(loaded, chunk):
    model = loaded.model
    ids = torch.randint(40, 600, (1, 50), generator=torch.Generator().manual_seed(0))
    window = model.config.sliding_window
    assert ids.shape[1] > 3 * window
    with torch.inference_mode():
        reference = model(ids).logits[0]  # every position, the model's own attention
        cache = RingKVCache.allocate(model.config, 1, window, torch.float32, torch.device("cpu"))
        logits = [prefill_forward(model, cache, ids[:, :40], chunk_size=chunk)[0]]
        for position in range(40, 49):
            logits.append(decode_forward(model, cache, ids[0, position].view(1), torch.tensor(position))[0])
        assert cache.keys.shape[3] == window  # no growth: the ring never gets longer
    assert torch.allclose(torch.stack(logits), reference[39:49], atol=1e-4)


class SdpaCalls(TorchFunctionMode):
    """Records how scaled_dot_product_attention is called."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is F.scaled_dot_product_attention:
            q, k = args[0], args[1]
            self.calls.append({"length": q.shape[2], "q_heads": q.shape[1], "kv_heads": k.shape[1],
                               "mask": kwargs.get("attn_mask"), "causal": kwargs.get("is_causal", False),
                               "gqa": kwargs.get("enable_gqa", False)})
        return func(*args, **kwargs)


def test_prefill_uses_the_shapes_fused_gpu_kernels_accept(loaded):
    """What torch's SDPA dispatch needs (sdp_utils.cpp): FlashAttention takes no attn_mask
    (is_causal instead) and takes GQA (enable_gqa); the memory-efficient kernel takes a mask,
    and GQA only in recent versions. A call that fits neither falls to the math kernel, slow
    and O(T²) in memory. (On a GPU, benchmarks/gpu_decode.py runs a prefill with math ruled out.)"""
    model = loaded.model
    window, layers = model.config.sliding_window, model.config.num_hidden_layers
    ids = torch.randint(40, 600, (1, 40), generator=torch.Generator().manual_seed(1))
    with torch.inference_mode(), SdpaCalls() as recorder:
        cache = RingKVCache.allocate(model.config, 1, window, torch.float32, torch.device("cpu"))
        prefill_forward(model, cache, ids, chunk_size=window)
    first, later = recorder.calls[:layers], recorder.calls[layers:]
    assert len(later) == 2 * layers  # chunks 16 + 16 + 8
    for call in first:  # flash-eligible
        assert call["causal"] and call["mask"] is None and call["gqa"] and call["length"] == window
    for call in later:  # memory-efficient-eligible: a mask, K/V on every query head
        assert not call["causal"] and call["mask"] is not None and not call["gqa"]
        assert call["kv_heads"] == call["q_heads"]


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


def reference_attention(q, keys, values, visible, scale):
    """Expanded K/V in float64: what decode attention must equal."""
    group = q.shape[1] // keys.shape[1]
    q, keys, values = q.double(), keys.double().repeat_interleave(group, 1), values.double().repeat_interleave(group, 1)
    scores = (q @ keys.transpose(-1, -2)) * scale
    return (scores.masked_fill(~visible, float("-inf")).softmax(-1) @ values).reshape(q.shape[0], -1)


@pytest.mark.parametrize("window", [64, 4 * DECODE_SPLIT])  # one piece, and split along the window
def test_decode_attention_reads_kv_heads_without_expanding_them(window):
    rows, heads, kv_heads, dim = 2, 48, 4, 16
    generator = torch.Generator().manual_seed(window)
    q = torch.randn(rows, heads, 1, dim, generator=generator)
    keys = torch.randn(rows, kv_heads, window, dim, generator=generator)
    values = torch.randn(rows, kv_heads, window, dim, generator=generator)
    visible = torch.rand(window, generator=generator) > 0.3
    with ShapeRecorder() as recorder:
        out = decode_attention(q, keys, values, visible, dim ** -0.5)
    assert not [s for s in recorder.shapes if len(s) >= 3 and s[:2] == (rows, heads) and window in s]  # never widened
    assert torch.allclose(out.double(), reference_attention(q, keys, values, visible, dim ** -0.5), atol=1e-5)


def test_decode_attention_keeps_bf16_scores_in_float32():
    """Scores near 100 apart by less than bf16's step there (0.5): rounded to bf16 before the
    softmax they would tie or swap; kept in float32 the weights match a float64 reference."""
    kv_heads, heads, window, dim = 1, 2, 8, 64
    generator = torch.Generator().manual_seed(0)
    q = torch.full((1, heads, 1, dim), 1.25).to(torch.bfloat16)
    base = torch.full((kv_heads, window, dim), 1.25)
    keys = (base + torch.randint(0, 3, (kv_heads, window, dim), generator=generator) * 2 ** -6).unsqueeze(0)
    keys, values = keys.to(torch.bfloat16), torch.randn(1, kv_heads, window, dim, generator=generator).bfloat16()
    visible = torch.ones(window, dtype=torch.bool)
    out = decode_attention(q, keys, values, visible, 1.0).double()
    reference = reference_attention(q, keys, values, visible, 1.0)
    rounded_scores = (q.double().view(1, 1, heads, dim) @ keys.double().transpose(-1, -2)).bfloat16().double()
    rounded = (rounded_scores.softmax(-1) @ values.double()).reshape(1, -1)
    assert (rounded - reference).abs().max() > 0.05  # the case tells rounded from exact scores
    assert (out - reference).abs().max() < 0.02  # only the output's own bf16 rounding is left


def test_overlapped_host_loop_gives_the_same_tokens_and_records_changes_honestly(loaded):
    """On a GPU the loop launches token k+1 before it handles token k. Forced on here: the
    copy of token k is taken before the launch overwrites it, or the tokens would differ."""
    plain, pipelined = Engine(loaded, decode="static"), Engine(loaded, decode="static")
    decoder = StaticDecoder(loaded.model, 1, loaded.device, compiled=False, overlap=True)
    pipelined._decoders.static[1] = decoder
    params = SamplingParams.make(temperature=0.8, seed=5, max_new_tokens=30, stop=["\n\n\n"])
    expected = [r.token_ids for r in plain.generate(GenerationRequest(LONG, params)).responses]
    assert [r.token_ids for r in pipelined.generate(GenerationRequest(LONG, params)).responses] == expected
    assert pipelined._decoders.static[1] is decoder and decoder.overlaps
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


class LaunchCounter:
    def __init__(self, decoder):
        self.decoder, self.launches = decoder, 0

    def __getattr__(self, name):
        return getattr(self.decoder, name)

    @property
    def overlaps(self):
        return self.decoder.overlaps

    def launch(self):
        self.launches += 1
        self.decoder.launch()


@pytest.mark.parametrize("overlap", [False, True])
def test_no_step_is_launched_past_the_last_token_a_row_may_take(loaded, monkeypatch, overlap):
    """A surplus step would run into the next generation's prefill (and its time to first token)."""
    engine = Engine(loaded, decode="static")
    engine._decoders.static[1] = StaticDecoder(loaded.model, 1, loaded.device, compiled=False, overlap=overlap)
    counters = []
    original = engine._decoders.decoder
    monkeypatch.setattr(engine._decoders, "decoder", lambda *a: counters.append(LaunchCounter(original(*a)))
                        or counters[-1])
    result = engine.generate(GenerationRequest(LONG, SamplingParams.make(max_new_tokens=12, seed=1)))
    assert len(result.responses[0].token_ids) == 12
    assert counters[0].launches == 11  # token 0 comes from the prefill


def test_eager_step_counter_stays_on_the_device(loaded, monkeypatch):
    """The decoder makes no tensor from a host value per step (on CUDA: a copy and a sync
    each time); it hands the sampler the same device counter, advanced in place."""
    decoder = EagerDecoder(loaded.model, [SamplingParams.make(temperature=0.8)], [3], loaded.device)
    created, steps_seen, sampling = [], [], []

    def recording_next_tokens(*args, **kwargs):
        steps_seen.append((args[4], int(args[4])))
        sampling.append(True)  # the sampler's own internals are test_sampling.py's business
        try:
            return next_tokens(*args, **kwargs)
        finally:
            sampling.pop()

    class Creations(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            if not sampling and func in (torch.ops.aten.lift_fresh.default, torch.ops.aten.scalar_tensor.default,
                                         torch.ops.aten._to_copy.default):
                created.append(func)
            return func(*args, **(kwargs or {}))

    monkeypatch.setattr(eager, "next_tokens", recording_next_tokens)
    with torch.inference_mode():
        decoder.prefill(torch.tensor([[5, 6, 7]]))
        with Creations():
            for _ in range(3):
                decoder.launch()
    assert created == []
    assert all(step is decoder.step for step, _ in steps_seen)
    assert [value for _, value in steps_seen] == [0, 1, 2, 3] and int(decoder.step) == 4


def test_auto_path_choice():
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert decoders.choose_path("auto", None, cpu, "none") == "eager"
    assert decoders.choose_path("auto", None, cuda, "none") == "compiled"
    assert decoders.choose_path("auto", None, cuda, "4bit") == "eager"
    assert decoders.choose_path("static", None, cpu, "none") == "static"
