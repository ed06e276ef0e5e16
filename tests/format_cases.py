"""Formats the response-format tests share, each with an independent check of its language."""

from __future__ import annotations

import ast
import json
import re

import jsonschema

SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 6},
        "age": {"type": "integer", "minimum": 3, "maximum": 77},
        "role": {"enum": ["admin", "user", "guest"]},
        "grid": {"type": "array", "maxItems": 2,
                 "items": {"type": "array", "maxItems": 2, "items": {"type": "integer", "minimum": 0, "maximum": 9}}},
    },
    "required": ["name", "age", "role", "grid"],
    "additionalProperties": False,
}
SCHEMA_FORMAT = {"type": "json_schema", "value": json.dumps(SCHEMA)}
REGEX = r"[a-z]{2,5}(_[0-9]{1,3})?"
REGEX_FORMAT = {"type": "regex", "value": REGEX}
#: Arithmetic over small positive integers: every sentence is a Python expression of ints.
LARK = r"""start: expr
expr: term (("+" | "-") term)*
term: factor (("*" | "/") factor)*
factor: NUMBER | "(" expr ")"
NUMBER: /[1-9][0-9]?/
"""
GRAMMAR_FORMAT = {"type": "grammar", "value": LARK}
GBNF_FORMAT = {"type": "grammar", "value": 'root ::= "yes" | "no" | "maybe " [0-9]'}


def is_arithmetic(text: str) -> bool:
    """A sentence of LARK, checked with Python's own parser (not the grammar under test)."""
    if not re.fullmatch(r"[0-9+\-*/()]+", text):
        return False
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return False
    allowed = (ast.Expression, ast.BinOp, ast.Constant, ast.Add, ast.Sub, ast.Mult, ast.Div)
    return all(isinstance(node, allowed) for node in ast.walk(tree)) and \
        all(isinstance(node.value, int) and 1 <= node.value <= 99 for node in ast.walk(tree)
            if isinstance(node, ast.Constant))


def is_schema_instance(text: str) -> bool:
    try:
        jsonschema.validate(json.loads(text), SCHEMA)
    except (ValueError, jsonschema.ValidationError):
        return False
    return True


def is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


CHECKS = {
    "json": ({"type": "json"}, is_json),
    "json_schema": (SCHEMA_FORMAT, is_schema_instance),
    "regex": (REGEX_FORMAT, lambda text: re.fullmatch(REGEX, text) is not None),
    "grammar": (GRAMMAR_FORMAT, is_arithmetic),
    "gbnf": (GBNF_FORMAT, lambda text: re.fullmatch(r"yes|no|maybe [0-9]", text) is not None),
}
