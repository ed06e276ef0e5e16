"""What the playground shows of the model's per-token probabilities: the bands the heatmap
colours tokens by, the tokens of a response with what the model thought of each, and the
parameters that were in force at a token (live changes included). Plain data, no widgets."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from playground.engine.types import LiveChange, TokenInfo
from playground.params import PARAMETERS, SamplingParams
from playground.runtime.describe import format_value
from playground.runtime.token_view import BAND_NAMES, BANDS, band


@dataclass(frozen=True)
class HeatBand:
    """Tokens whose raw probability is at least ``floor`` (and under the band above) get ``style``,
    a Textual style on theme variables; ``label`` names the band in the legend."""

    floor: float
    label: str
    style: str


#: The bands' styles, most likely first (the bands themselves are the REPL's too: token_view).
#: Backgrounds, so a surprising space or newline shows too.
BAND_STYLES = ("on $success 30%", "on $success 10%", "on $warning 40%", "on $error 45%", "bold on $error 90%")
HEAT_BANDS: tuple[HeatBand, ...] = tuple(HeatBand(floor, label, style)
                                         for floor, label, style in zip((*BANDS, 0.0), BAND_NAMES, BAND_STYLES))
#: A token without probabilities (a run made with them off).
UNKNOWN_STYLE = "$text-muted"


def probability(logprob: float) -> float:
    return math.exp(logprob)


def band_of(info: TokenInfo | None) -> HeatBand | None:
    """The heatmap band of a token, None when its probabilities are unknown."""
    return None if info is None else HEAT_BANDS[band(info)]


def percent(logprob: float | None) -> str:
    """A probability as people read it: ``87.3%``, ``0.04%``, ``<0.01%``."""
    if logprob is None:
        return "—"
    p = probability(logprob) * 100
    if p >= 10:
        return f"{p:.1f}%"
    return f"{p:.2f}%" if p >= 0.01 else "<0.01%"


@dataclass(frozen=True)
class TokenPiece:
    """One generated token of a response: where it is, its id, the text it added, and (when the
    run asked for them) its probabilities."""

    index: int
    token_id: int
    text: str
    info: TokenInfo | None


def pieces(token_ids: Sequence[int], token_chars: Sequence[int], text: str,
           infos: Sequence[TokenInfo | None], first: int = 0) -> list[TokenPiece]:
    """The response ``text`` cut into its tokens, ``token_chars[i]`` characters for token ``i``
    (from token ``first`` on)."""
    result: list[TokenPiece] = []
    start = sum(token_chars[:first])
    for index in range(first, len(token_ids)):
        length = token_chars[index] if index < len(token_chars) else 0
        info = infos[index] if index < len(infos) else None
        result.append(TokenPiece(index, token_ids[index], text[start:start + length], info))
        start += length
    return result


#: The parameters the inspector lists, in the panel's order.
SHOWN = [name for name in PARAMETERS if name not in ("num_responses", "seed", "max_new_tokens")]


def param_lines(params: SamplingParams, changed: Iterable[str] = (), width: int = 36) -> list[str]:
    """``name value`` per sampling parameter (a ``*`` marks one a live change had set), as many
    to a line as fit in ``width``."""
    marked = set(changed)
    items = [f"{'*' if name in marked else ''}{name} {format_value(PARAMETERS[name], getattr(params, name))}"
             for name in SHOWN]
    if params.stop:
        items.append(f"{'*' if 'stop' in marked else ''}stop {list(params.stop)!r}")
    lines: list[str] = []
    for item in items:
        if lines and len(lines[-1]) + 3 + len(item) <= width:
            lines[-1] += " · " + item
        else:
            lines.append(item)
    return lines


def changed_names(changes: Iterable[LiveChange], row: int, token: int) -> list[str]:
    return [c.name for c in changes if c.row == row and c.at_token <= token]
