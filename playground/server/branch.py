"""A branch on a server: a row that starts from given tokens (an earlier response's first ones,
then the chosen alternative, forced).

The server cannot be told to take tokens as if it had generated them, so they go where a live
change's tokens so far go: into the row, and from there into the request's prompt
(``ServerGeneration._start`` sends the prompt and the row's tokens). The row shows them first,
as in process, with each token's text as the in-process detokenizer streams it; when
probabilities are asked for, the request echoes its prompt's (vLLM's ``echo``) and the given
tokens take theirs from that first chunk, so they cost no request of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from playground.engine.decode_setup import DecodeSetup, check_setup
from playground.engine.detok import StopMatcher
from playground.engine.types import GenerationRequest, StreamEvent, TokenEvent, TokenInfo
from playground.errors import UserError
from playground.server.rows import ServerRow
from playground.server.wire import MAX_TOKEN_ID

#: The vocabulary's size is the server's to check (``check_branch``).
_ANY_VOCABULARY = 2**62


@dataclass(frozen=True)
class Branch:
    """What every row of a branch starts from: the given tokens, their texts as they stream,
    and the tokens that end a response (the forced token may be one)."""

    given: list[int]
    texts: list[str]
    end_ids: frozenset[int]


def given_tokens(request: GenerationRequest) -> list[int]:
    """A branch's given tokens: the prefix, then the forced token when there is one."""
    return [*request.prefix_tokens, *([] if request.forced_token is None else [request.forced_token])]


def check_branch(request: GenerationRequest, prompt_tokens: int, context_window: int,
                 end_ids: frozenset[int]) -> None:
    """One line for a branch no server can run: the in-process engine's checks (but the
    vocabulary's, which the server makes: a token id it lacks is its 400, in one line), and a
    response format, which vLLM starts at the first token it generates and cannot continue
    from given tokens (sent as its prompt, they would be followed by a new instance of it)."""
    bad = [token for token in given_tokens(request) if not 0 <= token <= MAX_TOKEN_ID]
    if bad:  # (check_setup would name the vocabulary as 0..2**62, which only the server knows)
        raise UserError(f"token id {bad[0]} is not a token id: ids are whole numbers from 0 up")
    check_setup(DecodeSetup.from_request(request), _ANY_VOCABULARY, prompt_tokens, context_window, end_ids)
    constrained = next((p.response_format for p in request.row_params() if p.response_format.constrained), None)
    if constrained is not None:
        raise UserError(f"a branch with a response format ({constrained.label()}) runs in process only: vLLM "
                        "starts a format at the first token it generates and cannot continue one from given "
                        "tokens; set the format to text to branch on the server")


def check_replayable(request: GenerationRequest) -> None:
    """One line for a replay whose recorded live changes fall in a response with a format: each
    would continue in a new request, where vLLM starts the format over."""
    rows = request.row_params()
    changed = sorted({change.row for change in request.scheduled
                      if 0 <= change.row < len(rows) and rows[change.row].response_format.constrained})
    if changed:
        raise UserError(f"response {changed[0] + 1} has a response format and live changes: on a server it cannot "
                        "replay them (vLLM would start the format over); replay it in process")


def take_given(row: ServerRow, given: Sequence[int], texts: Sequence[str], end_ids: frozenset[int],
               unshown: Callable[[list[int]], str]) -> list[StreamEvent]:
    """The row takes the given tokens as generated ones (events without information yet): the
    forced token may end it (an end token, the row's limit, or a stop sequence its text
    completes), as in process. Text a stop sequence might start with waits for the next token.
    ``unshown(ids)``: the text of ``ids`` the row has not shown yet, released when the row ends
    here (what the stop matcher held, and an unfinished character, as U+FFFD)."""
    stopper = StopMatcher(row.params.stop)
    events: list[StreamEvent] = []
    for token_id, text in zip(given, texts):
        if token_id in end_ids:  # only the forced token can be one (check_setup refuses the rest)
            events += row.accept("", [token_id], [None])
            events.append(row.finish("eos_token", unshown(row.token_ids[:-1])))
            return events
        events += row.accept(stopper.feed(text), [token_id], [None])
        if stopper.stopped:
            events.append(row.finish("stop_sequence"))
            return events
        if len(row.token_ids) >= row.limit:
            events.append(row.finish("length", unshown(row.token_ids)))
            return events
    row.pending += stopper.flush()
    return events


def with_infos(row: ServerRow, events: Sequence[StreamEvent], infos: Sequence[TokenInfo | None]) -> list[StreamEvent]:
    """The given tokens' events again, each with its information (also kept in the row)."""
    row.infos[:len(infos)] = list(infos)
    remaining = iter(infos)
    return [replace(event, info=next(remaining, None)) if isinstance(event, TokenEvent) else event
            for event in events]
