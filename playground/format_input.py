"""A response format as typed on a command line or in the REPL: a type, a pattern, a JSON
Schema given as text or as a ``.json`` file, a grammar file. Shared by cli.py and the REPL."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from playground import cli_io
from playground.errors import UserError
from playground.response_format import FormatError, ResponseFormat, check_response_format

FLAGS = {"response_format": "--response-format", "json_schema": "--json-schema", "regex": "--regex",
         "grammar": "--grammar"}


def add_format_args(group: Any, sub: Any) -> None:
    """The four format flags (at most one of them per command line)."""
    group.add_argument("--response-format", dest="response_format", choices=("text", "json"), default=sub,
                       help="text (default) or json: any JSON value, without free whitespace")
    group.add_argument("--json-schema", dest="json_schema", default=sub, metavar="SCHEMA",
                       help="the response is an instance of this JSON Schema (JSON text, or a path to a .json file)")
    group.add_argument("--regex", dest="regex", default=sub, metavar="PATTERN",
                       help="the whole response matches this regular expression")
    group.add_argument("--grammar", dest="grammar", default=sub, metavar="FILE",
                       help="the response is a sentence of this Lark or GBNF grammar file")


def format_from_args(args: argparse.Namespace) -> ResponseFormat | None:
    """The format the flags ask for; None when none is given (the preset's, or text, stays)."""
    given = {name: getattr(args, name) for name in FLAGS if getattr(args, name, None) is not None}
    if len(given) > 1:
        raise UserError(f"{' and '.join(FLAGS[name] for name in given)} both set the response format: give one")
    if not given:
        return None
    name, value = next(iter(given.items()))
    if name == "response_format":
        return check_response_format(value)
    if name == "json_schema":
        return schema_format(cli_io.checked_text(value, FLAGS[name]), FLAGS[name])
    if name == "regex":
        return checked(ResponseFormat("regex", cli_io.checked_text(value, FLAGS[name])), FLAGS[name])
    return file_format("grammar", Path(value), FLAGS[name])


def schema_format(text: str, where: str) -> ResponseFormat:
    """A JSON Schema given inline (it starts with ``{``) or as a path to a file."""
    if text.lstrip().startswith("{"):
        return checked(ResponseFormat("json_schema", text), where)
    return file_format("json_schema", Path(text), where)


def file_format(kind: str, path: Path, where: str) -> ResponseFormat:
    what = "JSON Schema" if kind == "json_schema" else "grammar"
    return checked(ResponseFormat(kind, cli_io.read_file(path.expanduser(), what)),  # type: ignore[arg-type]
                   f"{where} {path}")


def checked(response_format: ResponseFormat, where: str) -> ResponseFormat:
    """``response_format`` checked, a problem named with where it came from (one line)."""
    try:
        return check_response_format(response_format)
    except FormatError as error:
        raise UserError(f"{where}: {error}") from None
