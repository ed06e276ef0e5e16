"""From engine events (one call per decode step, in the worker thread) to at most one UI
message per frame: the UI never handles a message per token, and never has two waiting."""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable

from playground.engine.types import StreamEvent, TokenEvent, TokenInfo
from playground.tui.messages import TokensStreamed

FRAME_INTERVAL_S = 1 / 30


class StreamBatcher:
    """Called by the engine with each step's events; posts ``TokensStreamed`` per frame, and
    not the next one before the UI has handled the last (``TokensStreamed.handled``). A UI that
    takes longer than a frame per message (the heatmap with the inspector open on a long
    response) then gets fewer, larger messages: without this they queued up, and a key pressed
    meanwhile waited behind all of them (seconds, at a thousand tokens)."""

    def __init__(self, post: Callable[[TokensStreamed], object], interval: float = FRAME_INTERVAL_S,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self._post = post
        self._interval = interval
        self._clock = clock
        self._started = clock()
        self._first_token_s: float | None = None
        #: The most tokens a row had in the call that brought the first: 1, or a branch's given
        #: tokens (all in one call), which the live rate leaves out as the finished one does.
        self._first_tokens = 1
        self._last_post = self._started
        self._texts: dict[int, list[str]] = defaultdict(list)
        self._tokens: dict[int, int] = defaultdict(int)
        self._token_chars: dict[int, list[int]] = defaultdict(list)
        self._token_ids: dict[int, list[int]] = defaultdict(list)
        self._infos: dict[int, list[TokenInfo | None]] = defaultdict(list)
        self.posted = 0
        #: Taken by the worker (events, the last flush) and the UI (``handled``).
        self._lock = threading.RLock()
        self._unhandled = False

    def __call__(self, events: list[StreamEvent]) -> None:
        with self._lock:
            self._take(events)

    def _take(self, events: list[StreamEvent]) -> None:
        now = self._clock()
        counts = Counter(event.row for event in events if isinstance(event, TokenEvent))
        if self._first_token_s is None and counts:  # a row's end alone (a cancel) brings no token
            self._first_token_s = now - self._started
            self._first_tokens = max(counts.values())
        for event in events:
            self._texts[event.row].append(event.text)
            if isinstance(event, TokenEvent):
                self._tokens[event.row] += 1
                self._token_chars[event.row].append(len(event.text))
                self._token_ids[event.row].append(event.token_id)
                self._infos[event.row].append(event.info)
            elif self._token_chars[event.row]:  # text released at a row's end belongs to its last token
                self._token_chars[event.row][-1] += len(event.text)
        if not self._unhandled and now - self._last_post >= self._interval:
            self._flush(now)

    def flush(self) -> None:
        """Post what is pending, handled or not (the run has ended: nothing more will come)."""
        with self._lock:
            self._flush(self._clock())

    def handled(self) -> None:
        """The UI has handled the last message: post what came since, once a frame has passed."""
        with self._lock:
            self._unhandled = False
            now = self._clock()
            if now - self._last_post >= self._interval:
                self._flush(now)

    def _flush(self, now: float) -> None:
        if not self._texts and not self._tokens:
            return
        texts = {row: "".join(parts) for row, parts in self._texts.items()}
        message = TokensStreamed(texts, dict(self._tokens), now - self._started, self._first_token_s,
                                 dict(self._token_chars), dict(self._token_ids), dict(self._infos),
                                 first_tokens=self._first_tokens)
        message.on_handled = self.handled
        self._texts.clear()
        self._tokens.clear()
        self._token_chars = defaultdict(list)
        self._token_ids = defaultdict(list)
        self._infos = defaultdict(list)
        self._last_post = now
        self.posted += 1
        # All set before posting: a UI may handle the message (and call ``handled``) before
        # ``post`` returns, on this thread when it posts synchronously (hence a re-entrant lock).
        self._unhandled = True
        self._post(message)
