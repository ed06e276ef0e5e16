"""What goes into and comes out of a generation. Plain data: no torch, no UI."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, TypeAlias

from playground.params import SamplingParams

FinishReason = Literal["eos_token", "stop_sequence", "length", "cancelled"]
#: The most alternatives a token's information carries (``GenerationRequest.logprobs``).
MOST_ALTERNATIVES = 20


@dataclass(frozen=True)
class LiveChange:
    """A parameter change applied mid-generation: from token ``at_token`` of ``row`` on."""

    row: int
    at_token: int
    name: str
    value: Any


@dataclass(frozen=True)
class GenerationRequest:
    """A prompt (the prefix, in FIM mode) and the parameters to complete it with.

    ``columns`` gives each response row its own parameters (an unlinked A/B comparison);
    None means every row uses ``params`` and draws its own sample. ``scheduled`` replays
    recorded live changes at the tokens where they happened.
    """

    prompt: str
    params: SamplingParams = field(default_factory=SamplingParams)
    suffix: str | None = None
    columns: tuple[SamplingParams, ...] | None = None
    scheduled: tuple[LiveChange, ...] = ()
    #: Per-token probabilities: None off (costless); N in 0..20 on, with N alternatives each.
    logprobs: int | None = None
    #: A branch: every row starts as if it had already generated these tokens (penalty counts,
    #: detokenizer, stop matcher and noise step primed with them), then, when
    #: ``forced_token`` is set, takes that token next instead of drawing one.
    prefix_tokens: tuple[int, ...] = ()
    forced_token: int | None = None

    @property
    def is_fim(self) -> bool:
        return self.suffix is not None

    def row_params(self) -> tuple[SamplingParams, ...]:
        if self.columns is not None:
            return self.columns
        return (self.params,) * self.params.num_responses


@dataclass(frozen=True)
class Alternative:
    """A token the model could have written instead, with its raw log-probability."""

    token_id: int
    logprob: float
    #: The token's own text (a character split across tokens shows as U+FFFD).
    text: str = ""


@dataclass(frozen=True)
class TokenInfo:
    """What the model thought of one generated token, computed on the device in its step.

    ``logprob``, ``entropy`` (nats), ``rank`` (1 = the most likely) and ``top`` are under the
    model's raw distribution (log_softmax of the raw logits); ``sampled_logprob`` is under the
    distribution the token was drawn from (penalties, temperature, top_k, top_p, min_p
    applied), None for a greedy row, which draws nothing."""

    logprob: float
    sampled_logprob: float | None
    entropy: float
    rank: int
    top: tuple[Alternative, ...] = ()
    #: The token's own text, as ``Alternative.text``.
    text: str = ""
    #: Only ``top``'s probabilities were known, not the whole distribution's (a server returns
    #: its N alternatives): the entropy, and a rank past ``len(top)``, are then lower bounds.
    partial: bool = False

    def to_json(self, token_id: int) -> dict[str, Any]:
        """The ``--json`` form of one token (see the README's "Token probabilities")."""
        return {"token_id": token_id, "text": self.text, "logprob": self.logprob,
                "sampled_logprob": self.sampled_logprob, "rank": self.rank, "entropy": self.entropy,
                "top": [{"token_id": a.token_id, "text": a.text, "logprob": a.logprob} for a in self.top],
                # Said only where true, so an in-process run's JSON is as before.
                **({"partial": True} if self.partial else {})}


@dataclass(frozen=True)
class TokenEvent:
    """One generated token of one row, with the text it made certain (may be empty) and, when
    the request asked for probabilities, what the model thought of it."""

    row: int
    token_id: int
    text: str
    info: TokenInfo | None = None


@dataclass(frozen=True)
class RowFinished:
    """Row ``row`` is done; no event for it follows. ``text`` is what its end released that
    belongs to no token of its own: the held-back tail of a cancelled row (else empty)."""

    row: int
    reason: FinishReason
    text: str = ""


StreamEvent: TypeAlias = TokenEvent | RowFinished
#: Called by the engine once per decode step with that step's events, in the engine's thread.
EventSink: TypeAlias = Callable[[list[StreamEvent]], None]


@dataclass
class ResponseResult:
    index: int
    text: str
    token_ids: list[int]
    finish_reason: FinishReason
    seed: int
    #: The row's parameters as they ended (live changes applied).
    params: SamplingParams
    #: One entry per token in ``token_ids`` when the request asked for probabilities.
    logprobs: list[TokenInfo] | None = None
    #: With a response format: whether the response is a whole instance of it (None: text).
    format_complete: bool | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"index": self.index, "text": self.text, "token_ids": self.token_ids,
                                "finish_reason": self.finish_reason, "seed": self.seed}
        if self.logprobs is not None:
            data["logprobs"] = [info.to_json(token) for token, info in zip(self.token_ids, self.logprobs)]
        if self.format_complete is not None:
            data["format_complete"] = self.format_complete
        return data


@dataclass
class Timings:
    """Seconds and rates of one generation.

    ``ttft_s`` (prompt in to first token out) and ``decode_tokens_per_s`` (tokens after the
    first, per second) leave out ``compile_s``, the time this generation spent compiling its
    decode step first (0 once compiled); ``total_s`` is the whole call, compiling included."""

    load_s: float
    ttft_s: float
    decode_tokens_per_s: float
    total_s: float
    compile_s: float = 0.0


@dataclass
class GenerationResult:
    """A finished generation. ``params`` are the request's, with the seed that was drawn (or
    given) and ``max_new_tokens`` resolved to a number; ``columns`` are the unlinked columns'
    parameters, None when the rows were linked."""

    model: str
    prompt_tokens: int
    params: SamplingParams
    responses: list[ResponseResult]
    timings: Timings
    columns: tuple[SamplingParams, ...] | None = None
    live_changes: list[LiveChange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def seed(self) -> int:
        """The run's base seed: always set on a result."""
        if self.params.seed is None:
            raise ValueError("a generation result always carries the seed it used")
        return self.params.seed

    def params_json(self) -> dict[str, Any]:
        """The parameters as JSON: the columns' own, when unlinked, under ``columns``."""
        data = self.params.to_dict()
        if self.columns is not None:
            data["columns"] = [column.to_dict() for column in self.columns]
        return data

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "prompt_tokens": self.prompt_tokens,
            "params": self.params_json(),
            "responses": [r.to_json() for r in self.responses],
            "timings": asdict(self.timings),
        }
