"""The response columns: one, or two side by side, each a ``ResponseView`` or, with the heatmap
on, a ``TokenMap`` colouring its tokens by probability (a legend under them)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.reactive import reactive

from playground.engine.types import GenerationRequest, GenerationResult
from playground.runtime.describe import first_divergence, format_note
from playground.sessions.records import RunRecord
from playground.tui.columns import column_titles
from playground.tui.runs import RunState
from playground.tui.safe_text import plain
from playground.tui.state import PlaygroundState
from playground.tui.widgets.response_view import ResponseView
from playground.tui.widgets.token_map import HeatLegend, TokenMap


class ResponsesPane(Vertical):
    """Shows a run as it streams and when it ends (its figures, the fill highlighted in place,
    where two responses diverge), or a saved run. Column titles say what differs between
    unlinked columns."""

    DEFAULT_CSS = """
    ResponsesPane {
        & > #columns { height: 1fr; }
        & > #columns > * { width: 1fr; }
    }
    """

    state: reactive[PlaygroundState] = reactive(PlaygroundState, init=False)
    """The playground's state, bound to the app's: columns, their parameters, the language, the heatmap."""

    def __init__(self, state: PlaygroundState) -> None:
        super().__init__(id="responses")
        self.set_reactive(ResponsesPane.state, state)
        self._streaming = False
        self._columns = state.responses

    def compose(self) -> ComposeResult:
        with Horizontal(id="columns"):
            for index in range(2):
                yield ResponseView(index, language=self.state.language)
                yield TokenMap(id=f"heatmap-{index}")
        yield HeatLegend()

    @property
    def views(self) -> list[ResponseView]:
        return list(self.query(ResponseView))

    @property
    def maps(self) -> list[TokenMap]:
        return list(self.query(TokenMap))

    @property
    def shown_columns(self) -> list[ResponseView | TokenMap]:
        """The widgets on screen, one per column: the text views, or the heatmaps."""
        return [widget for pair in zip(self.views, self.maps) for widget in pair if widget.display]

    def on_mount(self) -> None:
        self._layout()
        self._show_titles()

    def _layout(self, columns: int | None = None) -> None:
        """Show ``columns`` columns (by default as many as last shown), as text or as heatmaps."""
        self._columns = self._columns if columns is None else columns
        heat = self.state.heatmap
        for index, (view, token_map) in enumerate(zip(self.views, self.maps)):
            view.display = index < self._columns and not heat
            token_map.display = index < self._columns and heat
        self.query_one(HeatLegend).display = heat

    def watch_state(self, old: PlaygroundState, new: PlaygroundState) -> None:
        if not self.is_mounted:
            return
        for view in self.views:
            if view.language != new.language:
                view.language = new.language
        if new.responses != old.responses and not self._streaming:
            self._layout(new.responses)
        elif new.heatmap != old.heatmap:
            self._layout()
        self._show_titles()

    def _show_titles(self) -> None:
        state, views = self.state, self.views
        titles: list[str | Content] = ["response", "response 2"] if state.responses == 1 and state.linked else \
            [plain(title) for title in column_titles(state.params, state.params_b, state.linked)]  # typed text
        for view, token_map, title in zip(views, self.maps, titles):
            view.border_title = title
            token_map.border_title = title

    def show_tokens(self, run: RunState) -> None:
        """The run's tokens (so far) in the heatmaps, with what each view says under it."""
        for row, (view, token_map) in enumerate(zip(self.views, self.maps)):
            token_map.show(run.pieces(row) if row < run.rows else [])
            known = any(info is not None for info in run.infos[row])
            token_map.border_subtitle = view.border_subtitle if known or not run.token_ids[row] else \
                "no probabilities: this run did not ask for them"

    def begin(self, request: GenerationRequest) -> None:
        """Clear the columns for a new run (prefix and suffix around the hole, in FIM mode)."""
        self._streaming = True
        before, after = (request.prompt, request.suffix) if request.suffix is not None else ("", "")
        self._layout(len(request.row_params()))
        for view in self.views:
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

    def show_saved(self, run: RunRecord, tokens_later: bool = False) -> None:
        """A run from a session file, as it was recorded (``tokens_later``: with its tokens once
        the model has loaded)."""
        before, after = (run.prompt, run.suffix) if run.suffix is not None else ("", "")
        self._layout(len(run.responses))
        for token_map in self.maps:
            token_map.show([])
            token_map.border_subtitle = ("a saved run: its tokens show once the model has loaded" if tokens_later
                                         else "a saved run: its tokens are not kept") + " (F7 shows the text)"
        for index, view in enumerate(self.views):
            view.start(before, after)
            if index < len(run.responses):
                response = run.responses[index]
                view.append(response.text)
                view.border_subtitle = plain(f"{len(response.token_ids)} tokens · {response.finish_reason} (saved)")

    def show_run(self, run: RunState) -> None:
        """A run of this sitting again, as it finished: its text, its tokens, its figures."""
        self.begin(run.request)
        self.stream(dict(run.texts))
        self.finish(run)
        self.show_tokens(run)

    def clear(self) -> None:
        for view in self.views:
            view.start()
        for token_map in self.maps:
            token_map.show([])
