"""A generation on a server: rows streamed side by side, cancelled, and steered mid-stream.

A live change cannot reach a request the server is already running, so the row's stream is
ended and a new request continues from the tokens so far (prompt + generated ids, which
vLLM's prefix cache makes cheap to read again) with the new parameters. The change is
recorded at the token where it took effect, as in process; tokens the old request sent after
that point are dropped. A replay sets each stream's ``max_tokens`` to end exactly where the
next recorded change is due, so it restarts at the same token.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from typing import Any

from playground.engine.clock import GenerationClock
from playground.engine.detok import StopMatcher
from playground.engine.handle import GenerationHandle, ParamChange
from playground.engine.types import EventSink, GenerationRequest, LiveChange, StreamEvent, TokenEvent, TokenInfo
from playground.server.branch import Branch, take_given, with_infos
from playground.server.connection import QUESTION_TIMEOUT_S, ServerConnection, ServerError
from playground.server.rows import ServerRow
from playground.server.streams import COMPLETIONS, Chunk, Ended, RowStream, StreamItem
from playground.server.texts import RememberedDecode, ends_inside_a_character, held_back, resynced
from playground.server.tokens import ServerTokenizer
from playground.server.wire import completion_body, finish_reason, logprob_ids, split_echo, token_id, token_infos
from playground.visible import valid_text

#: How often the loop looks at the handle while no chunk arrives: a cancel or a change waits
#: at most this long (a chunk arrives every token on a working server, which wakes it sooner).
_HANDLE_POLL_S = 0.05
#: How long ending a generation waits for each stream to close its connection.
_STOP_WAIT_S = 5.0
#: A live change continues from the tokens so far in a new request, and vLLM starts a response
#: format's grammar at a request's first generated token: the format would start over.
FORMAT_KEEPS_ITS_PARAMETERS = ("on a server, a response with a format keeps its parameters while it streams "
                               "(vLLM would start the format over): the change applies from the next run")


class ServerGeneration:
    """The rows of one request, their streams, and the live changes applied to them."""

    def __init__(self, connection: ServerConnection, model: str, request: GenerationRequest, prompt_ids: list[int],
                 rows: list[ServerRow], end_ids: Sequence[int], tokenizer: ServerTokenizer,
                 response_format: Callable[[Any], Any], branch: Branch | None = None) -> None:
        self.connection, self.model, self.request = connection, model, request
        self.prompt_ids, self.rows, self.end_ids = prompt_ids, rows, list(end_ids)
        self.pieces, self.decode, self.response_format = tokenizer.pieces, RememberedDecode(tokenizer.decode), \
            response_format
        self.branch = branch
        self.live_changes: list[LiveChange] = []
        self.warnings: list[str] = []
        self._queue: queue.Queue[StreamItem] = queue.Queue()
        self._streams: dict[int, RowStream] = {}
        #: A branch's given tokens' events, per row, waiting for their information (the echo).
        self._given: dict[int, list[StreamEvent]] = {}

    def run(self, on_event: EventSink | None, handle: GenerationHandle) -> GenerationClock:
        started = time.perf_counter()
        first = last = None
        emit = on_event or (lambda events: None)
        constrained = [row.index for row in self.rows if row.params.response_format.constrained]
        handle.refuse_changes(constrained, FORMAT_KEEPS_ITS_PARAMETERS)
        try:
            for row in self.rows:
                given = self._take_given(row)
                if given:
                    emit(given)
                if row.running:
                    self._apply(row, self._due(row))
                    self._start(row)
            backlog: list[StreamItem] = []
            while any(row.running for row in self.rows):
                if handle.cancelled:
                    emit(self._cancel_all())
                    break
                self._take_changes(handle)
                if not backlog:
                    try:
                        backlog = self._waiting(self._queue.get(timeout=_HANDLE_POLL_S))
                    except queue.Empty:
                        continue
                item = backlog.pop(0)
                events = self._handle(item)
                if isinstance(item, Chunk) and any(isinstance(event, TokenEvent) for event in events):
                    last = item.received
                    first = first or last
                if events:
                    emit(events)
        finally:
            self._stop_all()
        # Steps as in process: the longest row's tokens (a chunk may carry several), the given
        # tokens of a branch left out (the server did not generate them).
        given_count = len(self.branch.given) if self.branch is not None else 0
        steps = max((len(row.token_ids) - given_count for row in self.rows), default=0)
        return GenerationClock(started, 0.0, 0.0, first, last, time.perf_counter(), steps, rate_over_request=True)

    def _waiting(self, item: StreamItem) -> list[StreamItem]:
        """``item`` and every item queued behind it, the texts of the tokens their information
        names learnt in one request (none with a local tokenizer): a client that falls behind
        asks once for many chunks, not once each. (An echoed chunk learns only what it shows.)"""
        items = [item]
        with suppress(queue.Empty):
            while True:
                items.append(self._queue.get_nowait())
        if self.request.logprobs is not None and not self.pieces.is_local:
            named: set[int] = set()
            for chunk in items:
                # A chunk of the wrong shape is reported when it is handled, not here.
                with suppress(AttributeError, TypeError, ValueError):
                    if isinstance(chunk, Chunk) and not chunk.choice.get("prompt_token_ids"):
                        named |= logprob_ids(chunk.choice.get("logprobs"))
            self.pieces.resolve(named)
        return items

    # ------------------------------------------------------------------ streams
    def _start(self, row: ServerRow) -> None:
        row.epoch += 1
        row.answered = False
        inside = ends_inside_a_character(self.decode, row.token_ids)
        row.continued_from = len(row.token_ids) if inside else None
        # vLLM looks for stops in the whole prompt's text then (``texts``): the row looks for them.
        row.stopper = StopMatcher(row.params.stop) if inside and row.params.stop else None
        params = row.params.replace(stop=()) if row.stopper is not None else row.params
        budget = row.limit - len(row.token_ids)
        due = [c.at_token for c in self.request.scheduled
               if c.row == row.index and c.at_token > len(row.token_ids)]
        if due:  # a replay: end this request where the next recorded change is due
            budget = min(budget, min(due) - len(row.token_ids))
        body = completion_body(self.model, self.prompt_ids + row.token_ids, params, seed=row.seed,
                               max_tokens=budget, end_ids=self.end_ids, logprobs=self.request.logprobs,
                               response_format=self.response_format(row.params), echo=row.index in self._given)
        self._streams[row.index] = RowStream(self.connection, body, row.index, row.epoch, self._queue).start()

    def _restart(self, row: ServerRow) -> None:
        self._end_stream(row)
        self._start(row)

    def _end_stream(self, row: ServerRow) -> None:
        stream = self._streams.pop(row.index, None)
        if stream is not None:
            stream.stop()

    def _stop_all(self) -> None:
        streams, self._streams = list(self._streams.values()), {}
        for stream in streams:
            stream.stop()
        for stream in streams:
            # Each closes its connection at its next chunk (a token away on a working server),
            # and the server aborts what it still runs; a hung server is not waited for.
            stream.join(_STOP_WAIT_S)

    def _cancel_all(self) -> list[StreamEvent]:
        return [event for row in self.rows if row.running
                for event in [*self._given.pop(row.index, []), row.finish("cancelled", held_back(self.decode, row))]]

    # ------------------------------------------------------------------ chunks
    def _handle(self, item: StreamItem) -> list[StreamEvent]:
        row = self.rows[item.row]
        if item.epoch != row.epoch or not row.running:
            return []  # from a request a live change ended: its tokens came after the change
        if isinstance(item, Ended):
            return self._ended(row, item)
        try:
            return self._chunk(row, item)
        except (AttributeError, TypeError, ValueError, KeyError) as error:  # not the shape vLLM sends
            self._end_stream(row)
            return self._ended(row, Ended(row.index, row.epoch, self._malformed(error), len(row.token_ids)))

    def _malformed(self, error: Exception) -> ServerError:
        return ServerError(f"the server at {self.connection.shown_url} sent a chunk that is not a completion "
                           f"({type(error).__name__}: {error}): is it an OpenAI-compatible server?")

    def _echoed_length(self, row: ServerRow, choice: dict[str, Any]) -> int:
        """The echoed prompt's length, which must be the prompt sent (with the given tokens): the
        information is split there, and a server echoing another prompt would shift it."""
        sent = len(self.prompt_ids) + len(row.token_ids)
        echoed = choice.get("prompt_token_ids")
        if echoed is not None and not isinstance(echoed, list):
            raise ValueError(f"its echoed prompt_token_ids {str(echoed)[:40]!r} is not a list of tokens")
        if echoed is not None and len(echoed) != sent:
            raise ValueError(f"it echoed a prompt of {len(echoed)} tokens for one of {sent}")
        return sent

    def _chunk(self, row: ServerRow, chunk: Chunk) -> list[StreamEvent]:
        choice = chunk.choice
        ids = [token_id(token) for token in choice.get("token_ids") or ()]
        room = row.limit - len(row.token_ids)
        ids = ids[:room]
        text = valid_text(str(choice.get("text") or ""))
        if row.continued_from is not None and text:
            text = resynced(self.decode, row, row.continued_from, ids, text)
            row.continued_from = None
        logprobs, given = choice.get("logprobs"), self._given.get(row.index, [])
        if given:  # the first chunk of a branch's first request: it echoes the prompt's information
            echoed, logprobs = split_echo(logprobs, self._echoed_length(row, choice), len(row.token_ids))
            given = with_infos(row, given, self._infos(echoed, row.token_ids))
        shown = text if row.stopper is None else row.stopper.feed(text)
        events = given + row.accept(shown, ids, self._infos(logprobs, ids, text))
        row.answered = row.answered or bool(ids)
        self._given.pop(row.index, None)
        reason = "stop_sequence" if row.stopper is not None and row.stopper.stopped else finish_reason(choice)
        if reason == "stop_sequence" and row.stopper is not None:  # the row found it: its request ends
            self._end_stream(row)
        due = self._due(row) if reason == "length" and len(row.token_ids) < row.limit else []
        if due:  # a replay's request ended where a recorded change is due: apply it, go on
            self._apply(row, due)
            self._restart(row)
        elif reason in ("length", "eos_token"):  # what the server held back: an unfinished character
            ends = row.token_ids[:-1] if reason == "eos_token" else row.token_ids  # (an end token has no text)
            events.append(row.finish(reason, held_back(self.decode, row, ends)))
        elif reason is not None:
            events.append(row.finish(reason))
        return events

    def _ended(self, row: ServerRow, ended: Ended) -> list[StreamEvent]:
        given = self._given.pop(row.index, [])  # a branch's given tokens, shown without information
        if ended.error is None:
            return [*given, row.finish("cancelled")]  # the stream ended without saying why
        given_count = len(self.branch.given) if self.branch else 0
        if ended.chunks == 0 and not any(len(other.token_ids) > given_count for other in self.rows):
            raise ended.error  # refused before anything came: the request itself is wrong
        # Another row's tokens (or this one's) are on screen: they are kept, this row is marked.
        row.broken = str(ended.error)
        self.warnings.append(f"response {row.index + 1} is cut after {len(row.token_ids)} tokens: {ended.error}; "
                             "the partial response is kept")
        return [*given, row.finish("cancelled")]

    def _infos(self, logprobs: Any, ids: Sequence[int], text: str = "") -> list[TokenInfo | None]:
        """Each token's information, with the texts of the tokens it names (learnt first)."""
        if self.request.logprobs is None:
            return [None] * len(ids)
        self.pieces.resolve(logprob_ids(logprobs))
        return token_infos(logprobs, ids, self.request.logprobs, self.pieces.text, text)

    # ------------------------------------------------------------------ branches
    def _take_given(self, row: ServerRow) -> list[StreamEvent]:
        """A branch's given tokens into the row: their events now, or, when probabilities are
        asked for, with the first chunk (or a request of their own when they end the row)."""
        if self.branch is None:
            return []
        events = take_given(row, self.branch.given, self.branch.texts, self.branch.end_ids,
                            lambda ids: held_back(self.decode, row, ids))
        if self.request.logprobs is None:
            return events
        if row.running:
            self._given[row.index] = events
            return []
        body = completion_body(self.model, self.prompt_ids + row.token_ids, row.params, seed=row.seed, max_tokens=0,
                               logprobs=self.request.logprobs, echo=True) | {"stream": False}
        # Nothing is generated: a short question's limit, not a stream's (Escape cannot reach it).
        answer = self.connection.post(COMPLETIONS, body, timeout=QUESTION_TIMEOUT_S)
        try:
            choice = answer["choices"][0]
            echoed, _ = split_echo(choice.get("logprobs"), self._echoed_length(row, choice), len(row.token_ids))
            return with_infos(row, events, self._infos(echoed, row.token_ids))
        except (AttributeError, TypeError, ValueError, KeyError, IndexError) as error:  # not vLLM's shape
            raise self._malformed(error) from None

    # ------------------------------------------------------------------ live changes
    def _due(self, row: ServerRow) -> list[ParamChange]:
        return [ParamChange(c.name, c.value, c.row) for c in self.request.scheduled
                if c.row == row.index and c.at_token == len(row.token_ids)]

    def _take_changes(self, handle: GenerationHandle) -> None:
        """Changes apply by ending a row's request and continuing in a new one, at most once per
        request that has sent a token: a slider held down must not restart a request over and
        over before it writes anything. Until then they wait, and apply together, the last value
        of each parameter, at the token where the new request takes over."""
        changes = handle.take_changes()
        for row in self.rows:
            mine = [change for change in changes if change.row in (None, row.index)]
            if mine and row.running and row.params.response_format.constrained:  # made before the refusal
                self.warnings.append(f"response {row.index + 1}: not changed ({', '.join(c.name for c in mine)}): "
                                     f"{FORMAT_KEEPS_ITS_PARAMETERS}")
            elif mine and row.running:
                row.waiting += mine
            # A row whose tokens reached its limit ends with the chunk that says so (it may come
            # after the last token): no token is left for a change to take effect on.
            if row.waiting and row.running and row.answered and len(row.token_ids) < row.limit:
                latest = {change.name: change for change in row.waiting}  # the last value of each
                row.waiting = []
                self._apply(row, list(latest.values()))
                row.pending += held_back(self.decode, row, final=False)
                self._restart(row)

    def _apply(self, row: ServerRow, changes: list[ParamChange]) -> None:
        """Apply changes to a row from its next token on, and record them there."""
        for change in changes:
            if change.name == "max_new_tokens":
                wanted = row.room if change.value is None else max(change.value, len(row.token_ids) + 1)
                row.limit = min(wanted, row.room)
            row.params = row.params.replace(**{change.name: change.value})
            self.live_changes.append(LiveChange(row.index, len(row.token_ids), change.name, change.value))
