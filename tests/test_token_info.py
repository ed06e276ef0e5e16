"""Per-token probabilities and branches on the eager and static paths, with the real vocabulary
size: each token's logprob, rank, entropy and top alternatives against a teacher-forced forward
of transformers' model, its sampled_logprob against transformers' warpers, and branches that
reproduce their parent exactly and then draw from the right law."""

from __future__ import annotations

import math

import pytest
import torch

from playground.engine.engine import Engine
from playground.engine.types import GenerationRequest, GenerationResult, StreamEvent, TokenEvent
from playground.errors import UserError
from playground.params import SamplingParams
from tests.sampling_reference import LawCheck, one_thread, reference_law
from tests.test_sampling_paths import CARD, MIXED, PROMPT
from tests.test_sampling_paths import vocab_model as _vocab_model_fixture

vocab_model = _vocab_model_fixture  # the real-vocabulary model, built once per module

pytestmark = pytest.mark.usefixtures(one_thread.__name__)

GREEDY = SamplingParams.make(temperature=0, repetition_penalty=1.3, seed=1)
ROWS = {"one row": (CARD,), "two rows": (MIXED, GREEDY)}
TOLERANCE = 1e-4


def request(rows: tuple[SamplingParams, ...], tokens: int, **extra) -> GenerationRequest:
    columns = tuple(p.replace(max_new_tokens=tokens) for p in rows)
    return GenerationRequest(PROMPT, columns[0], columns=columns if len(columns) > 1 else None, **extra)


def teacher_forced(loaded, tokens: list[int]) -> torch.Tensor:
    """The model's raw log-probabilities [len(tokens), vocab] for each token's prefix."""
    prompt = loaded.tokenizer(PROMPT, add_special_tokens=False).input_ids
    with torch.inference_mode():
        logits = loaded.model(torch.tensor([prompt + tokens])).logits[0, len(prompt) - 1: -1]
    return logits.float()


def check_against_reference(loaded, result: GenerationResult, rows: tuple[SamplingParams, ...], top: int,
                            given: int = 0) -> int:
    """Every token's information against the references; the number of sampled tokens checked.
    The first ``given`` tokens of each response were given (a branch's prefix): not drawn."""
    prompt = loaded.tokenizer(PROMPT, add_special_tokens=False).input_ids
    sampled = 0
    for params, response in zip(rows, result.responses, strict=True):
        tokens, infos = response.token_ids, response.logprobs
        assert infos is not None and len(infos) == len(tokens)
        logits = teacher_forced(loaded, tokens)
        logprobs = logits.log_softmax(dim=-1)
        for step, (token, info) in enumerate(zip(tokens, infos)):
            expected = logprobs[step]
            assert info.logprob == pytest.approx(float(expected[token]), abs=TOLERANCE)
            assert info.rank == 1 + int((expected > expected[token]).sum())
            entropy = -float((expected.exp() * expected).sum())
            assert info.entropy == pytest.approx(entropy, abs=TOLERANCE * 10)
            best = expected.topk(top)
            assert [a.token_id for a in info.top] == best.indices.tolist()
            assert [a.logprob for a in info.top] == pytest.approx(best.values.tolist(), abs=TOLERANCE)
            if step < given or params.temperature == 0:
                assert info.sampled_logprob is None
                continue
            generated = tokens[:step]
            law = reference_law(logits[step], params, prompt + generated, generated)
            assert law[token] > 0, "a token outside the allowed set"
            assert info.sampled_logprob == pytest.approx(math.log(law[token]), abs=TOLERANCE)
            sampled += 1
    return sampled


@pytest.mark.parametrize("path", ["eager", "static"])
@pytest.mark.parametrize("rows", ROWS.values(), ids=ROWS.keys())
def test_token_information_equals_a_teacher_forced_forward_and_the_warpers(vocab_model, path, rows):
    engine = Engine(vocab_model, decode=path)
    result = engine.generate(request(rows, 24, logprobs=5))
    assert check_against_reference(vocab_model, result, rows, top=5) >= 20
    plain = engine.generate(request(rows, 24))
    assert [r.token_ids for r in plain.responses] == [r.token_ids for r in result.responses]
    assert all(r.logprobs is None for r in plain.responses)


def test_token_events_carry_the_information_and_zero_alternatives_is_allowed(vocab_model):
    events: list[StreamEvent] = []
    result = Engine(vocab_model, decode="eager").generate(request((CARD,), 6, logprobs=0), events.extend)
    infos = [e.info for e in events if isinstance(e, TokenEvent)]
    assert infos == result.responses[0].logprobs and all(info is not None and info.top == () for info in infos)


