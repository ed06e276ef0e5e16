"""The ``response_format`` parameter: what the response must be (any text, JSON, a JSON Schema's
instance, a regex's full match or a grammar's sentence), checked without a model.

The format's text is compiled by llguidance (see the README's evaluation), imported only when
a format other than ``text`` is checked: the playground starts without it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal, cast

from playground.errors import UserError

FormatType = Literal["text", "json", "json_schema", "regex", "grammar"]
FORMAT_TYPES: tuple[FormatType, ...] = ("text", "json", "json_schema", "regex", "grammar")
#: The types whose ``value`` holds a schema, a pattern or a grammar.
VALUED_TYPES = ("json_schema", "regex", "grammar")
LABELS = {"text": "text", "json": "JSON", "json_schema": "JSON Schema", "regex": "regex", "grammar": "grammar"}
VALUE_LIMIT = 100_000
RESPONSE_FORMAT_HELP = ("How to format the response: text (anything), json (any JSON value), json_schema "
                        "(an instance of a JSON Schema), regex (the whole response matches), grammar (Lark or "
                        "GBNF). Not a live parameter: it applies from the next generation.")
#: JSON without free whitespace: a bounded schema completes in a bounded number of tokens.
JSON_OPTIONS = {"whitespace_flexible": False}


class FormatError(UserError):
    """A response format that cannot be used: one line naming what is wrong and where."""


@dataclass(frozen=True)
class ResponseFormat:
    """A checked response format. ``value`` is the schema (JSON text), the pattern or the
    grammar for the valued types, None for ``text`` and ``json``."""

    type: FormatType = "text"
    value: str | None = None

    @property
    def constrained(self) -> bool:
        return self.type != "text"

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "value": self.value}

    def label(self, width: int = 24) -> str:
        """A short plain-text description for a column header or a toolbar."""
        if self.value is None:
            return LABELS[self.type]
        shown = " ".join(self.value.split())
        room = max(width - len(LABELS[self.type]) - 1, 4)
        return f"{LABELS[self.type]} {shown[: room - 1] + '…' if len(shown) > room else shown}"


TEXT = ResponseFormat()


def check_response_format(value: Any) -> ResponseFormat:
    """``value`` (a ResponseFormat, a {"type", "value"} table or a bare type name) as a checked
    ResponseFormat; raises FormatError with one line naming the problem."""
    kind: Any
    text: Any
    if isinstance(value, ResponseFormat):
        kind, text = value.type, value.value
    elif isinstance(value, str):
        kind, text = value.strip(), None
    elif isinstance(value, dict):
        unknown = set(value) - {"type", "value"}
        if unknown:
            raise FormatError(f"response_format has unknown key(s) {', '.join(map(repr, sorted(unknown)))}; "
                              "it takes type and value")
        kind, text = value.get("type", "text"), value.get("value")
    else:
        raise FormatError(f"response_format must be a type name or a table of type and value (got {value!r})")
    if kind not in FORMAT_TYPES:
        raise FormatError(f"response_format type must be one of {', '.join(FORMAT_TYPES)} (got {kind!r})")
    if kind not in VALUED_TYPES:
        if text not in (None, ""):
            raise FormatError(f"response_format {kind} takes no value (got {text!r})")
        return ResponseFormat(cast(FormatType, kind))
    if kind == "json_schema" and isinstance(text, dict):
        text = json.dumps(text)
    if not isinstance(text, str) or not text.strip():
        raise FormatError(f"response_format {kind} needs a value: the {_NOUN[kind]}")
    if len(text) > VALUE_LIMIT:
        raise FormatError(f"response_format {kind}: the {_NOUN[kind]} is over {VALUE_LIMIT:,} characters")
    checked = ResponseFormat(cast(FormatType, kind), text)
    grammar_of(checked)
    return checked


_NOUN = {"json_schema": "JSON Schema", "regex": "pattern", "grammar": "grammar"}


def grammar_of(response_format: ResponseFormat) -> str:
    """The llguidance grammar for a format (checked: raises FormatError with one line)."""
    from llguidance import LLMatcher

    kind, text = response_format.type, response_format.value or ""
    if kind == "json_schema":
        try:
            schema = json.loads(text)
        except json.JSONDecodeError as error:
            raise FormatError(f"JSON Schema is not valid JSON: {error.msg} at line {error.lineno}, "
                              f"column {error.colno}") from None
        if not isinstance(schema, (dict, bool)):
            raise FormatError(f"JSON Schema must be an object (got {type(schema).__name__})")
        grammar = LLMatcher.grammar_from_json_schema(schema, defaults=JSON_OPTIONS)  # type: ignore[arg-type]
    elif kind == "json":
        grammar = LLMatcher.grammar_from_json_schema({}, defaults=JSON_OPTIONS)  # type: ignore[arg-type]
    elif kind == "regex":
        grammar = LLMatcher.grammar_from_regex(text)
    elif kind == "grammar":
        grammar = LLMatcher.grammar_from_lark(_as_lark(text))
    else:
        raise FormatError("text has no grammar")
    is_error, messages = LLMatcher.validate_grammar_with_warnings(grammar)
    if is_error:
        message = one_line(messages[0] if messages else "invalid")
        if kind == "regex":  # the position is in the grammar llguidance wraps the pattern in
            message = re.sub(r"^line \d+, column \d+: | \(in regex\)", "", message)
        raise FormatError(f"{LABELS[kind]}: {message}")
    return grammar


def _as_lark(text: str) -> str:
    """A GBNF grammar (``root ::= ...``) converted to Lark; a Lark grammar as it is."""
    from llguidance.gbnf_to_lark import any_to_lark

    try:
        return any_to_lark(text)
    except Exception as error:  # noqa: BLE001 - the converter raises bare Exceptions for user errors
        raise FormatError(f"grammar (GBNF): {one_line(str(error))}") from None


def one_line(message: str) -> str:
    """llguidance's message (a header, source lines, a caret, an ``error:`` line) in one line."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    if not lines:
        return "invalid"
    details = [line for line in lines[1:] if line.startswith("error:")]
    head = re.sub(r"^at (\d+)\((\d+)\): ", r"line \1, column \2: ", lines[0].rstrip(":"))
    return "; ".join([head, *(d.removeprefix("error:").strip() for d in details)])
