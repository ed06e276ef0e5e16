"""What one run recorded: its model, parameters, responses, live changes and timings, typed.

Each run names its own model, revision, dtype/quantization and device, so a session whose runs
came from different models keeps every run's label. ``to_json``/``read`` are the schema's one
definition; ``read`` checks every field and raises ``Invalid`` naming it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from typing import Any, get_args

from playground import __version__
from playground.engine.types import FinishReason, GenerationRequest, GenerationResult, LiveChange, Timings, TokenInfo
from playground.params import LIVE_PARAMETERS, PARAMETERS, ParamError, SamplingParams, check_stop
from playground.sessions import checks, probabilities
from playground.sessions.checks import Invalid

FINISH_REASONS: tuple[str, ...] = get_args(FinishReason)
#: Two responses side by side is the most the engine decodes at once.
MOST_RESPONSES = 2
TOKEN_ID_LIMIT = 2**31 - 1


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def new_id() -> str:
    return uuid.uuid4().hex[:16]


def package_versions() -> dict[str, str]:
    versions = {"starcoder-play": __version__}
    for package in ("torch", "transformers"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


@dataclass(frozen=True)
class ModelRecord:
    """The model a run came from, as loaded."""

    id: str
    revision: str | None = None
    dtype: str | None = None
    quantize: str | None = None
    device: str | None = None

    @classmethod
    def from_engine(cls, engine: Any) -> ModelRecord:
        """What the engine has loaded (duck-typed: no torch import here)."""
        loaded = getattr(engine, "loaded", None)
        device = getattr(loaded, "device", None)
        dtype = getattr(loaded, "dtype", None)
        return cls(id=str(getattr(loaded, "name", None) or getattr(engine, "name", "?")),
                   revision=getattr(loaded, "revision", None),
                   dtype=None if dtype is None else str(dtype), quantize=getattr(loaded, "quantize", None),
                   device=None if device is None else str(getattr(device, "type", device)))

    @property
    def precision(self) -> str:
        return self.quantize if self.quantize not in (None, "none") else (self.dtype or "?")

    def describe(self) -> str:
        revision = f"@{self.revision}" if self.revision else ""
        return f"{self.id}{revision} ({self.device or '?'}, {self.precision})"

    @classmethod
    def read(cls, value: Any, where: str) -> ModelRecord:
        data = checks.obj(value, where)
        optional = {key: checks.text(data, key, where, optional=True, limit=checks.SHORT_TEXT)
                    for key in ("revision", "dtype", "quantize", "device")}
        return cls(id=checks.required_text(data, "id", where, limit=checks.SHORT_TEXT), **optional)


@dataclass(frozen=True)
class ResponseRecord:
    """One response of a run: its text, token ids, why it ended, its seed and final parameters."""

    index: int
    text: str
    token_ids: list[int]
    finish_reason: FinishReason
    seed: int
    params: SamplingParams
    #: One per token when the run asked for probabilities (``sessions.probabilities``).
    probabilities: tuple[TokenInfo, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        data = {"index": self.index, "text": self.text, "token_ids": list(self.token_ids),
                "finish_reason": self.finish_reason, "seed": self.seed, "params": self.params.to_dict()}
        if self.probabilities is not None:
            data["probabilities"] = probabilities.to_json(self.token_ids, self.probabilities)
        return data

    @classmethod
    def read(cls, value: Any, where: str) -> ResponseRecord:
        data = checks.obj(value, where)
        ids = checks.array(data, "token_ids", where) or []
        for position, token in enumerate(ids):
            checks.whole(token, f"{where}.token_ids[{position}]", 0, TOKEN_ID_LIMIT)
        reason = checks.required_text(data, "finish_reason", where)
        if reason not in FINISH_REASONS:
            raise Invalid(f"{where}.finish_reason must be one of {', '.join(FINISH_REASONS)} (got {reason!r})")
        return cls(index=checks.integer(data, "index", where, 0, MOST_RESPONSES - 1),
                   text=checks.required_text(data, "text", where), token_ids=list(ids),
                   finish_reason=reason,  # type: ignore[arg-type]
                   seed=checks.integer(data, "seed", where, 0, 2**63 - 1),
                   params=checks.params(data.get("params", {}), f"{where}.params"),
                   probabilities=None if data.get("probabilities") is None else
                   probabilities.read(data["probabilities"], f"{where}.probabilities", ids))


def read_live_change(value: Any, where: str, rows: int) -> LiveChange:
    data = checks.obj(value, where)
    name = checks.required_text(data, "name", where)
    if name not in (*LIVE_PARAMETERS, "stop"):
        raise Invalid(f"{where}.name must be a parameter that changes live (got {name!r})")
    try:
        checked = check_stop(checks.field(data, "value", where)) if name == "stop" else \
            PARAMETERS[name].check(checks.field(data, "value", where))
    except ParamError as error:
        raise Invalid(f"{where}.value: {error}") from None
    return LiveChange(row=checks.integer(data, "row", where, 0, rows - 1),
                      at_token=checks.integer(data, "at_token", where), name=name,
                      value=list(checked) if isinstance(checked, tuple) else checked)


def read_timings(value: Any, where: str) -> Timings:
    data = checks.obj(value, where)
    compile_s = checks.seconds(data, "compile_s", where) if "compile_s" in data else 0.0  # newer than schema 1
    return Timings(**{key: checks.seconds(data, key, where)
                      for key in ("load_s", "ttft_s", "decode_tokens_per_s", "total_s")}, compile_s=compile_s)


@dataclass(frozen=True)
class RunRecord:
    """One generation: exactly what went in (prompt, parameters, seed, model) and what came out."""

    id: str
    started_at: str
    model: ModelRecord
    prompt: str
    suffix: str | None
    params: SamplingParams
    columns: tuple[SamplingParams, ...] | None
    prompt_tokens: int
    responses: tuple[ResponseRecord, ...]
    live_changes: tuple[LiveChange, ...] = ()
    timings: Timings = field(default_factory=lambda: Timings(0.0, 0.0, 0.0, 0.0))
    versions: dict[str, str] = field(default_factory=package_versions)
    #: The id of the run this one replayed, if it was a replay.
    replay_of: str | None = None
    #: A branch: the run it branched from, the token index it branched at (its responses'
    #: first ``branch_point`` tokens are the parent's, given) and the token it took there.
    parent: str | None = None
    branch_point: int | None = None
    forced_token: int | None = None

    @classmethod
    def from_result(cls, request: GenerationRequest, result: GenerationResult, started_at: str,
                    model: ModelRecord, replay_of: str | None = None, parent: str | None = None) -> RunRecord:
        """``parent``: the run a branch (a request with prefix tokens or a forced token) came from."""
        responses = tuple(ResponseRecord(r.index, r.text, list(r.token_ids), r.finish_reason, r.seed, r.params,
                                         None if r.logprobs is None else tuple(r.logprobs))
                          for r in result.responses)
        branched = bool(request.prefix_tokens) or request.forced_token is not None
        return cls(id=new_id(), started_at=started_at, model=model, prompt=request.prompt, suffix=request.suffix,
                   params=result.params, columns=request.columns, prompt_tokens=result.prompt_tokens,
                   responses=responses, live_changes=tuple(result.live_changes), timings=result.timings,
                   replay_of=replay_of, parent=parent, branch_point=len(request.prefix_tokens) if branched else None,
                   forced_token=request.forced_token)

    def replay_request(self) -> GenerationRequest:
        """The same request, seed included, with its live changes scheduled at the same tokens."""
        columns = self.columns
        if columns is not None:  # unlinked columns drew their seeds as recorded
            columns = tuple(c.replace(seed=r.seed) for c, r in zip(columns, self.responses, strict=True))
        given = self.responses[0].token_ids[:self.branch_point or 0]
        return GenerationRequest(self.prompt, self.params, suffix=self.suffix, columns=columns,
                                 scheduled=self.live_changes, logprobs=self.alternatives,
                                 prefix_tokens=tuple(given), forced_token=self.forced_token)

    @property
    def alternatives(self) -> int | None:
        """The number of alternatives its responses recorded per token; None without probabilities."""
        recorded = self.responses[0].probabilities
        return None if recorded is None else max((len(info.top) for info in recorded), default=0)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "started_at": self.started_at, "replay_of": self.replay_of,
                "model": asdict(self.model), "versions": dict(self.versions), "prompt": self.prompt,
                "suffix": self.suffix, "params": self.params.to_dict(),
                "columns": None if self.columns is None else [c.to_dict() for c in self.columns],
                "prompt_tokens": self.prompt_tokens, "responses": [r.to_json() for r in self.responses],
                "live_changes": [asdict(c) for c in self.live_changes], "timings": asdict(self.timings),
                **({} if self.branch_point is None else {"parent": self.parent, "branch_point": self.branch_point,
                                                         "forced_token": self.forced_token})}

    @classmethod
    def read(cls, value: Any, where: str) -> RunRecord:
        data = checks.obj(value, where)
        return cls.read_fields(data, where, run_id=checks.required_text(data, "id", where, limit=64),
                               model=ModelRecord.read(checks.field(data, "model", where), f"{where}.model"),
                               versions=checks.string_table(data, "versions", where),
                               replay_of=checks.text(data, "replay_of", where, optional=True, limit=64),
                               parent=checks.text(data, "parent", where, optional=True, limit=64),
                               branch_point=None if data.get("branch_point") is None else
                               checks.integer(data, "branch_point", where),
                               forced_token=None if data.get("forced_token") is None else
                               checks.integer(data, "forced_token", where, 0, TOKEN_ID_LIMIT))

    @classmethod
    def read_fields(cls, data: dict[str, Any], where: str, *, run_id: str, model: ModelRecord,
                    versions: dict[str, str], replay_of: str | None = None, parent: str | None = None,
                    branch_point: int | None = None, forced_token: int | None = None) -> RunRecord:
        """The fields every schema version shares (version 1 had no id, model or versions per run)."""
        responses = tuple(checks.items(data, "responses", where, ResponseRecord.read))
        if not 1 <= len(responses) <= MOST_RESPONSES:
            raise Invalid(f"{where}.responses must hold 1 or {MOST_RESPONSES} responses (got {len(responses)})")
        if [r.index for r in responses] != list(range(len(responses))):
            raise Invalid(f"{where}.responses must be numbered 0, 1 in order")
        if branch_point is not None and branch_point > len(responses[0].token_ids):
            raise Invalid(f"{where}.branch_point lies past the end of its response ({branch_point})")
        columns = checks.array(data, "columns", where, optional=True)
        if columns is not None and len(columns) != len(responses):
            raise Invalid(f"{where}.columns must give one parameter table per response")
        return cls(
            id=run_id, started_at=checks.timestamp(data, "started_at", where), model=model,
            prompt=checks.required_text(data, "prompt", where),
            suffix=checks.text(data, "suffix", where, optional=True),
            params=checks.params(checks.field(data, "params", where), f"{where}.params"),
            columns=None if columns is None else tuple(
                checks.params(c, f"{where}.columns[{i}]") for i, c in enumerate(columns)),
            prompt_tokens=checks.integer(data, "prompt_tokens", where),
            responses=responses,
            live_changes=tuple(checks.items(data, "live_changes", where,
                                            lambda v, w: read_live_change(v, w, len(responses)))),
            timings=read_timings(checks.field(data, "timings", where), f"{where}.timings"),
            versions=versions, replay_of=replay_of, parent=parent, branch_point=branch_point,
            forced_token=forced_token)


def content_id(data: dict[str, Any]) -> str:
    """A stable id for a run written before runs had ids: the same run read twice (a version-1
    history file rewrote every run each time) gets the same id, so it is listed once."""
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=True).encode()).hexdigest()
    return "v1" + digest[:14]
