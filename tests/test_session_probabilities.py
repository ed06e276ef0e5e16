"""Sessions keep each token's probabilities (compactly) and a branch's parent and branch point;
a replay checks the probabilities too; files without them still load."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest

from playground.engine.types import GenerationRequest
from playground.params import SamplingParams
from playground.runtime.describe import replay_verdict
from playground.sessions.checks import Invalid
from playground.sessions.records import ModelRecord, RunRecord
from playground.sessions.session import Session, parse_session
from playground.sessions.store import SessionStore
from tests.session_records import make_run

PROMPT = "def fibonacci(n):\n    a, b = 0, 1\n"
PARAMS = SamplingParams.make(temperature=0.9, top_k=40, seed=4, max_new_tokens=14, num_responses=2)


def record(engine, request: GenerationRequest, parent: str | None = None) -> tuple[RunRecord, object]:
    result = engine.generate(request)
    run = RunRecord.from_result(request, result, "2026-11-26T00:00:00+00:00", ModelRecord.from_engine(engine),
                                parent=parent)
    return run, result


def reopened(run: RunRecord) -> RunRecord:
    store = SessionStore()
    store.save(Session(prompt=PROMPT, runs=[run]), run.id)
    [again] = store.open(run.id).runs
    return again


def test_probabilities_and_the_branch_survive_a_save_within_five_digits(engine):
    parent, _ = record(engine, GenerationRequest(PROMPT, PARAMS, logprobs=4))
    tokens = parent.responses[0].token_ids
    branch, _ = record(engine, GenerationRequest(PROMPT, PARAMS, logprobs=4, prefix_tokens=tuple(tokens[:5]),
                                                 forced_token=tokens[5] + 1), parent=parent.id)
    for run in (parent, branch):
        again = reopened(run)
        assert (again.parent, again.branch_point, again.forced_token) == (run.parent, run.branch_point,
                                                                          run.forced_token)
        for saved, loaded in zip(run.responses, again.responses, strict=True):
            assert saved.probabilities is not None and loaded.probabilities is not None
            for old, new in zip(saved.probabilities, loaded.probabilities, strict=True):
                assert new.logprob == pytest.approx(old.logprob, rel=5e-5)
                assert new.entropy == pytest.approx(old.entropy, rel=5e-5)
                assert (new.rank, new.text) == (old.rank, old.text)
                assert (new.sampled_logprob is None) == (old.sampled_logprob is None)
                assert [(a.token_id, a.text) for a in new.top] == [(a.token_id, a.text) for a in old.top]
    assert (branch.parent, branch.branch_point, branch.forced_token) == (parent.id, 5, tokens[5] + 1)
    assert all(info.sampled_logprob is None for info in branch.responses[0].probabilities[:6])


def test_a_branch_replays_to_the_same_tokens_and_probabilities(engine):
    parent, _ = record(engine, GenerationRequest(PROMPT, PARAMS, logprobs=2))
    branch, result = record(engine, GenerationRequest(PROMPT, PARAMS, logprobs=2,
                                                      prefix_tokens=tuple(parent.responses[1].token_ids[:7])),
                            parent=parent.id)
    saved = reopened(branch)
    request = saved.replay_request()
    assert (request.logprobs, request.prefix_tokens) == (2, tuple(parent.responses[1].token_ids[:7]))
    again = engine.generate(request)
    verdict = replay_verdict(saved.responses, again)
    assert verdict.startswith("✓") and "probabilities within 0.001" in verdict
    first = saved.responses[0].probabilities
    assert first is not None
    moved = replace(first[3], logprob=first[3].logprob - 0.5)
    tampered = (replace(saved.responses[0], probabilities=first[:3] + (moved,) + first[4:]), *saved.responses[1:])
    verdict = replay_verdict(tampered, again)
    assert verdict.startswith("✗ replay gave the same tokens, but token 3 of response 1")


def test_files_without_probabilities_or_branches_still_load():
    run = make_run()
    data = json.loads(Session(prompt=PROMPT, runs=[run]).dumps())
    assert "probabilities" not in data["runs"][0]["responses"][0] and "branch_point" not in data["runs"][0]
    [again] = parse_session(data).runs
    assert again == run and again.replay_request().prefix_tokens == () and again.replay_request().logprobs is None


@pytest.mark.parametrize(("change", "message"), [
    (lambda p: p.update(logprob=p["logprob"][:-1]), "logprob must hold one entry per token"),
    (lambda p: p["top_ids"].__setitem__(0, [1]), "top_ids must be an array of 2"),
    (lambda p: p["entropy"].__setitem__(1, "high"), "entropy must be a number or null"),
    (lambda p: p["rank"].__setitem__(0, 0), "rank must be between 1"),
    (lambda p: p["logprob"].__setitem__(0, 1e300), r"logprob must be a log-probability, 0 or below"),
    (lambda p: p["sampled_logprob"].__setitem__(0, 0.5), r"sampled_logprob must be a log-probability"),
    (lambda p: p["top_logprobs"][0].__setitem__(1, 800), r"top_logprobs must be a log-probability"),
    (lambda p: p["entropy"].__setitem__(0, -1), "entropy must be at least 0"),
    (lambda p: p["logprob"].__setitem__(0, "NaN"), "logprob must be a number or null"),
    (lambda p: p["logprob"].__setitem__(0, math.inf), "logprob must be a number or null"),
    (lambda p: p["top_ids"].__setitem__(0, [1, 2, 3]), "top_ids must be an array of 2"),
    (lambda p: p["rank"].__setitem__(0, -3), "rank must be between 1"),
    (lambda p: p.update(alternatives=21), "alternatives must be between 0 and 20"),
    (lambda p: p.update(partial="yes"), "partial must be true or false"),
])
def test_a_broken_probabilities_field_is_named(engine, change, message):
    run, _ = record(engine, GenerationRequest(PROMPT, PARAMS.replace(num_responses=1), logprobs=2))
    data = json.loads(Session(prompt=PROMPT, runs=[run]).dumps())
    change(data["runs"][0]["responses"][0]["probabilities"])
    with pytest.raises(Invalid, match=message):
        parse_session(data)


def test_the_file_holds_rounded_parallel_arrays(engine):
    run, _ = record(engine, GenerationRequest(PROMPT, PARAMS.replace(num_responses=1), logprobs=3))
    saved = json.loads(Session(prompt=PROMPT, runs=[run]).dumps())["runs"][0]["responses"][0]["probabilities"]
    assert saved["alternatives"] == 3 and len(saved["logprob"]) == len(run.responses[0].token_ids)
    assert all(len(f"{abs(v):.10g}".replace(".", "").lstrip("0").rstrip("0")) <= 5 for v in saved["logprob"])
    assert all(math.isfinite(v) for row in saved["top_logprobs"] for v in row)


def test_a_servers_partial_probabilities_stay_lower_bounds_after_a_save(engine):
    """A server returns only its N alternatives: ranks past them and entropies are lower bounds
    (TokenInfo.partial), on screen as ``≥``, and after a session is reopened too; an in-process
    run's file has no such key."""
    run, _ = record(engine, GenerationRequest(PROMPT, PARAMS.replace(num_responses=1), logprobs=2))
    assert "partial" not in json.loads(Session(prompt=PROMPT, runs=[run]).dumps())["runs"][0]["responses"][0][
        "probabilities"]
    infos = [replace(info, partial=True) for info in run.responses[0].probabilities]
    again = reopened(replace(run, responses=[replace(run.responses[0], probabilities=infos)])).responses[0]
    assert again.probabilities is not None and all(info.partial for info in again.probabilities)
