"""Parameters changed as a whole: a preset applied."""

from __future__ import annotations

from playground.params import SamplingParams
from playground.presets import Preset


def apply_preset(preset: Preset, current: SamplingParams) -> SamplingParams:
    """A preset applies over the model card's defaults, so the result does not depend on what
    came before; the seed and the number of responses stay unless the preset sets them."""
    return preset.apply(SamplingParams(seed=current.seed, num_responses=current.num_responses))

