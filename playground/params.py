"""One definition of every sampling parameter: default, range, validation and help text.

The CLI flags, the TUI sliders, the REPL's ``/set`` and the preset files all read from
``PARAMETERS``; nothing else states a range or a default. Values follow the StarCoder2
model card's playground table.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from playground.errors import UserError
from playground.response_format import TEXT, FormatError, ResponseFormat, check_response_format

SEED_LIMIT = 2**63


class ParamError(UserError):
    """A parameter value outside its range or of the wrong type."""


@dataclass(frozen=True)
class ParamSpec:
    """How one numeric parameter is defined, shown and checked."""

    name: str
    kind: Literal["float", "int"]
    default: float | int | None
    minimum: float
    maximum: float
    help: str
    minimum_exclusive: bool = False
    allows_none: bool = False
    #: Step for a fine move of a slider; a coarse move is ten of these.
    step: float = 0.01
    #: Sliders over huge ranges (max_new_tokens) move on a log scale.
    log_scale: bool = False
    #: Changes to this parameter apply mid-generation, from the next token on.
    live: bool = True
    #: Where a slider's track ends when the useful range is far below the maximum
    #: (temperature: 0-2 on the track, up to 100 typed).
    track_maximum: float | None = None

    @property
    def slider_maximum(self) -> float:
        return self.track_maximum if self.track_maximum is not None else self.maximum

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def range_text(self) -> str:
        low = f"{_fmt(self.minimum)} < {self.name}" if self.minimum_exclusive else f"{_fmt(self.minimum)}"
        text = f"{low} <= {_fmt(self.maximum)}" if self.minimum_exclusive else f"between {low} and {_fmt(self.maximum)}"
        return text + (", or none" if self.allows_none else "")

    def check(self, value: Any) -> float | int | None:
        """Return ``value`` coerced to this parameter's type, or raise ParamError."""
        if value is None or (isinstance(value, str) and value.strip().lower() == "none"):
            if self.allows_none:
                return None
            raise self._error(value)
        if isinstance(value, bool):
            raise self._error(value)
        number = self._to_number(value)
        too_low = number <= self.minimum if self.minimum_exclusive else number < self.minimum
        if too_low or number > self.maximum:
            raise self._error(value)
        return number

    def _to_number(self, value: Any) -> float | int:
        text = value.strip() if isinstance(value, str) else value
        if self.kind == "int" and isinstance(text, (int, str)):
            try:  # int() first: seeds go up to 2**63 and must not pass through a float.
                return int(text)
            except ValueError:
                pass
        try:
            number = float(text)
        except (TypeError, ValueError):
            raise self._error(value) from None
        if not math.isfinite(number):
            raise self._error(value)
        if self.kind == "int":
            if not number.is_integer():
                raise ParamError(f"{self.name} must be a whole number {self.range_text()} (got {value!r})")
            return int(number)
        return number

    def _error(self, value: Any) -> ParamError:
        return ParamError(f"{self.name} must be {self.range_text()} (got {value!r})")


def _fmt(number: float) -> str:
    return f"{int(number):,}" if float(number).is_integer() else f"{number:g}"


_SPECS = (
    ParamSpec("max_new_tokens", "int", 512, 1, 1_000_000,
              "Most tokens to generate; none = the rest of the context window.",
              allows_none=True, step=1, log_scale=True),
    ParamSpec("temperature", "float", 0.7, 0, 100,
              "Divides the logits; 0 = greedy (always the most likely token).", step=0.01,
              track_maximum=2.0),
    ParamSpec("top_p", "float", 0.9, 0, 1,
              "Nucleus sampling: keep the smallest set of tokens whose probability sums to top_p.",
              minimum_exclusive=True, step=0.01),
    ParamSpec("min_p", "float", 0.0, 0, 1,
              "Keep tokens with probability >= min_p x the top token's; 0 = off.", step=0.01),
    ParamSpec("top_k", "int", 0, 0, 999, "Keep only the k most likely tokens; 0 = off.", step=1),
    ParamSpec("repetition_penalty", "float", 1.0, 0.01, 5,
              "CTRL-style penalty on every token already in the prompt or response; 1 = off.",
              step=0.01),
    ParamSpec("presence_penalty", "float", 0.0, -2, 2,
              "Subtracted once from the logit of every token already generated.", step=0.01),
    ParamSpec("frequency_penalty", "float", 0.0, -2, 2,
              "Subtracted from a token's logit for each time it was generated.", step=0.01),
    ParamSpec("num_responses", "int", 1, 1, 2,
              "Independent responses to one prompt, decoded together.", step=1, live=False),
    ParamSpec("seed", "int", None, 0, SEED_LIMIT - 1,
              "Random seed; blank = draw one and report it.", allows_none=True, step=1, live=False),
)

PARAMETERS: dict[str, ParamSpec] = {spec.name: spec for spec in _SPECS}
#: Parameters a running generation accepts changes to.
LIVE_PARAMETERS = tuple(spec.name for spec in _SPECS if spec.live)
_ESCAPES = {"\\n": "\n", "\\t": "\t", "\\r": "\r", "\\\\": "\\"}
STOP_HELP = "Generation ends when the text contains one of these strings; it is not included."


@dataclass(frozen=True)
class SamplingParams:
    """A complete, validated set of sampling parameters. Build with ``make`` or ``replace``."""

    max_new_tokens: int | None = 512
    temperature: float = 0.7
    top_p: float = 0.9
    min_p: float = 0.0
    top_k: int = 0
    repetition_penalty: float = 1.0
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    num_responses: int = 1
    seed: int | None = None
    stop: tuple[str, ...] = field(default_factory=tuple)
    #: Per row, not live: see response_format.py.
    response_format: ResponseFormat = TEXT

    @classmethod
    def make(cls, values: Mapping[str, Any] | None = None, **changes: Any) -> SamplingParams:
        return cls().replace(**{**(values or {}), **changes})

    def replace(self, **changes: Any) -> SamplingParams:
        checked: dict[str, Any] = {}
        for name, value in changes.items():
            if name == "stop":
                checked["stop"] = check_stop(value)
            elif name == "response_format":
                try:
                    checked[name] = check_response_format(value)
                except FormatError as error:
                    raise ParamError(str(error)) from None
            elif name in PARAMETERS:
                checked[name] = PARAMETERS[name].check(value)
            else:
                raise ParamError(f"unknown parameter {name!r}; known: {', '.join(all_names())}")
        return dataclasses.replace(self, **checked)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["stop"] = list(self.stop)
        data["response_format"] = self.response_format.to_json()
        return data

    def changes_from_defaults(self) -> dict[str, Any]:
        defaults = SamplingParams()
        return {k: v for k, v in self.to_dict().items() if getattr(defaults, k) != getattr(self, k)}


def check_stop(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(s, str) for s in value):
        raise ParamError(f"stop must be a list of strings (got {value!r})")
    if any(s == "" for s in value):
        raise ParamError("stop sequences must not be empty strings")
    return tuple(dict.fromkeys(value))


def all_names() -> list[str]:
    return [*PARAMETERS, "stop", "response_format"]


def unescape(text: str) -> str:
    """A stop sequence as typed (``\\n``, ``\\t``, ``\\r``, ``\\\\``) to the real characters."""
    out, index = [], 0
    while index < len(text):
        pair = text[index: index + 2]
        if pair in _ESCAPES:
            out.append(_ESCAPES[pair])
            index += 2
        else:
            out.append(text[index])
            index += 1
    return "".join(out)


def escape(text: str) -> str:
    """The typed form of a stop sequence: the inverse of ``unescape``."""
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")


