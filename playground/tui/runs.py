"""The run the playground is showing: its generation, what has streamed so far (text, tokens and
their probabilities), its result, and where it came from when it is a branch."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from playground.engine.types import GenerationRequest, GenerationResult, LiveChange, ResponseResult, TokenInfo
from playground.params import SamplingParams
from playground.runtime.describe import streaming_line
from playground.runtime.engines import PlaygroundEngine
from playground.runtime.running import Generation
from playground.runtime.token_view import params_at
from playground.sessions.records import RunRecord
from playground.tui.messages import TokensStreamed
from playground.tui.probabilities import TokenPiece, pieces
from playground.tui.token_spans import token_chars


@dataclass
class RunState:
    """``replaying`` is the saved run this one replays, to compare the tokens with at the end;
    ``parent`` the recorded run this one branches from, at token ``branch_point``; ``record_id``
    this run's own id once it is recorded."""

    generation: Generation
    replaying: RunRecord | None = None
    tokens: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    elapsed_s: float = 0.0
    first_token_s: float | None = None
    #: Tokens that came at ``first_token_s`` (a branch's given ones): not counted in the rate.
    first_tokens: int = 1
    result: GenerationResult | None = None
    token_chars: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    token_ids: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    infos: dict[int, list[TokenInfo | None]] = field(default_factory=lambda: defaultdict(list))
    texts: dict[int, str] = field(default_factory=lambda: defaultdict(str))
    parent: str | None = None
    branch_point: int | None = None
    record_id: str | None = None
    #: Live changes as sent, at the token count streamed then (the result has the exact ones).
    steered: list[LiveChange] = field(default_factory=list)
    #: Each row's pieces as last cut: a streamed frame cuts only its new tokens, and the pieces
    #: before stay the same objects (the heatmap draws again only what changed).
    cut: dict[int, list[TokenPiece]] = field(default_factory=lambda: defaultdict(list), repr=False)

    @classmethod
    def from_record(cls, engine: PlaygroundEngine, record: RunRecord) -> RunState | None:
        """A saved run with its tokens again, from the probabilities it recorded (each token's own
        text, aligned with the response by ``token_spans``); None when it has none, or when
        those texts cannot make up its responses."""
        responses = [ResponseResult(r.index, r.text, list(r.token_ids), r.finish_reason, r.seed, r.params,
                                    None if r.probabilities is None else list(r.probabilities))
                     for r in record.responses]
        result = GenerationResult(record.model.id, record.prompt_tokens, record.params, responses, record.timings,
                                  columns=record.columns, live_changes=list(record.live_changes))
        run = cls(Generation(engine, record.replay_request()), result=result, parent=record.parent,
                  branch_point=record.branch_point, record_id=record.id)
        for row, response in enumerate(responses):
            infos = response.logprobs
            chars = None if infos is None else token_chars([info.text for info in infos], response.text)
            if infos is None or chars is None:
                return None
            run.token_ids[row], run.infos[row], run.texts[row] = list(response.token_ids), list(infos), response.text
            run.token_chars[row] = chars
            run.tokens[row] = len(infos)
        return run

    @property
    def request(self) -> GenerationRequest:
        return self.generation.request

    def absorb(self, message: TokensStreamed) -> None:
        for row, count in message.tokens.items():
            self.tokens[row] += count
        for row, chars in message.token_chars.items():
            self.token_chars[row].extend(chars)
        for row, ids in message.token_ids.items():
            self.token_ids[row].extend(ids)
        for row, infos in message.infos.items():
            self.infos[row].extend(infos)
        for row, text in message.texts.items():
            self.texts[row] += text
        self.elapsed_s = message.elapsed_s
        self.first_token_s = message.first_token_s
        self.first_tokens = message.first_tokens

    def char_offset(self, row: int, token_index: int) -> int:
        """Where token ``token_index`` of ``row`` starts in the streamed text."""
        return sum(self.token_chars[row][:token_index])

    def steer(self, name: str, value: Any, row: int | None) -> None:
        rows = range(len(self.request.row_params())) if row is None else (row,)
        self.steered += [LiveChange(r, self.tokens[r], name, value) for r in rows]

    @property
    def rows(self) -> int:
        return len(self.request.row_params())

    def pieces(self, row: int) -> list[TokenPiece]:
        """Row ``row``'s tokens so far, each with its text and probabilities."""
        cut, ids = self.cut[row], self.token_ids[row]
        again = min(max(len(cut) - 1, 0), len(ids))  # the last one cut may have had text added since
        cut[again:] = pieces(ids, self.token_chars[row], self.texts[row], self.infos[row], first=again)
        return list(cut)

    @property
    def live_changes(self) -> list[LiveChange]:
        return self.result.live_changes if self.result is not None else self.steered

    def params_at(self, row: int, token: int) -> SamplingParams:
        """The parameters row ``row`` drew token ``token`` with, live changes included."""
        return params_at(self.request.row_params()[row], self.live_changes, row, token)

    @property
    def generated(self) -> int:
        return max(self.tokens.values(), default=0)

    @property
    def live_rate(self) -> float:
        # Tokens after the first call's, per second since (a branch's given tokens all came then:
        # counted, 500 given tokens made a 10 tok/s run show hundreds).
        if self.first_token_s is None or self.generated <= self.first_tokens or self.elapsed_s <= self.first_token_s:
            return 0.0
        return (self.generated - self.first_tokens) / (self.elapsed_s - self.first_token_s)

    def describe(self) -> str:
        return streaming_line(self.generated, self.first_token_s, self.live_rate)
