"""Which of the server's models to use, and its context window, from ``/v1/models``."""

from __future__ import annotations

from typing import Any

from playground.errors import UserError
from playground.server.connection import ServerError

#: When a server does not say (an OpenAI-compatible server other than vLLM): StarCoder2's.
DEFAULT_CONTEXT = 16_384


def choose_model(listing: Any, wanted: str | None, where: str) -> tuple[str, int]:
    """``(model id, context window)``: ``wanted`` if the server serves it, else its only model;
    one line naming the choices when it serves several and none was named."""
    entries = listing.get("data") if isinstance(listing, dict) else None
    if not isinstance(entries, list):
        raise ServerError(f"{where}/v1/models did not list models: is it an OpenAI-compatible server?")
    models = {str(entry["id"]): entry for entry in entries if isinstance(entry, dict) and "id" in entry}
    names = ", ".join(sorted(models)) or "none"
    if wanted is not None:
        if wanted not in models:
            raise UserError(f"the server at {where} does not serve {wanted!r}: it serves {names}")
        chosen = wanted
    elif len(models) == 1:
        chosen = next(iter(models))
    elif not models:
        raise ServerError(f"the server at {where} serves no model")
    else:
        raise UserError(f"the server at {where} serves several models ({names}): choose one with --server-model NAME")
    window = models[chosen].get("max_model_len")
    return chosen, window if isinstance(window, int) and window > 1 else DEFAULT_CONTEXT
