"""Our parameters as a vLLM ``/v1/completions`` body, and its answers back in our types.

Pure functions on plain data: everything vLLM-specific about the request and the answer is
here, so the rest of the client reads like the in-process engine.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from playground.engine.types import Alternative, FinishReason, TokenInfo
from playground.errors import UserError
from playground.params import SamplingParams

#: vLLM's answer to ``logprobs``: at most this many alternatives per token (its default cap).
MAX_LOGPROBS = 20
_TOKEN_ID_PREFIX = "token_id:"
#: Token ids the client takes from a server: no vocabulary comes near it, and ids past it would
#: not fit the tensors a saved run is replayed into (or the local tokenizer's decode).
MAX_TOKEN_ID = 2**31 - 1
#: A log-probability a little over 0 is the float rounding of a near-certain token.
_ROUNDING = 1e-3


def completion_body(model: str, prompt_ids: Sequence[int], params: SamplingParams, *, seed: int, max_tokens: int,
                    end_ids: Sequence[int] = (), logprobs: int | None = None,
                    response_format: Mapping[str, Any] | None = None, echo: bool = False) -> dict[str, Any]:
    """One row's streamed request: the prompt as token ids (what was counted is what runs, and
    a continuation after a live change or a branch carries the tokens so far exactly), every
    sampling parameter, and the end tokens besides end-of-text (FIM's file separator).
    ``echo`` (with ``logprobs``) has the first chunk carry the prompt's tokens' probabilities
    too: a branch's given tokens take theirs from it (``split_echo``)."""
    body: dict[str, Any] = {
        "model": model, "prompt": list(prompt_ids), "stream": True, "max_tokens": max_tokens,
        "temperature": params.temperature, "top_p": params.top_p, "top_k": params.top_k, "min_p": params.min_p,
        "repetition_penalty": params.repetition_penalty, "presence_penalty": params.presence_penalty,
        "frequency_penalty": params.frequency_penalty, "seed": seed, "stop": list(params.stop),
        "stop_token_ids": list(end_ids), "n": 1,
        # The text as the in-process engine writes it: special tokens shown, no spaces added.
        "skip_special_tokens": False, "spaces_between_special_tokens": False,
        "return_token_ids": True,
    }
    if logprobs is not None:
        body["logprobs"] = min(max(logprobs, 0), MAX_LOGPROBS)
        body["return_tokens_as_token_ids"] = True  # alternatives by id: a text can be several tokens
        if echo:
            body["echo"] = True
    outputs = structured_outputs(response_format)
    if outputs is not None:
        body["structured_outputs"] = outputs
    return body


def structured_outputs(response_format: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A response format (``{"type": "text"|"json"|"json_schema"|"regex"|"grammar", "value": …}``,
    as issue 15 records it) as vLLM's ``structured_outputs``; None for plain text. Whether JSON
    may hold free whitespace is the server's setting, not the request's: started with
    ``--structured-outputs-config '{"backend": "xgrammar", "disable_any_whitespace": true}'`` it
    writes compact JSON, so a bounded schema always completes (README)."""
    if not response_format or response_format.get("type", "text") == "text":
        return None
    kind, value = response_format.get("type"), response_format.get("value")
    if kind == "json":
        return {"json_object": True}
    if kind == "json_schema":
        return {"json": value}
    if kind == "regex":
        return {"regex": value}
    if kind == "grammar":
        return {"grammar": value}
    raise UserError(f"response format {kind!r} is not one a server takes: use text, json, json_schema, regex "
                    "or grammar")


def finish_reason(choice: Mapping[str, Any]) -> FinishReason | None:
    """vLLM's ``finish_reason``/``stop_reason`` in our words: a stop string is ``stop_sequence``;
    end-of-text or another end token (``stop_reason`` an id or null) is ``eos_token``; a request
    the server aborted reads as cancelled. None while the row goes on."""
    reason = choice.get("finish_reason")
    if reason is None:
        return None
    if reason == "length":
        return "length"
    if reason == "stop":
        return "stop_sequence" if isinstance(choice.get("stop_reason"), str) else "eos_token"
    return "cancelled"


def token_infos(logprobs: Mapping[str, Any] | None, token_ids: Sequence[int], alternatives: int,
                text_of: Any = None, chunk_text: str = "") -> list[TokenInfo | None]:
    """Each token's ``TokenInfo`` from a chunk's ``logprobs`` (requested with
    ``return_tokens_as_token_ids``). vLLM returns the raw log-probabilities of the token and of
    the top ``alternatives``, not the whole distribution, so ``entropy`` is summed over the
    returned tokens only (a lower bound), ``rank`` is exact within the top alternatives and a
    lower bound (their count + 1) beyond, and ``sampled_logprob`` is None (vLLM reports one
    kind of value per server: see ``--logprobs-mode``). Texts come from ``text_of`` (each
    token's own, as ``TokenPieces`` knows it); where it knows none, a token's own text is its
    chunk's text when the chunk carries that one token (vLLM streams a token per chunk unless
    the client falls behind), else empty."""
    if not logprobs:
        return [None] * len(token_ids)
    values = logprobs.get("token_logprobs") or []
    tops = logprobs.get("top_logprobs") or []
    infos: list[TokenInfo | None] = []
    for index, token_id in enumerate(token_ids):
        value = values[index] if index < len(values) else None
        if value is None:
            infos.append(None)
            continue
        value = _logprob(value)
        top = tops[index] if index < len(tops) and tops[index] else {}
        ranked = sorted(((_token_id(key), _logprob(lp)) for key, lp in top.items()), key=lambda pair: -pair[1])
        own_text = (text_of(token_id) if text_of else "") or (chunk_text if len(token_ids) == 1 else "")
        infos.append(TokenInfo(
            logprob=value, sampled_logprob=None,
            entropy=-sum(math.exp(lp) * lp for _, lp in ranked if lp > -math.inf),
            rank=1 + sum(1 for other, lp in ranked if lp > value and other != token_id),
            top=tuple(Alternative(other, lp, (own_text if other == token_id else "")
                                  or (text_of(other) if text_of else ""))
                      for other, lp in ranked[:alternatives]),
            text=own_text, partial=True,
        ))
    return infos


def _logprob(value: Any) -> float:
    """A log-probability as the server sent it: a number at most 0 (-inf allowed); ``ValueError``
    for NaN, a positive one (float rounding aside) or a string, which no distribution gives."""
    if isinstance(value, (bool, str)) or not isinstance(value, (int, float)):
        raise ValueError(f"{value!r} is not a log-probability")
    if math.isnan(value) or value > _ROUNDING:
        raise ValueError(f"{value!r} is not a log-probability")
    return min(float(value), 0.0)


def token_id(value: Any) -> int:
    """One token id as a server sends it: a non-negative integer (not a bool, a float or a
    string) that fits a tensor; ``ValueError`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TOKEN_ID:
        raise ValueError(f"{value!r} is not a token id")
    return value


def _token_id(key: Any) -> int:
    """A ``token_id:N`` key's id (a server that ignores ``return_tokens_as_token_ids`` names
    tokens by their text instead, which can be several tokens: not taken)."""
    if not isinstance(key, str) or not key.startswith(_TOKEN_ID_PREFIX) \
            or not key[len(_TOKEN_ID_PREFIX):].isascii() or not key[len(_TOKEN_ID_PREFIX):].isdigit():
        raise ValueError(f"{str(key)[:40]!r} names no token id (is return_tokens_as_token_ids supported?)")
    return token_id(int(key[len(_TOKEN_ID_PREFIX):]))


def logprob_ids(logprobs: Mapping[str, Any] | None) -> set[int]:
    """Every token id a chunk's ``logprobs`` names (its tokens and their alternatives)."""
    if not logprobs:
        return set()
    named = [key for top in logprobs.get("top_logprobs") or () if top for key in top]
    return {_token_id(key) for key in [*named, *(logprobs.get("tokens") or ())]}


def split_echo(logprobs: Mapping[str, Any] | None, prompt_length: int,
               last: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """An echoed chunk's ``logprobs`` (the prompt's ``prompt_length`` tokens', then the generated
    ones') as (the prompt's ``last`` tokens', the generated tokens')."""
    logprobs = logprobs or {}
    values, tops = logprobs.get("token_logprobs") or [], logprobs.get("top_logprobs") or []
    start = max(prompt_length - last, 0)
    return ({"token_logprobs": values[start:prompt_length], "top_logprobs": tops[start:prompt_length]},
            {"token_logprobs": values[prompt_length:], "top_logprobs": tops[prompt_length:]})
