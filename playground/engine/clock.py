"""When a generation's parts happened, turned into its timings."""

from __future__ import annotations

from dataclasses import dataclass

from playground.engine.types import Timings


@dataclass(frozen=True)
class GenerationClock:
    """When a generation's parts happened (perf_counter seconds)."""

    started: float
    preparing_s: float  # building, compiling and first running the decode step: not generation time
    compile_s: float
    first_token: float | None
    last_token: float | None
    finished: float
    token_steps: int

    def timings(self, load_s: float) -> Timings:
        if self.first_token is None or self.last_token is None:
            return Timings(load_s, 0.0, 0.0, self.finished - self.started, self.compile_s)
        ttft = self.first_token - self.started - self.preparing_s
        decoding = self.last_token - self.first_token
        rate = (self.token_steps - 1) / decoding if decoding > 0 else 0.0
        return Timings(load_s, ttft, rate, self.finished - self.started, self.compile_s)
