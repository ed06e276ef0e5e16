"""What the front-ends share about per-token probabilities: whether the playground asks for
them by default, how a probability is banded for colouring, and how a branch is asked for."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from playground.engine.types import GenerationRequest, LiveChange, TokenInfo
from playground.errors import UserError
from playground.params import SamplingParams
from playground.sessions.records import RunRecord

#: The one place the playground's default lives (the REPL's ``/probs``; the TUI's heatmap).
#: The rule: on by default only if computing them costs at most 5 % of decode time on a GPU.
#: The compiled (GPU) step computes them whatever this says, so on costs only the host's
#: share; measured on a CPU so far (benchmarks/probabilities.py, README "Token probabilities").
PROBABILITIES_BY_DEFAULT = True
#: Alternatives per token the playground asks for when probabilities are on.
PLAYGROUND_ALTERNATIVES = 10
#: Lower bounds of the probability bands, most likely first: a token whose probability is at
#: least BANDS[i] (and below BANDS[i - 1]) is in band i; the last band is below BANDS[-1].
BANDS = (0.9, 0.5, 0.2, 0.05)
BAND_NAMES = ("≥ 90 %", "50-90 %", "20-50 %", "5-20 %", "< 5 %")


def probability(info: TokenInfo) -> float:
    """The token's probability under the model's raw distribution."""
    return math.exp(info.logprob)


def band(info: TokenInfo) -> int:
    """0 (very likely) .. len(BANDS) (unlikely: stands out)."""
    p = probability(info)
    return next((index for index, low in enumerate(BANDS) if p >= low), len(BANDS))


def rank_text(info: TokenInfo) -> str:
    """The token's rank; ``≥ N`` where it is only a lower bound (past a server's alternatives)."""
    return f"≥ {info.rank}" if info.partial and info.rank > len(info.top) else str(info.rank)


def entropy_text(info: TokenInfo) -> str:
    """The raw distribution's entropy in nats; ``≥`` when summed over a server's alternatives only."""
    return f"{'≥ ' if info.partial else ''}{info.entropy:.2f} nats"


def is_whole_number(text: str) -> bool:
    """ASCII digits only (``str.isdigit`` also accepts ``²``, which ``int`` then refuses), and
    few enough for ``int`` (it refuses a string of over 4,300 digits)."""
    return text.isascii() and text.isdigit() and len(text) <= 18


def resolve_alternative(info: TokenInfo, choice: str) -> int:
    """The token id ALT names at a token: ``N`` the N-th of its listed alternatives (1 = the
    most likely), ``id:N`` token id N (any token of the vocabulary)."""
    text = choice.strip()
    if text.startswith("id:") and is_whole_number(text[3:]):
        return int(text[3:])
    if is_whole_number(text) and 1 <= int(text) <= len(info.top):
        return info.top[int(text) - 1].token_id
    raise UserError(f"no alternative {choice!r} at this token: give 1..{len(info.top)} (its place in the list) "
                    "or id:N (a token id)")


def branch_request(run: RunRecord, response: int, at: int, token: int, alternatives: int | None) -> GenerationRequest:
    """A new run of ``run``'s prompt that starts with response ``response``'s first ``at``
    tokens and then takes ``token``: one response, with the parameters that response had in
    force at token ``at`` (live changes made up to there included) and its seed, probabilities
    on (``alternatives`` each) when given."""
    if not 0 <= response < len(run.responses):
        raise UserError(f"no response {response + 1} in that run: it has {len(run.responses)}")
    source = run.responses[response]
    check_token_index(at, len(source.token_ids), response)
    limit = run_params_at(run, response, at).max_new_tokens  # counts the given tokens: at least one to draw
    params = run_params_at(run, response, at).replace(seed=source.seed, num_responses=1,
                                   max_new_tokens=None if limit is None else max(limit, at + 1))
    return GenerationRequest(run.prompt, params, suffix=run.suffix, logprobs=alternatives,
                             prefix_tokens=tuple(source.token_ids[:at]), forced_token=token)


def check_token_index(at: int, tokens: int, response: int) -> None:
    """One line when a response of ``tokens`` tokens has no token ``at``."""
    if not tokens:
        raise UserError(f"response {response + 1} has no tokens to branch from (it was stopped before its first)")
    if not 0 <= at < tokens:
        raise UserError(f"no token {at} in response {response + 1}: give 0..{tokens - 1}")


def params_at(base: SamplingParams, changes: Iterable[LiveChange], row: int, token: int) -> SamplingParams:
    """The parameters row ``row`` drew token ``token`` with: ``base`` and every live change made
    to that row before it (a change at ``at_token`` applies from that token on)."""
    params = base
    for change in changes:
        if change.row == row and change.at_token <= token:
            params = params.replace(**{change.name: change.value})
    return params


def run_params_at(run: RunRecord, response: int, at: int) -> SamplingParams:
    """Response ``response``'s parameters when token ``at`` was drawn: its column's (or the
    run's) with the live changes that had taken effect by then."""
    base = run.columns[response] if run.columns is not None else run.params
    return params_at(base, run.live_changes, response, at)


def infos_of(run: RunRecord | None, response: int) -> Sequence[TokenInfo]:
    """The probabilities a run recorded for one response (one line naming the fix when none)."""
    if run is None:
        raise UserError("no run yet: generate first")
    if not 0 <= response < len(run.responses):
        raise UserError(f"no response {response + 1} in the last run: it has {len(run.responses)}")
    recorded = run.responses[response].probabilities
    if recorded is None:
        raise UserError("the last run has no probabilities: /probs on, then generate")
    return recorded
