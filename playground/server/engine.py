"""``ServerEngine``: the ``PlaygroundEngine`` that runs on an OpenAI-compatible server (vLLM).

The front-ends hold it exactly as they hold the in-process engine. The prompt is built here
(FIM with StarCoder2's special tokens), tokenized by the server (``/tokenize``), and sent as
token ids; the server's model and context window are read from ``/v1/models``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from playground.engine.fim import ENDOFTEXT, FILE_SEP, STARCODER2_SPECIAL_TOKENS, build_prompt, special_token_warnings
from playground.engine.handle import GenerationHandle
from playground.engine.options import LoadOptions, LoadProgress
from playground.engine.seeds import draw_seed, row_seeds
from playground.engine.types import EventSink, GenerationRequest, GenerationResult
from playground.errors import UserError
from playground.params import SamplingParams
from playground.runtime.engines import ProgressCallback
from playground.server.address import checked_url
from playground.server.branch import Branch, check_branch, check_replayable, given_tokens
from playground.server.connection import ServerConnection
from playground.server.generation import ServerGeneration
from playground.server.models import choose_model
from playground.server.rows import ServerRow, row_limit
from playground.server.tokens import ServerTokenizer


@dataclass(frozen=True)
class ServerDevice:
    """Where the model runs: the server's address (no credentials), as sessions record it."""

    type: str


@dataclass(frozen=True)
class ServerLoaded:
    """What the server serves, as the front-ends show it (``LoadedInfo``)."""

    name: str
    url: str
    context_window: int
    load_s: float
    revision: str | None = None
    dtype: str = "server"
    quantize: str = "none"
    is_demo: bool = False
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def device(self) -> ServerDevice:
        return ServerDevice(self.url)

    def describe(self) -> str:
        return f"{self.name} on {self.url} · context {self.context_window:,} tokens"


@dataclass(frozen=True)
class ServerPrompt:
    ids: list[int]
    warnings: list[str]


class ServerEngine:
    """Counts tokens with the server's tokenizer and generates on the server; one generation
    at a time per caller, steered through its handle like the in-process engine."""

    def __init__(self, connection: ServerConnection, loaded: ServerLoaded) -> None:
        self.connection = connection
        self.loaded = loaded
        self.tokenizer = ServerTokenizer(connection, loaded.name)
        self.context_window = loaded.context_window

    @property
    def name(self) -> str:
        return self.loaded.name

    def count_tokens(self, text: str) -> int:
        return self.tokenizer.count(text)

    def prepare(self, request: GenerationRequest) -> ServerPrompt:
        ids = self.tokenizer.encode(build_prompt(request.prompt, request.suffix))
        if not ids:
            ids = self.tokenizer.encode(STARCODER2_SPECIAL_TOKENS[0])  # an empty prompt starts a new document
        if len(ids) >= self.context_window:
            raise UserError(f"the prompt is {len(ids):,} tokens but the server's context window is "
                            f"{self.context_window:,}: shorten it to at most {self.context_window - 1:,} tokens")
        texts = [request.prompt] + ([request.suffix] if request.suffix else [])
        return ServerPrompt(ids, special_token_warnings(texts, STARCODER2_SPECIAL_TOKENS))

    def generate(self, request: GenerationRequest, on_event: EventSink | None = None,
                 handle: GenerationHandle | None = None) -> GenerationResult:
        prepared = self.prepare(request)
        branch = self._branch(request, len(prepared.ids))
        check_replayable(request)
        base_seed = request.params.seed if request.params.seed is not None else draw_seed()
        room = self.context_window - len(prepared.ids)
        rows = [ServerRow(index, params, seed, room, row_limit(params, room))
                for index, (params, seed) in enumerate(zip(request.row_params(), row_seeds(base_seed, request)))]
        end_ids = self._fim_end_ids() if request.is_fim else []
        generation = ServerGeneration(self.connection, self.name, request, prepared.ids, rows, end_ids,
                                      self.tokenizer, _response_format, branch)
        clock = generation.run(on_event, handle or GenerationHandle())
        params = request.params.replace(seed=base_seed)
        if params.max_new_tokens is None:
            params = params.replace(max_new_tokens=rows[0].limit)
        return GenerationResult(self.name, len(prepared.ids), params,
                                [row.result(request.logprobs is not None) for row in rows],
                                clock.timings(self.loaded.load_s), columns=request.columns,
                                live_changes=generation.live_changes,
                                warnings=generation.warnings + prepared.warnings)

    def _branch(self, request: GenerationRequest, prompt_tokens: int) -> Branch | None:
        """A branch's given tokens, checked as in process, with their texts; None for a plain run."""
        given = given_tokens(request)
        if not given:
            return None
        end_ids = frozenset(self.tokenizer.encode(ENDOFTEXT) + (self._fim_end_ids() if request.is_fim else []))
        check_branch(request, prompt_tokens, self.context_window, end_ids)
        return Branch(given, self.tokenizer.pieces.given_texts(given), end_ids)

    def _fim_end_ids(self) -> list[int]:
        """``<file_sep>`` ends a fill too (end-of-text always does), when the model has it as one token."""
        ids = self.tokenizer.encode(FILE_SEP)
        return ids if len(ids) == 1 else []


def _response_format(params: SamplingParams) -> dict[str, Any] | None:
    """The row's response format as ``{"type", "value"}``; None for plain text."""
    response_format = params.response_format
    return None if response_format.type == "text" else response_format.to_json()


def open_server(options: LoadOptions, progress: ProgressCallback) -> ServerEngine:
    """Connect to ``options.server``, pick the model, read its context window."""
    if options.server is None:
        raise UserError("no server given: use --server URL")
    started = time.perf_counter()
    connection = ServerConnection(checked_url(options.server))
    progress(LoadProgress(f"connecting to {connection.shown_url}"))
    try:
        model, window = choose_model(connection.get("/v1/models"), options.server_model, connection.shown_url)
    except BaseException:
        connection.close()
        raise
    loaded = ServerLoaded(model, connection.shown_url, window, time.perf_counter() - started)
    return ServerEngine(connection, loaded)
