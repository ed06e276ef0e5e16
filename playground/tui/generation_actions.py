"""Generation in the playground: start a run, stream it in, finish it, stop it, keep a column.

A mixin of PlaygroundApp (handlers are ``on_<message>`` methods, found through the MRO). The
engine runs in a thread worker; what it produces comes back as batched messages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work

from playground.engine.types import GenerationRequest
from playground.sessions import RunRecord
from playground.tui.columns import first_divergence
from playground.tui.messages import GenerationFinished, TokensStreamed
from playground.tui.runs import RunState, describe_finished, describe_streaming
from playground.tui.streaming import StreamBatcher
from playground.tui.widgets.prompt_editor import PromptEditor
from playground.tui.widgets.response_view import ResponseView
from playground.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from playground.tui.app import PlaygroundApp


class GenerationActions:
    """Mixed into PlaygroundApp: everything between F5 and the finished responses."""

    def action_generate(self: PlaygroundApp) -> None:
        self.start_generation(self._build_request())

    def start_generation(self: PlaygroundApp, request: GenerationRequest, replaying: RunRecord | None = None) -> None:
        if self.generating:
            return
        if self.engine is None:
            self.notify("No model is loaded yet (see the status line).", severity="warning")
            return
        before, after = (request.prompt, request.suffix) if request.suffix is not None else ("", "")
        rows = len(request.row_params())
        for index, view in enumerate(self._response_views()):
            view.display = index < rows
            view.start(before, after)
            view.remove_class("-diverged")
        self._show_column_titles()
        self.run_state = RunState(request=request)
        self._replaying = replaying
        self.generating = True
        self.query_one(StatusBar).show_run("replaying…" if replaying else "prefilling…")
        self._generate(self.engine, request, self.run_state.handle)

    def _build_request(self: PlaygroundApp) -> GenerationRequest:
        editor = self.query_one(PromptEditor)
        columns = None
        if self.params.num_responses == 2 and not self.linked:
            columns = (self.params, self.params_b)
        if self.fim:
            prefix, suffix = editor.split_at_hole()
            return GenerationRequest(prefix, self.params, suffix=suffix, columns=columns)
        return GenerationRequest(editor.text, self.params, columns=columns)

    @work(thread=True, exclusive=True, exit_on_error=False, group="generate")
    def _generate(self: PlaygroundApp, engine: Any, request: Any, handle: Any) -> None:
        batcher = StreamBatcher(self.post_message)
        result = engine.generate(request, batcher, handle)
        batcher.flush()
        self.post_message(GenerationFinished(result))

    def on_tokens_streamed(self: PlaygroundApp, message: TokensStreamed) -> None:
        views = self._response_views()
        for row, text in message.texts.items():
            views[row].append(text)
        if self.run_state is not None:
            self.run_state.absorb(message)
            self.query_one(StatusBar).show_run(describe_streaming(self.run_state))

    def on_generation_finished(self: PlaygroundApp, message: GenerationFinished) -> None:
        result = message.result
        self.generating = False
        run = self.run_state
        if run is None:
            return
        run.result = result
        # Autosave first: a run whose status was shown is on disk. Replays are runs too.
        self.record_run(run.request, result, run.started_at,
                        replay_of=self._replaying.id if self._replaying is not None else None)
        summary = describe_finished(result)
        if self._replaying is not None:
            summary = self.check_replay(self._replaying, result) + " · " + summary
            self.notify(summary.split(" · ")[0], title="Replay")
        self.query_one(StatusBar).show_run(summary)
        self.query_one("#seed-field").show_last_used(result.params["seed"])
        views = self._response_views()
        for view, response in zip(views, result.responses):
            view.border_subtitle = f"{len(response.token_ids)} tokens · {response.finish_reason} · seed {response.seed}"
            if self.fim:
                view.highlight_fill()
        if len(result.responses) == 2:
            self._mark_divergence(result, views)
        for warning in result.warnings:
            self.notify(warning, severity="warning", timeout=8)

    def _mark_divergence(self: PlaygroundApp, result: Any, views: list[ResponseView]) -> None:
        at = first_divergence(result.responses[0].token_ids, result.responses[1].token_ids)
        if at is None:
            for view in views:
                view.border_subtitle += " · identical"
            return
        for row, view in enumerate(views[:2]):
            chars = self.run_state.token_chars[row]
            start = self.run_state.char_offset(row, at)
            length = chars[at] if at < len(chars) else 0
            view.mark_divergence(start, max(length, 1), at)

    def action_stop(self: PlaygroundApp) -> None:
        if self.run_state is not None and self.generating:
            self.run_state.handle.cancel()

    def action_continue(self: PlaygroundApp, column: int = 0) -> None:
        """Append a response to the prompt (or put a fill into its hole) and generate on."""
        if self.action_keep(column, "prompt"):
            self.action_generate()

    def action_keep(self: PlaygroundApp, column: int, how: str) -> bool:
        """Keep one column: ``copy`` it, make it the ``prompt``."""
        if self.generating or self.run_state is None or self.run_state.result is None:
            return False
        responses = self.run_state.result.responses
        if column >= len(responses):
            return False
        text = responses[column].text
        if how == "copy":
            self.copy_to_clipboard(text)
            self.notify(f"Copied response {column + 1} ({len(text):,} characters)")
            return True
        editor = self.query_one(PromptEditor)
        if self.run_state.request.is_fim:
            editor.insert_fill(text)
            self.fim = False
        else:
            editor.load_text(self.run_state.request.prompt + text)
            editor.move_cursor(editor.document.end)
        return True
