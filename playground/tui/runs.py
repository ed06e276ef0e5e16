"""The state of one run in the UI, and how its figures are worded in the status line."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from playground.engine.handle import GenerationHandle
from playground.engine.types import GenerationRequest, GenerationResult
from playground.sessions import now_iso
from playground.tui.messages import TokensStreamed


@dataclass
class RunState:
    request: GenerationRequest
    handle: GenerationHandle = field(default_factory=GenerationHandle)
    tokens: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    elapsed_s: float = 0.0
    first_token_s: float | None = None
    result: GenerationResult | None = None
    token_chars: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    started_at: str = field(default_factory=now_iso)

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
    def live_rate(self) -> float:
        generated = max(self.tokens.values(), default=0)
        if self.first_token_s is None or generated < 2 or self.elapsed_s <= self.first_token_s:
            return 0.0
        return (generated - 1) / (self.elapsed_s - self.first_token_s)


def describe_streaming(run: RunState) -> str:
    generated = max(run.tokens.values(), default=0)
    ttft = f"ttft {run.first_token_s * 1000:.0f} ms · " if run.first_token_s is not None else ""
    return f"{ttft}{run.live_rate:.1f} tok/s · {generated} tokens"


def describe_finished(result: GenerationResult) -> str:
    timings = result.timings
    reasons = " / ".join(r.finish_reason for r in result.responses)
    tokens = " / ".join(str(len(r.token_ids)) for r in result.responses)
    changes = f" · {len(result.live_changes)} live change(s)" if result.live_changes else ""
    return (f"ttft {timings.ttft_s * 1000:.0f} ms · {timings.decode_tokens_per_s:.1f} tok/s · "
            f"{tokens} tokens · {reasons} · seed {result.params['seed']}{changes}")
