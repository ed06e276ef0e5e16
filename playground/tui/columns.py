"""Side-by-side comparison: what differs between two columns, as their titles say it."""

from __future__ import annotations

from playground.params import PARAMETERS, SamplingParams
from playground.runtime.describe import format_value

COMPARED = [name for name in PARAMETERS if name not in ("num_responses", "seed")] + ["stop", "response_format"]


def differences(a: SamplingParams, b: SamplingParams) -> list[str]:
    return [name for name in COMPARED if getattr(a, name) != getattr(b, name)]


def _show(params: SamplingParams, name: str) -> str:
    value = getattr(params, name)
    if name == "stop":
        return f"stop {list(value)!r}"
    if name == "response_format":
        return f"format {value.label()}"
    return f"{name} {format_value(PARAMETERS[name], value)}"


def column_titles(a: SamplingParams, b: SamplingParams, linked: bool) -> tuple[str, str]:
    if linked:
        return "response 1", "response 2"
    names = differences(a, b)
    if not names:
        return "A · same parameters", "B · same parameters"
    return ("A · " + " · ".join(_show(a, n) for n in names), "B · " + " · ".join(_show(b, n) for n in names))
