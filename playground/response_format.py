"""The ``response_format`` parameter: what the response must be (any text, JSON, a JSON Schema's
instance, a regex's full match or a grammar's sentence), checked without a model.

The format's text is compiled by llguidance (see the README's evaluation), imported only when
a format other than ``text`` is checked: the playground starts without it.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any, Literal, cast

from playground.errors import UserError
from playground.visible import CONTROL_PICTURES

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
        shown = " ".join(self.value.split()).translate(CONTROL_PICTURES)  # no ESC reaches a terminal
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
    if text is not None and not isinstance(text, str):
        raise FormatError(f"response_format {kind}: the {_NOUN[kind]} must be text (got {type(text).__name__})")
    if not text or (kind != "regex" and not text.strip()):  # a pattern of spaces matches spaces
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
        if schema is False:
            raise FormatError("JSON Schema false allows no value at all: give an object schema")
        if schema is True:  # the schema every value satisfies; llguidance's options need an object
            schema = {}
        if not isinstance(schema, dict):
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
            if message.startswith('invalid regex "') and '": ' in message:  # the pattern as typed, cut
                shown = json.dumps(text, ensure_ascii=False)  # (llguidance shows it escaped for Lark)
                shown = shown if len(shown) <= 60 else f"{shown[:30]}…{shown[-29:]}"
                message = f"invalid regex {shown}: {message.rpartition(chr(34) + ': ')[2]}"
        raise FormatError(f"{LABELS[kind]}: {message}")
    _check_not_empty(grammar, kind)
    return grammar


def _check_not_empty(grammar: str, kind: str) -> None:
    """Refuse a format that no response can satisfy (a ``$ref`` cycle, a rule that only ever
    recurses, an empty character class): llguidance compiles it, and a matcher's first mask
    finds it. A byte-level tokenizer makes that check model-free; a grammar naming a model's
    special tokens cannot be checked without the model, so it passes here."""
    from llguidance import LLMatcher, LLParserLimits

    matcher = LLMatcher(_byte_tokenizer(), grammar, log_level=0, limits=LLParserLimits(verbose_errors=False))
    if matcher.is_error():  # the grammar names tokens a byte tokenizer lacks
        return
    matcher.compute_bitmask()
    if matcher.is_error() and "NoExtensionBias" in matcher.get_error():  # no token can start a response
        raise FormatError(f"{LABELS[kind]}: no text can satisfy it (a $ref cycle, a rule that only "
                          "recurses, an empty character class?): change it so some finite text matches")
    if matcher.is_error():
        raise FormatError(f"{LABELS[kind]}: {one_line(matcher.get_error())}")


@functools.cache
def _byte_tokenizer() -> Any:
    """An llguidance tokenizer of the 256 bytes and an end token: enough to run a grammar
    without a model (llguidance has no tokenizer-free check of a grammar's language)."""
    from llguidance import LLTokenizer, TokenizerWrapper

    class Bytes:
        eos_token_id = 256
        bos_token_id = None
        tokens = [bytes([byte]) for byte in range(256)] + [b"<end>"]
        special_token_ids = [256]

        def __call__(self, text: bytes) -> list[int]:
            return list(text)

    return LLTokenizer(TokenizerWrapper(Bytes()))


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
    head = re.sub(r"^(?:at )?(\d+)\((\d+)\): ", r"line \1, column \2: ", lines[0].rstrip(":"))
    return "; ".join([head, *(d.removeprefix("error:").strip() for d in details)])
