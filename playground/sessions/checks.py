"""Reading typed fields out of parsed JSON, naming the field in every error.

Hand-written rather than pydantic or jsonschema: the schema is a dozen small records, the
errors must be one line in our words (``runs[2].responses[0].text must be a string``), the
parameter ranges come from ``params.py``, and the import must cost nothing before the first
frame.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from playground.params import ParamError, SamplingParams

T = TypeVar("T")

#: Long enough for any real name, prompt-derived title or timestamp; short enough to show.
SHORT_TEXT = 500


class Invalid(Exception):
    """A field that is missing or wrong; the message starts with the field's place."""


def kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Invalid(f"{where} must be an object (got {kind(value)})")
    return value


def field(data: dict[str, Any], key: str, where: str) -> Any:
    if key not in data:
        raise Invalid(f"{join(where, key)} is missing")
    return data[key]


def join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def text(data: dict[str, Any], key: str, where: str = "", *, optional: bool = False, limit: int | None = None,
         default: str | None = None) -> str | None:
    if optional and data.get(key) is None:
        return default
    value = field(data, key, where)
    if not isinstance(value, str):
        raise Invalid(f"{join(where, key)} must be a string (got {kind(value)})")
    if limit is not None and len(value) > limit:
        raise Invalid(f"{join(where, key)} is longer than {limit} characters")
    return value


def required_text(data: dict[str, Any], key: str, where: str = "", *, limit: int | None = None) -> str:
    value = text(data, key, where, limit=limit)
    assert value is not None
    return value


def boolean(data: dict[str, Any], key: str, where: str = "") -> bool:
    value = field(data, key, where)
    if not isinstance(value, bool):
        raise Invalid(f"{join(where, key)} must be true or false (got {kind(value)})")
    return value


def integer(data: dict[str, Any], key: str, where: str = "", low: int = 0, high: int = 2**63 - 1) -> int:
    return whole(field(data, key, where), join(where, key), low, high)


def whole(value: Any, where: str, low: int = 0, high: int = 2**63 - 1) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid(f"{where} must be a whole number (got {kind(value)})")
    if not low <= value <= high:
        raise Invalid(f"{where} must be between {low} and {high} (got {value})")
    return value


def seconds(data: dict[str, Any], key: str, where: str) -> float:
    value = field(data, key, where)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise Invalid(f"{join(where, key)} must be a number of at least 0 (got {value!r})")
    return float(value)


def timestamp(data: dict[str, Any], key: str, where: str = "") -> str:
    value = required_text(data, key, where, limit=64)
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{join(where, key)} must be an ISO 8601 time (got {value!r})") from None
    return value


def array(data: dict[str, Any], key: str, where: str = "", *, optional: bool = False) -> list[Any] | None:
    if optional and data.get(key) is None:
        return None
    value = field(data, key, where)
    if not isinstance(value, list):
        raise Invalid(f"{join(where, key)} must be an array (got {kind(value)})")
    return value


def items(data: dict[str, Any], key: str, where: str, read: Callable[[Any, str], T]) -> list[T]:
    """Every element of the array ``data[key]``, each read with its own place in errors."""
    values = array(data, key, where) or []
    place = join(where, key)
    return [read(value, f"{place}[{index}]") for index, value in enumerate(values)]


def string_table(data: dict[str, Any], key: str, where: str = "") -> dict[str, str]:
    value = obj(field(data, key, where), join(where, key))
    for name, entry in value.items():
        if not isinstance(entry, str) or len(entry) > SHORT_TEXT:
            raise Invalid(f"{join(where, key)}.{name} must be a short string (got {kind(entry)})")
    return dict(value)


def params(value: Any, where: str) -> SamplingParams:
    """A parameter table, checked by ``params.py`` (names, types, ranges)."""
    table = obj(value, where)
    try:
        return SamplingParams.make({k: v for k, v in table.items() if k != "columns"})
    except ParamError as error:
        raise Invalid(f"{where}: {error}") from None
