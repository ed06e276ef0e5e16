"""A response's per-token probabilities in a session file: parallel arrays, compact.

    "probabilities": {"alternatives": N, "logprob": [...], "sampled_logprob": [... null ...],
                      "entropy": [...], "rank": [...], "top_ids": [[N ids], ...],
                      "top_logprobs": [[N values], ...], "texts": {"id": "text", ...}}

One entry per token of the response; numbers rounded to 5 significant digits (a relative
error below 5e-5, far below what a probability on screen shows); ``texts`` holds each token
id's own text once, so a reopened session shows the alternatives without loading the model.
A null logprob stands for -inf; a null sampled_logprob for a token that was not drawn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from playground.engine.types import MOST_ALTERNATIVES, Alternative, TokenInfo
from playground.sessions import checks
from playground.sessions.checks import Invalid

SIGNIFICANT_DIGITS = 5
TOKEN_ID_LIMIT = 2**31 - 1
_NUMBER_FIELDS = ("logprob", "sampled_logprob", "entropy")


def rounded(value: float | None) -> float | None:
    """``value`` to SIGNIFICANT_DIGITS; None for None and anything not finite."""
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}")


def to_json(token_ids: Sequence[int], infos: Sequence[TokenInfo]) -> dict[str, Any]:
    texts = {str(a.token_id): a.text for info in infos for a in info.top}
    texts.update({str(token): info.text for token, info in zip(token_ids, infos)})
    return {"alternatives": len(infos[0].top) if infos else 0,
            "logprob": [rounded(i.logprob) for i in infos],
            "sampled_logprob": [rounded(i.sampled_logprob) for i in infos],
            "entropy": [rounded(i.entropy) for i in infos], "rank": [i.rank for i in infos],
            "top_ids": [[a.token_id for a in i.top] for i in infos],
            "top_logprobs": [[rounded(a.logprob) for a in i.top] for i in infos], "texts": texts,
            # A server's: ranks past the alternatives and entropies are lower bounds (TokenInfo.partial).
            **({"partial": True} if any(i.partial for i in infos) else {})}


def read(value: Any, where: str, token_ids: Sequence[int]) -> tuple[TokenInfo, ...]:
    """The probabilities of a response whose tokens are ``token_ids``; Invalid names a bad field."""
    data = checks.obj(value, where)
    count = checks.integer(data, "alternatives", where, 0, MOST_ALTERNATIVES)
    columns = {key: _array(data, key, where, len(token_ids)) for key in (*_NUMBER_FIELDS, "rank", "top_ids",
                                                                          "top_logprobs")}
    texts = data.get("texts", {})
    partial = data.get("partial", False)
    if not isinstance(partial, bool):
        raise Invalid(f"{checks.join(where, 'partial')} must be true or false")
    if not isinstance(texts, dict) or not all(isinstance(t, str) for t in texts.values()):
        raise Invalid(f"{checks.join(where, 'texts')} must map token ids to text")
    infos = []
    for index, token in enumerate(token_ids):
        place = f"{where}[{index}]"
        ids = _row(columns["top_ids"][index], f"{place}.top_ids", count)
        values = _row(columns["top_logprobs"][index], f"{place}.top_logprobs", count)
        top = tuple(Alternative(checks.whole(i, f"{place}.top_ids", 0, TOKEN_ID_LIMIT),
                                _logprob(v, f"{place}.top_logprobs", -math.inf), texts.get(str(i), ""))
                    for i, v in zip(ids, values))
        infos.append(TokenInfo(logprob=_logprob(columns["logprob"][index], f"{place}.logprob", -math.inf),
                               sampled_logprob=_logprob(columns["sampled_logprob"][index],
                                                       f"{place}.sampled_logprob", None),
                               entropy=_number(columns["entropy"][index], f"{place}.entropy", 0.0, 0.0),
                               rank=checks.whole(columns["rank"][index], f"{place}.rank", 1, TOKEN_ID_LIMIT),
                               top=top, text=texts.get(str(token), ""), partial=partial))
    return tuple(infos)


#: How far a replayed log-probability may lie from the saved one and still count as the same:
#: the saving's rounding (5 significant digits) plus kernels that sum in another order.
REPLAY_TOLERANCE = 1e-3


def first_difference(saved: Sequence[TokenInfo], now: Sequence[TokenInfo]) -> int | None:
    """The first token whose raw or sampled log-probability differs beyond REPLAY_TOLERANCE
    (relative to the larger of 1 and the value), or that was drawn in one and not the other."""
    def near(a: float | None, b: float | None) -> bool:
        if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)):
            return a == b
        return abs(a - b) <= REPLAY_TOLERANCE * max(1.0, abs(b))

    for index, (old, new) in enumerate(zip(saved, now)):
        if not (near(old.logprob, new.logprob) and near(old.sampled_logprob, new.sampled_logprob)):
            return index
    return None


def _array(data: dict[str, Any], key: str, where: str, length: int) -> list[Any]:
    values = checks.array(data, key, where) or []
    if len(values) != length:
        raise Invalid(f"{checks.join(where, key)} must hold one entry per token ({length}, got {len(values)})")
    return values


def _row(value: Any, where: str, count: int) -> list[Any]:
    if not isinstance(value, list) or len(value) != count:
        raise Invalid(f"{where} must be an array of {count} (got {checks.kind(value)})")
    return value


def _number(value: Any, where: str, null: float | None, least: float = -math.inf) -> Any:
    if value is None:
        return null
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise Invalid(f"{where} must be a number or null (got {value!r})")
    if value < least:
        raise Invalid(f"{where} must be at least {least:g} (got {value!r})")
    return float(value)


def _logprob(value: Any, where: str, null: float | None) -> Any:
    """A log-probability: at most 0 (a larger one is no probability, and exp() of it overflows)."""
    number = _number(value, where, null)
    if number is not None and number > 0:
        raise Invalid(f"{where} must be a log-probability, 0 or below (got {value!r})")
    return number
