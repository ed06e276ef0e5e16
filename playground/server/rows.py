"""One response row on a server: the tokens, text and probabilities it has taken, and why it ended."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from playground.engine.detok import StopMatcher
from playground.engine.handle import ParamChange
from playground.engine.types import FinishReason, ResponseResult, RowFinished, StreamEvent, TokenEvent, TokenInfo
from playground.params import SamplingParams


@dataclass
class ServerRow:
    """A row's host side. ``epoch`` counts its requests: a live change ends one request and
    starts the next, and chunks of an ended request still queued are dropped by it."""

    index: int
    params: SamplingParams
    seed: int
    room: int  # tokens the context window leaves after the prompt
    limit: int  # the most tokens this row may generate (max_new_tokens within the room)
    token_ids: list[int] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    infos: list[TokenInfo | None] = field(default_factory=list)
    finish_reason: FinishReason | None = None
    epoch: int = 0
    #: Why the server cut this row short (it died, or a timeout), when it did.
    broken: str | None = None
    pending: str = ""
    #: Whether the row's current request has sent a token yet; live changes that came before it
    #: did wait in ``waiting`` (restarting a request that has not answered would only start over).
    answered: bool = False
    waiting: list[ParamChange] = field(default_factory=list)
    #: The row's tokens the current request continues from, when they end inside a character:
    #: its first text is then put right (``texts.resynced``); None otherwise.
    continued_from: int | None = None
    #: The row's stop sequences, looked for here in that request's text (it is sent none:
    #: ``texts``); None when the server looks for them.
    stopper: StopMatcher | None = None

    @property
    def text(self) -> str:
        return "".join(self.parts)

    @property
    def running(self) -> bool:
        return self.finish_reason is None

    def accept(self, text: str, token_ids: Sequence[int], infos: Sequence[TokenInfo | None]) -> list[StreamEvent]:
        """A chunk's tokens as events: the chunk's text rides on its last token."""
        if not token_ids:  # text with no token of its own (a held-back tail): it rides on the next
            self.pending += text
            return []
        text, self.pending = self.pending + text, ""
        events: list[StreamEvent] = []
        for position, (token_id, info) in enumerate(zip(token_ids, infos)):
            shown = text if position == len(token_ids) - 1 else ""
            self.token_ids.append(token_id)
            self.parts.append(shown)
            self.infos.append(info)
            events.append(TokenEvent(self.index, token_id, shown, info))
        return events

    def finish(self, reason: FinishReason, tail: str = "") -> RowFinished:
        tail, self.pending = self.pending + tail, ""
        self.finish_reason = reason
        self.parts.append(tail)
        return RowFinished(self.index, reason, tail)

    def result(self, logprobs: bool) -> ResponseResult:
        infos: list[TokenInfo] | None = None
        if logprobs and all(info is not None for info in self.infos):
            infos = [info for info in self.infos if info is not None]
        reason = self.finish_reason or "cancelled"
        # The server's grammar allows only the end token once the format is whole, so ending on it
        # is the one sign of a complete instance the stream gives (a cut by length counts as not).
        complete = None if self.params.response_format.type == "text" else reason == "eos_token"
        return ResponseResult(self.index, self.text, list(self.token_ids), reason, self.seed, self.params, infos,
                              format_complete=complete)


def row_limit(params: SamplingParams, room: int) -> int:
    """Tokens a row may generate: ``max_new_tokens`` within the room the prompt leaves."""
    return room if params.max_new_tokens is None else min(params.max_new_tokens, room)
