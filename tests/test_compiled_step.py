"""The compiled decode step, compiled once with Inductor for the module (slow on a CPU): its
graph writes the KV cache in place, its tokens are the eager path's, it never recompiles,
its guards are few, and a second start reads the compile cache."""

from __future__ import annotations

import shutil
from types import SimpleNamespace

import pytest
import torch

from playground.engine import compiling
from playground.engine.engine import Engine
from playground.engine.handle import GenerationHandle
from playground.engine.static_decoder import DecodeStep
from playground.engine.types import GenerationRequest
from playground.params import SamplingParams

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("inductor")]  # one worker compiles, once
LONG = "def fibonacci(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n"
aten = torch.ops.aten


@pytest.fixture(scope="module")
def compiled(loaded, tmp_path_factory):
    """An engine with its batch-1 step compiled by Inductor, the post-grad graphs Inductor
    lowered (after its reinplacing pass: what the generated code does) and the guard decisions."""
    if not (shutil.which("c++") or shutil.which("g++")):
        pytest.skip("torch.compile needs a C++ compiler on CPU")
    from torch._inductor import compile_fx

    graphs, guards = [], []
    original_passes, original_filter = compile_fx._recursive_post_grad_passes, compiling.keep_step_guards

    def capture(gm, is_inference=False):
        original_passes(gm, is_inference)
        graphs.append(gm.graph)

    def recording_filter(entries):
        decisions = original_filter(entries)
        guards.extend(zip(entries, decisions))
        return decisions

    # A fresh cache (a module fixture starts before the per-test XDG dirs): Inductor compiles.
    cache_dir = str(tmp_path_factory.mktemp("torch-compile"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TORCHINDUCTOR_CACHE_DIR", cache_dir)
        patch.setattr(compile_fx, "_recursive_post_grad_passes", capture)
        patch.setattr(compiling, "keep_step_guards", recording_filter)
        engine = Engine(loaded, decode="compiled")
        compile_s = engine.warm_up((1,))
    return SimpleNamespace(engine=engine, graphs=graphs, guards=guards, compile_s=compile_s, cache_dir=cache_dir)


def source_input(node):
    """The graph input a chain of in-place index_put_ writes started from."""
    while node.op == "call_function" and node.target is aten.index_put_.default:
        node = node.args[0]
    return node


def cache_copies(graph, cache_shape):
    """Nodes that make or copy a whole cache: anything of the cache's shape but an in-place
    index_put_ into it and the no-op copy_ of an input onto itself that reinplacing leaves."""
    found = []
    for node in graph.nodes:
        value = node.meta.get("val")
        if node.op != "call_function" or not isinstance(value, torch.Tensor) or tuple(value.shape) != cache_shape:
            continue
        if node.target is aten.index_put_.default and node.args[0].op in ("placeholder", "call_function"):
            continue
        if node.target is aten.copy_.default and source_input(node.args[1]) is node.args[0]:
            continue
        found.append(f"{node.name} = {node.target}")
    return found


def test_compiled_step_writes_the_kv_cache_in_place(compiled, loaded):
    config = loaded.model.config
    cache_shape = (config.num_hidden_layers, 1, config.num_key_value_heads, config.sliding_window,
                   config.hidden_size // config.num_attention_heads)
    def cache_inputs(graph):
        return [n for n in graph.nodes if n.op == "placeholder" and tuple(n.meta["val"].shape) == cache_shape]

    # The step is two graphs, the forward and the sampling: only the forward sees the cache.
    assert len(compiled.graphs) == 2
    [graph] = [graph for graph in compiled.graphs if cache_inputs(graph)]
    inputs = cache_inputs(graph)
    writes = [n for n in graph.nodes if n.target is aten.index_put_.default and source_input(n) in inputs]
    assert len(inputs) == 2 and len(writes) == 2 * config.num_hidden_layers  # keys and values, every layer
    assert cache_copies(graph, cache_shape) == []


def test_the_graph_check_catches_a_per_layer_view_write(tmp_path):
    """The check itself: writing through ``keys[layer]`` is the copy it must find."""
    from torch._inductor import compile_fx

    graphs = []
    original_passes = compile_fx._recursive_post_grad_passes

    def capture(gm, is_inference=False):
        original_passes(gm, is_inference)
        graphs.append(gm.graph)

    def per_layer_write(keys, slot, new):
        for layer in range(keys.shape[0]):
            keys[layer].index_copy_(2, slot, new + layer)
        return keys.sum()

    keys, slot, new = torch.zeros(3, 1, 2, 8, 4), torch.tensor([5]), torch.ones(1, 2, 1, 4)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TORCHINDUCTOR_CACHE_DIR", str(tmp_path))  # a fresh cache: Inductor compiles
        patch.setattr(compile_fx, "_recursive_post_grad_passes", capture)
        with torch.inference_mode():
            torch.compile(per_layer_write, fullgraph=True, dynamic=False, backend="inductor")(keys, slot, new)
    assert cache_copies(graphs[-1], tuple(keys.shape))
    assert torch.equal(keys[2, :, :, 5], torch.full((1, 2, 4), 3.0))  # and the write still happened


def test_compiled_step_is_token_identical_with_no_recompile_after_warm_up(compiled, loaded):
    import torch._dynamo

    engine, eager = compiled.engine, Engine(loaded, decode="eager")
    assert compiled.compile_s > 0 and not engine.will_compile(1)
    greedy = SamplingParams.make(temperature=0, max_new_tokens=40, repetition_penalty=1.2)
    handle, steps = GenerationHandle(), []

    def move_sliders(events):
        steps.append(events)
        if len(steps) == 3:
            handle.set_param("temperature", 1.3)
            handle.set_param("top_k", 7)
            handle.set_param("min_p", 0.1)

    torch._dynamo.config.error_on_recompile = True
    try:  # new prompts, parameters, seed and live changes: all data in buffers, no recompile
        first = engine.generate(GenerationRequest(LONG, greedy))
        sampled = SamplingParams.make(temperature=0.7, top_p=0.8, max_new_tokens=30, seed=9)
        result = engine.generate(GenerationRequest("import os\n", sampled), move_sliders, handle)
    finally:
        torch._dynamo.config.error_on_recompile = False
    assert first.timings.compile_s == 0
    assert first.responses[0].token_ids == eager.generate(GenerationRequest(LONG, greedy)).responses[0].token_ids
    assert len(result.live_changes) == 3
    again = eager.generate(GenerationRequest("import os\n", sampled, scheduled=tuple(result.live_changes)))
    assert again.responses[0].token_ids == result.responses[0].token_ids


def test_guards_skip_the_weights_but_keep_the_step_buffers(compiled):
    kept = [entry.name for entry, keep in compiled.guards if keep]
    dropped = [entry.name for entry, keep in compiled.guards if not keep]
    assert not [name for name in kept if "_parameters" in name]
    assert [name for name in kept if "keys" in name] and [name for name in kept if "tokens" in name]
    assert len([name for name in dropped if "_parameters" in name]) >= 10  # every weight of the tiny model


def test_batch_sizes_stay_separate_graphs_under_the_guard_filter(loaded):
    """Dynamo alone (no Inductor) is enough to see which graph each batch size's call picks."""
    from torch._dynamo.eval_frame import _debug_get_cache_entry_list

    engine, static = Engine(loaded, decode="compiled", compile_options={"backend": "eager"}), \
        Engine(loaded, decode="static")
    engine.warm_up((1, 2))
    modules = [engine._decoders.static[rows].step_module for rows in (1, 2)]
    for part in (DecodeStep.compute_logits, DecodeStep.sample):  # the step's two compiled halves
        entries = _debug_get_cache_entry_list(part.__code__)
        with torch.inference_mode():  # the global state the steps were compiled (and run) in
            chosen = [[entry for entry in entries if entry.guard_manager.check({"self": module})]
                      for module in modules]
        assert all(len(matches) >= 1 for matches in chosen) and chosen[0][0] is not chosen[1][0], part
    for rows in (1, 2):
        params = SamplingParams.make(temperature=0.9, seed=2, max_new_tokens=10, num_responses=rows)
        assert [r.token_ids for r in engine.generate(GenerationRequest(LONG, params)).responses] == \
            [r.token_ids for r in static.generate(GenerationRequest(LONG, params)).responses]


def test_a_second_start_reads_the_compile_cache(compiled, loaded, monkeypatch):
    """The compile is cached on disk: a new process, here a fresh dynamo, compiles the same
    step from the cache (test_decode_paths.py checks that the cache is in the user cache dir)."""
    import torch._dynamo
    from torch._dynamo.utils import counters

    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", compiled.cache_dir)
    hits = counters["inductor"]["fxgraph_cache_hit"]
    torch._dynamo.reset()
    engine = Engine(loaded, decode="compiled")
    engine.warm_up((1,))
    assert counters["inductor"]["fxgraph_cache_hit"] > hits
    assert engine.generate(GenerationRequest(LONG, SamplingParams.make(temperature=0, max_new_tokens=5))).responses


def test_a_response_format_is_a_buffer_write_no_recompile_and_the_eager_tokens(compiled, loaded):
    import torch._dynamo

    from tests.format_cases import REGEX_FORMAT, SCHEMA_FORMAT

    engine, eager = compiled.engine, Engine(loaded, decode="eager")
    runs = [SamplingParams.make(temperature=0, max_new_tokens=12, response_format=REGEX_FORMAT),
            SamplingParams.make(temperature=0, max_new_tokens=12),
            SamplingParams.make(temperature=0.9, seed=3, max_new_tokens=60, response_format=SCHEMA_FORMAT)]
    torch._dynamo.config.error_on_recompile = True
    try:  # format on, off, another: the mask is a buffer the step always reads
        results = [engine.generate(GenerationRequest("import os\n", params)) for params in runs]
    finally:
        torch._dynamo.config.error_on_recompile = False
    for params, result in zip(runs, results):
        expected = eager.generate(GenerationRequest("import os\n", params)).responses[0]
        assert result.responses[0].token_ids == expected.token_ids
        assert result.responses[0].format_complete == expected.format_complete
    assert results[0].responses[0].format_complete and results[2].responses[0].format_complete
