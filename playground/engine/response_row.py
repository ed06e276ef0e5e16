"""One response row's host side: its tokens, text, stop matcher and finish."""

from __future__ import annotations

from dataclasses import dataclass, field

from playground.engine.detok import IncrementalDetokenizer, StopMatcher
from playground.engine.types import FinishReason, RowFinished, StreamEvent, TokenEvent, TokenInfo
from playground.params import SamplingParams


@dataclass
class ResponseRow:
    """Host-side state of one response row."""

    index: int
    params: SamplingParams
    room: int  # tokens left in the context window after the prompt
    limit: int
    detokenizer: IncrementalDetokenizer
    stopper: StopMatcher
    end_ids: frozenset[int]
    token_ids: list[int] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    #: One per token when the generation asked for probabilities.
    infos: list[TokenInfo] = field(default_factory=list)
    finish_reason: FinishReason | None = None

    def accept(self, token_id: int, info: TokenInfo | None = None) -> list[StreamEvent]:
        self.token_ids.append(token_id)
        if info is not None:
            self.infos.append(info)
        if token_id in self.end_ids:
            return self._finish("eos_token", token_id, "")
        text = self.stopper.feed(self.detokenizer.push(token_id))
        if self.stopper.stopped:
            return self._finish("stop_sequence", token_id, text)
        if len(self.token_ids) >= self.limit:
            return self._finish("length", token_id, text)
        return [self._show(token_id, text)]

    def cancel(self) -> RowFinished:
        tail = self.stopper.feed(self.detokenizer.flush()) + self.stopper.flush()
        self.finish_reason = "cancelled"
        self.parts.append(tail)
        return RowFinished(self.index, "cancelled", tail)

    def _finish(self, reason: FinishReason, token_id: int, text: str) -> list[StreamEvent]:
        if reason != "stop_sequence":
            text += self.stopper.feed(self.detokenizer.flush())
            text += self.stopper.flush()
        self.finish_reason = reason
        return [self._show(token_id, text), RowFinished(self.index, reason)]

    def _show(self, token_id: int, text: str) -> TokenEvent:
        self.parts.append(text)
        info = self.infos[-1] if len(self.infos) == len(self.token_ids) else None
        return TokenEvent(self.index, token_id, text, info)
