"""How a generation starts and what its steps report, beyond each row's parameters: the
per-token information asked for, and a branch's given tokens (see ``GenerationRequest``)."""

from __future__ import annotations

from dataclasses import dataclass

from playground.engine.types import MOST_ALTERNATIVES, GenerationRequest
from playground.errors import UserError


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


def check_setup(setup: DecodeSetup, vocab_size: int, prompt_tokens: int, context_window: int,
                end_ids: frozenset[int]) -> None:
    """UserError, one line, for settings no generation can honour."""
    if setup.info_top is not None and not 0 <= setup.info_top <= MOST_ALTERNATIVES:
        raise UserError(f"logprobs must be between 0 and {MOST_ALTERNATIVES} (got {setup.info_top})")
    given = [*setup.prefix, *([] if setup.forced is None else [setup.forced])]
    bad = [token for token in given if not 0 <= token < vocab_size]
    if bad:
        raise UserError(f"token id {bad[0]} is not in the model's vocabulary (0..{vocab_size - 1})")
    if any(token in end_ids for token in setup.prefix):
        raise UserError("a branch's prefix cannot hold an end token: branch before the response ended")
    if prompt_tokens + len(setup.prefix) >= context_window:
        raise UserError(f"the prompt and the branch's {len(setup.prefix):,} given tokens fill the context window "
                        f"({context_window:,}): branch earlier")
