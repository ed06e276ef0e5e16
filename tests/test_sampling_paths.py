"""Every decode path (eager, static, compiled), one row and two, samples from the law on a
tiny random StarCoder2 with the real vocabulary size: each token is checked, teacher-forced,
against transformers' processors over the model's own logits for the same prefix."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from playground.engine.engine import Engine
from playground.engine.types import GenerationRequest
from playground.params import SamplingParams
from tests.conftest import TINY_CONFIG
from tests.sampling_reference import VOCAB, LawCheck, one_thread, reference_law

pytestmark = pytest.mark.usefixtures(one_thread.__name__)

PROMPT = "def fibonacci(n):\n    a, b = 0, 1\n"
CARD = SamplingParams.make(temperature=0.7, top_p=0.9, seed=5)
MIXED = SamplingParams.make(temperature=1.1, top_k=50, top_p=0.95, min_p=0.02, repetition_penalty=1.2,
                            presence_penalty=0.3, frequency_penalty=0.2, seed=6)


@pytest.fixture(scope="module")
def vocab_model(tmp_path_factory: pytest.TempPathFactory):
    from playground.engine.demo import build_model_dir
    from playground.engine.loading import load_model
    from playground.engine.options import LoadOptions

    path: Path = build_model_dir(tmp_path_factory.mktemp("models") / "vocab", vocab_size=VOCAB, **TINY_CONFIG)
    loaded = load_model(LoadOptions(model=str(path), device="cpu"))
    assert loaded.model.lm_head.out_features == VOCAB
    return loaded


def generate(engine: Engine, rows: tuple[SamplingParams, ...], tokens: int) -> list[list[int]]:
    columns = tuple(p.replace(max_new_tokens=tokens) for p in rows)
    request = GenerationRequest(PROMPT, columns[0], columns=columns if len(columns) > 1 else None)
    return [r.token_ids for r in engine.generate(request).responses]


def check_teacher_forced(loaded, rows: tuple[SamplingParams, ...], responses: list[list[int]], check: LawCheck) -> None:
    """Each token against the reference law over the model's logits for its prefix."""
    prompt = loaded.tokenizer(PROMPT, add_special_tokens=False).input_ids
    for params, tokens in zip(rows, responses, strict=True):
        with torch.inference_mode():
            logits = loaded.model(torch.tensor([prompt + tokens])).logits[0, len(prompt) - 1:]
        for step, token in enumerate(tokens):
            generated = tokens[:step]
            check.add(reference_law(logits[step], params, prompt + generated, generated), token)


@pytest.fixture(scope="module")
def eager_draws(vocab_model):
    engine = Engine(vocab_model, decode="eager")
    return {(CARD,): generate(engine, (CARD,), 90), (CARD, MIXED): generate(engine, (CARD, MIXED), 90)}


def test_eager_path_follows_the_law_with_one_and_two_rows(vocab_model, eager_draws):
    check = LawCheck()
    for rows, responses in eager_draws.items():
        check_teacher_forced(vocab_model, rows, responses, check)
    assert len(check.pit) >= 240
    check.assert_fits()
    # a row's draws do not depend on the row beside it
    assert eager_draws[(CARD, MIXED)][0] == eager_draws[(CARD,)][0]


def test_static_path_draws_the_eager_paths_tokens(vocab_model, eager_draws):
    static = Engine(vocab_model, decode="static")
    for rows in eager_draws:
        assert generate(static, rows, 40) == [tokens[:40] for tokens in eager_draws[rows]]


def test_compiled_step_draws_the_eager_paths_tokens(vocab_model, eager_draws):
    """One graph for the step, traced whole (fullgraph), two rows with different parameters.
    AOT-eager: Inductor takes minutes to compile a 49,152-wide step on a CPU (test_static_decode
    compiles the step with Inductor and checks that no slider move recompiles it)."""
    compiled = Engine(vocab_model, decode="compiled", compile_options={"backend": "aot_eager"})
    rows = (CARD, MIXED)
    assert generate(compiled, rows, 12) == [tokens[:12] for tokens in eager_draws[rows]]
