"""Run records for store tests that need no engine: small, valid, and distinguishable by seed."""

from __future__ import annotations

from playground.engine.types import LiveChange, Timings
from playground.params import SamplingParams
from playground.sessions.records import ModelRecord, ResponseRecord, RunRecord, new_id


def make_run(seed: int = 1, model: str = "bigcode/starcoder2-15b", prompt: str = "def f():\n",
             text: str = "    return 1\n", tokens: int = 5, started_at: str = "2026-11-25T10:00:00+00:00") -> RunRecord:
    params = SamplingParams(seed=seed, max_new_tokens=tokens)
    ids = list(range(100, 100 + tokens))
    response = ResponseRecord(0, text, ids, "length", seed, params.replace(temperature=0.0))
    model_record = ModelRecord(model, "main", "bfloat16", "none", "cuda")
    return RunRecord(new_id(), started_at, model_record, prompt, None, params, None, 4, (response,),
                     (LiveChange(0, 2, "temperature", 0.0),), Timings(1.0, 0.1, 20.0, 0.5))
