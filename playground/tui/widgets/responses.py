"""The response columns: one, or two side by side, each a ``ResponseView``."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive

from playground.engine.types import GenerationRequest, GenerationResult
from playground.runtime.describe import first_divergence, format_note
from playground.sessions.records import RunRecord
from playground.tui.columns import column_titles
from playground.tui.runs import RunState
from playground.tui.safe_text import plain
from playground.tui.state import PlaygroundState
from playground.tui.widgets.response_view import ResponseView


class ResponsesPane(Horizontal):
    """Shows a run as it streams and when it ends (its figures, the fill highlighted in place,
    where two responses diverge), or a saved run. Column titles say what differs between
    unlinked columns."""

    state: reactive[PlaygroundState] = reactive(PlaygroundState, init=False)
    """The playground's state, bound to the app's: columns, their parameters, the language."""

    def __init__(self, state: PlaygroundState) -> None:
        super().__init__(id="responses")
        self.set_reactive(ResponsesPane.state, state)
        self._streaming = False

    def compose(self) -> ComposeResult:
        yield ResponseView(0, language=self.state.language)
        yield ResponseView(1, language=self.state.language)

    @property
    def views(self) -> list[ResponseView]:
        return list(self.query(ResponseView))

    def on_mount(self) -> None:
        self.views[1].display = self.state.responses == 2
        self._show_titles()

    def watch_state(self, old: PlaygroundState, new: PlaygroundState) -> None:
        if not self.is_mounted:
            return
        for view in self.views:
            if view.language != new.language:
                view.language = new.language
        if new.responses != old.responses and not self._streaming:
            self.views[1].display = new.responses == 2
        self._show_titles()

    def _show_titles(self) -> None:
        state, views = self.state, self.views
        if state.responses == 1 and state.linked:
            views[0].border_title = "response"
            return
        for view, title in zip(views, column_titles(state.params, state.params_b, state.linked)):
            view.border_title = plain(title)  # stop sequences are typed text

    def begin(self, request: GenerationRequest) -> None:
        """Clear the columns for a new run (prefix and suffix around the hole, in FIM mode)."""
        self._streaming = True
        before, after = (request.prompt, request.suffix) if request.suffix is not None else ("", "")
        rows = len(request.row_params())
        for index, view in enumerate(self.views):
            view.display = index < rows
            view.start(before, after)
            view.remove_class("-diverged")
        self._show_titles()

    def stream(self, texts: dict[int, str]) -> None:
        views = self.views
        for row, text in texts.items():
            views[row].append(text)

    def stopped(self) -> None:
        """The run ended without a result (it failed): the columns keep what streamed."""
        self._streaming = False

    def finish(self, run: RunState) -> None:
        """The run's figures under each column, the fill highlighted if the run was a fill, and
        the first token where two responses diverge."""
        self._streaming = False
        result = run.result
        if result is None:
            return
        views = self.views
        for view, response in zip(views, result.responses):
            ending = response.finish_reason + format_note(response)
            # how it ended first: a narrow column (80×24, A/B) cuts the subtitle's end
            view.border_subtitle = f"{ending} · {len(response.token_ids)} tokens · seed {response.seed}"
            if run.request.is_fim:
                view.highlight_fill()
        if len(result.responses) == 2:
            self._mark_divergence(run, result, views)

    def _mark_divergence(self, run: RunState, result: GenerationResult, views: list[ResponseView]) -> None:
        first, second = result.responses
        at = first_divergence(first.token_ids, second.token_ids)
        if at is None:
            for view in views:
                view.border_subtitle = f"{view.border_subtitle or ''} · identical"
            return
        for row, view in enumerate(views[:2]):
            chars = run.token_chars[row]
            length = chars[at] if at < len(chars) else 0
            view.mark_divergence(run.char_offset(row, at), max(length, 1), at)

    def show_saved(self, run: RunRecord) -> None:
        """A run from a session file, as it was recorded."""
        before, after = (run.prompt, run.suffix) if run.suffix is not None else ("", "")
        for index, view in enumerate(self.views):
            view.display = index < len(run.responses)
            view.start(before, after)
            if index < len(run.responses):
                response = run.responses[index]
                view.append(response.text)
                view.border_subtitle = plain(f"{len(response.token_ids)} tokens · {response.finish_reason} (saved)")

    def clear(self) -> None:
        for view in self.views:
            view.start()
