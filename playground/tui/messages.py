"""What the workers tell the UI. Past tense: each reports something that has happened."""

from __future__ import annotations

from collections.abc import Callable

from textual.message import Message
from textual.worker import Worker

from playground.engine.options import LoadProgress
from playground.engine.types import GenerationResult, TokenInfo
from playground.runtime.engines import PlaygroundEngine


class _LoadMessage(Message):
    """From the load worker ``worker``: a load left behind (the demo model or another load asked
    for since cancelled it, but its thread ran on) is ``left_behind`` and changes nothing."""

    def __init__(self, worker: Worker[None] | None) -> None:
        super().__init__()
        self.worker = worker

    @property
    def left_behind(self) -> bool:
        # Read on the app's thread, where a new load cancels the old one: no race with it.
        return self.worker is not None and self.worker.is_cancelled


class ModelLoadProgressed(_LoadMessage):
    def __init__(self, progress: LoadProgress, worker: Worker[None] | None = None) -> None:
        super().__init__(worker)
        self.progress = progress


class ModelLoaded(_LoadMessage):
    def __init__(self, engine: PlaygroundEngine, description: str, worker: Worker[None] | None = None) -> None:
        super().__init__(worker)
        self.engine = engine
        self.description = description


class TokensStreamed(Message):
    """A frame's worth of generated text: per row, the new text, the new token count, and the
    number of characters each new token added (to find a token on screen), their ids, and
    what the model thought of each (None per token when the run did not ask). The handler
    calls ``handled()`` when done with it: the batcher posts the next one only then."""

    def __init__(self, texts: dict[int, str], tokens: dict[int, int], elapsed_s: float,
                 first_token_s: float | None, token_chars: dict[int, list[int]] | None = None,
                 token_ids: dict[int, list[int]] | None = None,
                 infos: dict[int, list[TokenInfo | None]] | None = None, first_tokens: int = 1) -> None:
        super().__init__()
        #: A row's tokens that came with the first (a branch's given tokens, in one call).
        self.first_tokens = first_tokens
        self.texts = texts
        self.tokens = tokens
        self.token_chars = token_chars or {}
        self.token_ids = token_ids or {}
        self.infos = infos or {}
        self.elapsed_s = elapsed_s
        self.first_token_s = first_token_s
        self.on_handled: Callable[[], None] | None = None

    def handled(self) -> None:
        if self.on_handled is not None:
            self.on_handled()


class GenerationFinished(Message):
    def __init__(self, result: GenerationResult) -> None:
        super().__init__()
        self.result = result


class WorkerFailed(Message):
    """A worker ended in an error; ``message`` is the one line to show."""

    def __init__(self, group: str, message: str) -> None:
        super().__init__()
        self.group = group
        self.message = message
