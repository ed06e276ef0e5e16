"""The prompt exactly as the model receives it: the formatted text (the fill-in-the-middle
form with its special tokens) and its tokens, id by id."""

from __future__ import annotations

from dataclasses import dataclass

from playground.engine.fim import build_prompt
from playground.engine.types import GenerationRequest
from playground.runtime.engines import PlaygroundEngine


@dataclass(frozen=True)
class PromptTokens:
    """``text``: the string the tokenizer reads; ``ids``: the tokens the model reads (an empty
    prompt is the end-of-text token: a new document); ``tokens``: each id's vocabulary entry;
    ``texts``: each id's text on its own (a character split across tokens shows as U+FFFD)."""

    text: str
    ids: list[int]
    tokens: list[str]
    texts: list[str]


def prompt_tokens(engine: PlaygroundEngine, request: GenerationRequest) -> PromptTokens:
    """What ``engine`` would read for ``request`` (a ``UserError`` if it is too long to run)."""
    ids = list(engine.prepare(request).ids)
    tokenizer = engine.tokenizer
    return PromptTokens(build_prompt(request.prompt, request.suffix), ids, list(tokenizer.convert_ids_to_tokens(ids)),
                        [tokenizer.decode([token_id]) for token_id in ids])
