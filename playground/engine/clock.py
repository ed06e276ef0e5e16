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
    #: A server's tokens are timed as the client reads them, and a client that falls behind (a
    #: busy machine, a slow network) reads many at once: the gap between the first and the last
    #: would then give thousands of tokens a second. Its rate is taken over the whole request
    #: instead (time to first token included): a lower bound, never an invented speed.
    rate_over_request: bool = False

    def timings(self, load_s: float) -> Timings:
        if self.first_token is None or self.last_token is None:
            return Timings(load_s, 0.0, 0.0, self.finished - self.started, self.compile_s)
        ttft = self.first_token - self.started - self.preparing_s
        if self.rate_over_request:
            requesting = self.last_token - self.started
            rate = self.token_steps / requesting if requesting > 0 else 0.0
        else:
            decoding = self.last_token - self.first_token
            rate = (self.token_steps - 1) / decoding if decoding > 0 else 0.0
        return Timings(load_s, ttft, rate, self.finished - self.started, self.compile_s)
