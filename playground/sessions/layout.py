"""Session files as JSON that people can read and diff: objects indented one key a line, but
a list of plain values (token ids, probabilities) on one line (a list of such lists, a line
each), as ``json.dumps(indent=1)``
would spend a line on every number (a 512-token response with its probabilities took about
240 KB that way; the standard library has no option for this layout)."""

from __future__ import annotations

import json
from typing import Any


def dumps(value: Any, depth: int = 0) -> str:
    """``value`` as JSON text; ``json.loads`` reads it back unchanged."""
    inner = " " * (depth + 1)
    if isinstance(value, dict) and value:
        items = [f"{inner}{_json(str(key))}: {dumps(item, depth + 1)}"
                 for key, item in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * depth + "}"
    if isinstance(value, list) and any(isinstance(item, (dict, list)) for item in value):
        items = [inner + dumps(item, depth + 1) for item in value]
        return "[\n" + ",\n".join(items) + "\n" + " " * depth + "]"
    return _json(value)


def _json(value: Any) -> str:
    """Readable JSON (characters as they are), but with ``\\uXXXX`` escapes where a lone
    surrogate (read from a hand-edited file or a server's escape) could not be written as UTF-8."""
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return text if text.isascii() or _encodable(text) else json.dumps(value, separators=(", ", ": "))


def _encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True

