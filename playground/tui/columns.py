"""Side-by-side comparison: what differs between two columns, and where responses diverge."""

from __future__ import annotations

from collections.abc import Sequence

from playground.params import SamplingParams
from playground.tui.widgets.param_control import format_value
from playground.params import PARAMETERS

COMPARED = [name for name in PARAMETERS if name not in ("num_responses", "seed")] + ["stop"]


def differences(a: SamplingParams, b: SamplingParams) -> list[str]:
    return [name for name in COMPARED if getattr(a, name) != getattr(b, name)]


def _show(params: SamplingParams, name: str) -> str:
    value = getattr(params, name)
    if name == "stop":
        return f"stop {list(value)!r}"
    return f"{name} {format_value(PARAMETERS[name], value)}"


def column_titles(a: SamplingParams, b: SamplingParams, linked: bool) -> tuple[str, str]:
    if linked:
        return "response 1", "response 2"
    names = differences(a, b)
    if not names:
        return "A · same parameters", "B · same parameters"
    return ("A · " + " · ".join(_show(a, n) for n in names), "B · " + " · ".join(_show(b, n) for n in names))


def first_divergence(a: Sequence[int], b: Sequence[int]) -> int | None:
    """Index of the first token where the two responses differ (None if one equals the other)."""
    for index, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return index
    return None if len(a) == len(b) else min(len(a), len(b))
