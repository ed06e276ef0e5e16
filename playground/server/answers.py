"""The server's answers to its tokenizer endpoints, checked: a field of the wrong shape is one
``ServerError`` line naming the endpoint, never an ``AttributeError`` from deep in a run.

vLLM answers ``/tokenize`` with ``{"tokens": [int, ...], "count": int, ...}`` and ``/detokenize``
with ``{"prompt": str}``; anything else (a list, a string id, a text that is not a string) is a
server that is not the one we expect, and is named as such.
"""

from __future__ import annotations

from typing import Any

from playground.server.connection import ServerError
from playground.server.wire import token_id
from playground.visible import valid_text


def _not_understood(where: str, endpoint: str, what: str) -> ServerError:
    return ServerError(f"{where}{endpoint} answered {what}: is it an OpenAI-compatible (vLLM) server?")


def tokenized(answer: Any, where: str) -> tuple[list[int], list[str]]:
    """``/tokenize``'s token ids and (when it sent them) their strings."""
    tokens = answer.get("tokens", []) if isinstance(answer, dict) else None
    if not isinstance(tokens, list):
        raise _not_understood(where, "/tokenize", "without a list of tokens")
    try:
        ids = [token_id(token) for token in tokens]
    except ValueError as error:
        raise _not_understood(where, "/tokenize", f"a token that is not one ({error})") from None
    strings = answer.get("token_strs") or []
    return ids, [valid_text(str(string)) for string in strings] if isinstance(strings, list) else []


def token_count(answer: Any, where: str) -> int:
    """``/tokenize``'s count (the tokens' number when it sends no count)."""
    count = answer.get("count") if isinstance(answer, dict) else None
    if count is None:
        return len(tokenized(answer, where)[0])
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise _not_understood(where, "/tokenize", f"a count that is not one ({count!r})")
    return count


def detokenized(answer: Any, where: str) -> str:
    """``/detokenize``'s text."""
    text = answer.get("prompt") if isinstance(answer, dict) else None
    if not isinstance(text, str):
        raise _not_understood(where, "/detokenize", "without a text")
    return valid_text(text)
