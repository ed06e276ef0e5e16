"""The engine as the front-ends see it: a Protocol that the real ``Engine`` and test engines satisfy.

The front-ends hold a ``PlaygroundEngine``, never the concrete class, so they import no torch
and a scripted engine can stand in for the model in tests and benchmarks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeAlias

from playground.engine.handle import GenerationHandle
from playground.engine.options import LoadOptions, LoadProgress
from playground.engine.types import EventSink, GenerationRequest, GenerationResult


class DeviceInfo(Protocol):
    """``torch.device`` as far as the front-ends care."""

    @property
    def type(self) -> str: ...


class LoadedInfo(Protocol):
    """What was loaded (``playground.engine.loading.LoadedModel``): name, device, precision."""

    @property
    def name(self) -> str: ...

    @property
    def revision(self) -> str | None: ...

    @property
    def device(self) -> DeviceInfo: ...

    @property
    def dtype(self) -> str: ...

    @property
    def quantize(self) -> str: ...

    @property
    def load_s(self) -> float: ...

    @property
    def is_demo(self) -> bool: ...

    @property
    def warnings(self) -> tuple[str, ...]:
        """One line each, shown once after loading: what was ignored, what will be slow."""
        ...

    def describe(self) -> str: ...


class TokenizerInfo(Protocol):
    """The tokenizer as far as the front-ends care: token ids back to text."""

    def convert_ids_to_tokens(self, ids: list[int]) -> list[str]: ...

    def decode(self, token_ids: list[int]) -> str: ...


class PreparedInfo(Protocol):
    """A prompt as the model will read it (``playground.engine.engine.PreparedPrompt``)."""

    @property
    def ids(self) -> list[int]: ...


class PlaygroundEngine(Protocol):
    """Counts tokens and generates; one generation at a time, steered through its handle."""

    @property
    def name(self) -> str: ...

    @property
    def context_window(self) -> int: ...

    @property
    def loaded(self) -> LoadedInfo: ...

    @property
    def tokenizer(self) -> TokenizerInfo: ...

    def count_tokens(self, text: str) -> int: ...

    def prepare(self, request: GenerationRequest) -> PreparedInfo: ...

    def generate(self, request: GenerationRequest, on_event: EventSink | None = None,
                 handle: GenerationHandle | None = None) -> GenerationResult: ...


ProgressCallback: TypeAlias = Callable[[LoadProgress], None]
#: Opens an engine (in a worker thread): (options, progress callback) -> engine.
EngineLoader: TypeAlias = Callable[[LoadOptions, ProgressCallback], PlaygroundEngine]
