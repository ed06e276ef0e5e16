"""The playground's state as one value: both columns' parameters, how they are linked, which
one the panel edits, fill-in-the-middle, the language, the seed the last run used, and whether
runs ask for per-token probabilities and the responses show them as a heatmap.

``PlaygroundApp.state`` holds it and is its only writer; the panel, the editor and the response
pane bind to it and post intents. Every change is a pure function here, so a widget never
echoes a change back to the app.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from playground.engine.types import GenerationRequest
from playground.params import SamplingParams
from playground.runtime.token_view import PLAYGROUND_ALTERNATIVES, PROBABILITIES_BY_DEFAULT


@dataclass(frozen=True)
class PlaygroundState:
    """``params`` is column A's (both columns' while linked); ``params_b`` column B's, used
    once the columns are unlinked. The panel edits column ``editing`` (always 0 when linked)."""

    params: SamplingParams = field(default_factory=SamplingParams)
    params_b: SamplingParams = field(default_factory=SamplingParams)
    linked: bool = True
    editing: int = 0
    fim: bool = False
    language: str = "python"
    last_seed: int | None = None
    heatmap: bool = False
    #: Runs ask for per-token probabilities (the heatmap and the inspector show them).
    probabilities: bool = PROBABILITIES_BY_DEFAULT

    @classmethod
    def starting(cls, params: SamplingParams) -> PlaygroundState:
        return cls(params=params, params_b=params)

    @property
    def edited(self) -> SamplingParams:
        """The parameters the panel shows: the column being edited."""
        return self.params if self.editing == 0 else self.params_b

    @property
    def live_row(self) -> int | None:
        """The row a live change goes to: every row while linked, else the edited column."""
        return None if self.linked else self.editing

    @property
    def responses(self) -> int:
        return self.params.num_responses

    def with_value(self, name: str, value: Any) -> PlaygroundState:
        """One parameter set in the panel, on the edited column (both while linked). The number
        of responses is one setting for both columns; going back to one response keeps the
        column the panel shows (see ``with_params``)."""
        if name == "num_responses":
            return self.with_params(self.edited.replace(num_responses=value))
        return self.with_params(self.edited.replace(**{name: value}))

    def with_params(self, params: SamplingParams) -> PlaygroundState:
        """A whole set (a preset, a session) for the edited column (both while linked).

        With one response there is one set of parameters: whatever the panel showed becomes
        it, and the columns link again, so no hidden column is left to edit or to title."""
        if self.linked or params.num_responses == 1:
            return self.replace(params=params, params_b=params, linked=True, editing=0)
        other = (self.params_b if self.editing == 0 else self.params).replace(num_responses=params.num_responses)
        a, b = (params, other) if self.editing == 0 else (other, params)
        return self.replace(params=a, params_b=b)

    def with_columns(self, linked: bool, editing: int) -> PlaygroundState:
        """Link or unlink the columns, or edit the other one. Linking again makes B a copy of A;
        with one response the columns stay linked."""
        if linked or self.responses == 1:
            return self.replace(linked=True, editing=0, params_b=self.params)
        return self.replace(linked=False, editing=editing)

    def request(self, prompt: str, suffix: str | None = None) -> GenerationRequest:
        """The generation these settings ask for: unlinked with two responses, each column its own;
        with the probabilities the heatmap and the inspector show."""
        columns = (self.params, self.params_b) if self.responses == 2 and not self.linked else None
        alternatives = PLAYGROUND_ALTERNATIVES if self.probabilities else None
        return GenerationRequest(prompt, self.params, suffix=suffix, columns=columns, logprobs=alternatives)

    def replace(self, **changes: Any) -> PlaygroundState:
        return dataclasses.replace(self, **changes)
