"""The REPL's ``/format`` command: how to format the next responses (see response_format.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from playground.errors import UserError
from playground.format_input import checked, file_format
from playground.response_format import ResponseFormat, check_response_format

if TYPE_CHECKING:
    from playground.repl import Repl

USAGE = "/format text|json | schema FILE | regex PATTERN | grammar FILE"
WORDS = ["text", "json", "schema", "regex", "grammar"]


def format_command(repl: Repl, args: list[str]) -> None:
    """``/format`` alone shows the format; a bad schema, pattern or grammar is one line and
    leaves the format as it was."""
    if not args:
        repl.say(f"response_format = {repl.params.response_format.label(60)}")
        return
    kind, rest = args[0], args[1:]
    if kind in ("text", "json") and not rest:
        chosen = check_response_format(kind)
    elif kind == "regex" and len(rest) == 1:
        chosen = checked(ResponseFormat("regex", rest[0]), "/format regex")
    elif kind in ("schema", "grammar") and len(rest) == 1:
        chosen = file_format("json_schema" if kind == "schema" else "grammar", Path(rest[0]), f"/format {kind}")
    else:
        raise UserError(f"usage: {USAGE}")
    repl.params = repl.params.replace(response_format=chosen)
    repl.say(f"response_format = {chosen.label(60)}")
