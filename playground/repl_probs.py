"""The REPL's probability commands: ``/probs on|off`` (colour streamed tokens by probability),
``/tokens [R]`` (the last response's tokens, probabilities and alternatives) and
``/branch K ALT [R]`` (continue from token K with alternative ALT).

Token texts reach the console as rich ``Text`` with a style, never as markup."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from playground.engine.types import TokenInfo
from playground.errors import UserError
from playground.params import escape
from playground.runtime.token_view import (
    BAND_NAMES,
    PLAYGROUND_ALTERNATIVES,
    band,
    branch_request,
    check_token_index,
    infos_of,
    is_whole_number,
    probability,
    rank_text,
    resolve_alternative,
)
from playground.visible import printable

if TYPE_CHECKING:
    from playground.repl import Repl

#: One rich style per probability band (``token_view.BANDS``): likely tokens quiet, unlikely ones loud.
BAND_STYLES = ("green", "default", "yellow", "orange3", "bold red")
#: Alternatives /tokens shows per token.
LISTED = 5


def styled(text: str, info: TokenInfo | None) -> Text:
    """A streamed piece of text, coloured by its token's probability when it has one."""
    return Text(text, style=BAND_STYLES[band(info)] if info is not None else "")


def legend() -> Text:
    return Text.assemble("probability: ", *((f" {name} ", style) for name, style in zip(BAND_NAMES, BAND_STYLES)))


def shown_token(text: str) -> str:
    """A token's text on one line, as the playground's inspector shows it: newlines and tabs as
    ``\\n`` and ``\\t``, spaces as ``␠`` (a token of spaces would be a blank), other controls as
    their pictures; ``∅`` for no text."""
    return printable(escape(text)).replace(" ", "␠") if text else "∅"


def percent(logprob: float | None) -> str:
    if logprob is None:
        return "-"
    return f"{100 * math.exp(logprob):.1f}%"


def _row_number(args: list[str], position: int, usage: str) -> int:
    if len(args) <= position:
        return 0
    if not is_whole_number(args[position]) or int(args[position]) < 1:
        raise UserError(usage)
    return int(args[position]) - 1


def probs_command(repl: Repl, args: list[str]) -> None:
    if args not in (["on"], ["off"]):
        raise UserError("usage: /probs on|off")
    repl.probabilities = args == ["on"]
    if repl.probabilities:
        repl.say(f"probabilities on: each token coloured by how likely the model found it, {PLAYGROUND_ALTERNATIVES} "
                 "alternatives kept (/tokens lists them, /branch K ALT continues from one)")
        repl.console.print(legend())
    else:
        repl.say("probabilities off")


def tokens_command(repl: Repl, args: list[str]) -> None:
    usage = "usage: /tokens [R] (R: the response, 1 or 2)"
    if len(args) > 1:
        raise UserError(usage)
    infos = infos_of(repl.keeper.last_run, _row_number(args, 0, usage))
    table = Table("#", "token", "p", "sampled p", "rank", f"top {LISTED} alternatives (ALT: token)",
                  box=None, pad_edge=False)
    for index, info in enumerate(infos):
        alternatives = Text("  ").join(Text.assemble((f"{place}:", "dim"), shown_token(a.text), " ",
                                                     (percent(a.logprob), "dim"))
                                       for place, a in enumerate(info.top[:LISTED], 1))
        table.add_row(Text(str(index)), Text(shown_token(info.text), style=BAND_STYLES[band(info)]),
                      Text(f"{100 * probability(info):.1f}%"), Text(percent(info.sampled_logprob)),
                      Text(rank_text(info)), alternatives)
    repl.console.print(table)


def branch_command(repl: Repl, args: list[str]) -> None:
    usage = "usage: /branch K ALT [R] (K: a token's # in /tokens; ALT: its alternative's place, or id:N)"
    if len(args) not in (2, 3) or not is_whole_number(args[0]):
        raise UserError(usage)
    response, at = _row_number(args, 2, usage), int(args[0])
    run = repl.keeper.last_run
    infos = infos_of(run, response)
    check_token_index(at, len(infos), response)
    assert run is not None  # infos_of checked it
    token = resolve_alternative(infos[at], args[1])
    if token == run.responses[response].token_ids[at]:  # the same run again: nothing new to see
        raise UserError(f"that is the token response {response + 1} wrote at {at}: choose another alternative")
    repl.run_request(branch_request(run, response, at, token, PLAYGROUND_ALTERNATIVES), parent=run)
