"""How a generation starts and what its steps report, beyond each row's parameters: the
per-token information asked for, and a branch's given tokens (see ``GenerationRequest``)."""

from __future__ import annotations

from dataclasses import dataclass

from playground.engine.types import GenerationRequest


@dataclass(frozen=True)
class DecodeSetup:
    #: None: no per-token information (nothing computed on the eager path); else the number of
    #: alternatives each token carries, 0..20.
    info_top: int | None = None
    #: Tokens every row starts from as if it had generated them: prefilled after the prompt,
    #: counted by the penalties, and the noise's step index starts at their number.
    prefix: tuple[int, ...] = ()
    #: The token every row takes next instead of a draw.
    forced: int | None = None

    @classmethod
    def from_request(cls, request: GenerationRequest) -> DecodeSetup:
        return cls(request.logprobs, tuple(request.prefix_tokens), request.forced_token)

    @property
    def prefix_info_wanted(self) -> bool:
        return self.info_top is not None and bool(self.prefix)