@pytest.mark.parametrize("path", ["eager", "static"])
@pytest.mark.parametrize("rows", [(MIXED,), (CARD, MIXED)], ids=["one row", "two rows"])
def test_a_branch_without_a_forced_token_reproduces_its_parent(vocab_model, path, rows):
    """Penalties (MIXED) count the prefix, the noise's step goes on from it: the same tokens."""
    engine = Engine(vocab_model, decode=path)
    parent = engine.generate(request(rows, 30))
    prefix = tuple(parent.responses[0].token_ids[:12])
    events: list[list[StreamEvent]] = []
    branch = engine.generate(request(rows, 30, prefix_tokens=prefix, logprobs=2), events.append)
    assert branch.responses[0].token_ids == parent.responses[0].token_ids
    assert branch.responses[0].text == parent.responses[0].text
    assert all(r.token_ids[:12] == list(prefix) for r in branch.responses)
    # The prefix comes first, in one call, token by token and row by row.
    assert [(e.row, e.token_id) for e in events[0]] == [(row, t) for t in prefix for row in range(len(rows))]
    check_against_reference(vocab_model, branch, rows, top=2, given=12)


@pytest.mark.parametrize("path", ["eager", "static"])
def test_a_branch_takes_the_forced_token_then_draws_from_the_law(vocab_model, path):
    engine = Engine(vocab_model, decode=path)
    parent = engine.generate(request((MIXED,), 40, logprobs=3))
    tokens, infos = parent.responses[0].token_ids, parent.responses[0].logprobs
    assert infos is not None
    alternative = next(a.token_id for a in infos[10].top if a.token_id != tokens[10])
    check = LawCheck(seed=3)
    for seed in range(3):
        params = MIXED.replace(seed=seed)
        branch = engine.generate(request((params,), 40, prefix_tokens=tuple(tokens[:10]), forced_token=alternative,
                                         logprobs=3))
        response = branch.responses[0]
        assert response.token_ids[:11] == tokens[:10] + [alternative]
        assert response.logprobs is not None and response.logprobs[10].sampled_logprob is None
        listed = next(a.logprob for a in infos[10].top if a.token_id == alternative)
        assert response.logprobs[10].logprob == pytest.approx(listed, abs=TOLERANCE)
        check_against_reference(vocab_model, branch, (params,), top=3, given=11)
        prompt = vocab_model.tokenizer(PROMPT, add_special_tokens=False).input_ids
        logits = teacher_forced(vocab_model, response.token_ids)
        for step in range(11, len(response.token_ids)):
            generated = response.token_ids[:step]
            check.add(reference_law(logits[step], params, prompt + generated, generated), response.token_ids[step])
    assert len(check.pit) >= 80
    check.assert_fits()


def test_settings_no_generation_can_honour_are_one_line_errors(vocab_model):
    eager = Engine(vocab_model, decode="eager")
    with pytest.raises(UserError, match="between 0 and 20"):
        eager.generate(request((CARD,), 4, logprobs=21))
    with pytest.raises(UserError, match="not in the model's vocabulary"):
        eager.generate(request((CARD,), 4, forced_token=49152))
    with pytest.raises(UserError, match="end token"):
        eager.generate(request((CARD,), 4, prefix_tokens=(5, 0, 6)))
    with pytest.raises(UserError, match="fill the context window"):
        eager.generate(request((CARD,), 4, prefix_tokens=(5,) * 200))


@pytest.mark.slow
def test_the_compiled_step_computes_the_same_information_with_no_recompile_when_toggled(vocab_model):
    """AOT-eager, as test_sampling_paths compiles the 49,152-wide step: one graph per batch
    size, whether a generation asks for information (and how many alternatives) or not."""
    import torch._dynamo

    compiled = Engine(vocab_model, decode="compiled", compile_options={"backend": "aot_eager"})
    compiled.warm_up((1, 2))
    torch._dynamo.config.error_on_recompile = True
    try:
        results = {rows: compiled.generate(request(rows, 12, logprobs=top))
                   for rows, top in (((CARD,), 20), ((MIXED, GREEDY), 4))}
        plain = compiled.generate(request((MIXED, GREEDY), 12))
    finally:
        torch._dynamo.config.error_on_recompile = False
    for (rows, result), top in zip(results.items(), (20, 4)):
        check_against_reference(vocab_model, result, rows, top)
    assert [r.token_ids for r in plain.responses] == [r.token_ids for r in results[(MIXED, GREEDY)].responses]


@pytest.mark.parametrize("chunk", [6, 16, 40])
def test_the_static_prefill_keeps_the_logits_of_a_prefix_spanning_chunks(loaded, chunk):
    """A branch's prefix info needs the last K+1 positions' logits, however the prompt was chunked."""
    from playground.engine.static import RingKVCache, prefill_forward

    model = loaded.model
    ids = torch.randint(40, 600, (1, 40), generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        reference = model(ids).logits[0]
        cache = RingKVCache.allocate(model.config, 1, model.config.sliding_window, torch.float32, torch.device("cpu"))
        kept = prefill_forward(model, cache, ids, chunk_size=chunk, keep=25)
    assert kept.shape == (25, reference.shape[-1])
    assert torch.allclose(kept, reference[-25:], atol=1e-4)
