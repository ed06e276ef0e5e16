"""The run the playground is showing: its generation, what has streamed so far, its result."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from playground.engine.types import GenerationRequest, GenerationResult
from playground.runtime.describe import streaming_line
from playground.runtime.running import Generation
from playground.sessions.records import RunRecord
from playground.tui.messages import TokensStreamed


@dataclass
class RunState:
    """``replaying`` is the saved run this one replays, to compare the tokens with at the end."""

    generation: Generation
    replaying: RunRecord | None = None
    tokens: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    elapsed_s: float = 0.0
    first_token_s: float | None = None
    result: GenerationResult | None = None
    token_chars: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))

    @property
    def request(self) -> GenerationRequest:
        return self.generation.request

    def absorb(self, message: TokensStreamed) -> None:
        for row, count in message.tokens.items():
            self.tokens[row] += count
        for row, chars in message.token_chars.items():
            self.token_chars[row].extend(chars)
        self.elapsed_s = message.elapsed_s
        self.first_token_s = message.first_token_s

    def char_offset(self, row: int, token_index: int) -> int:
        """Where token ``token_index`` of ``row`` starts in the streamed text."""
        return sum(self.token_chars[row][:token_index])

    @property
    def generated(self) -> int:
        return max(self.tokens.values(), default=0)

    @property
    def live_rate(self) -> float:
        if self.first_token_s is None or self.generated < 2 or self.elapsed_s <= self.first_token_s:
            return 0.0
        return (self.generated - 1) / (self.elapsed_s - self.first_token_s)

    def describe(self) -> str:
        return streaming_line(self.generated, self.first_token_s, self.live_rate)
