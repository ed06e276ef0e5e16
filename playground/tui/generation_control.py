"""Generation in the playground: start a run, stream it in, finish it, stop or steer it, keep a column."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from playground.engine.types import GenerationRequest, GenerationResult
from playground.runtime.describe import replay_verdict, status_line
from playground.runtime.running import Generation
from playground.sessions.records import RunRecord
from playground.tui.messages import TokensStreamed
from playground.tui.runs import RunState
from playground.tui.widgets.prompt_editor import PromptEditor
from playground.tui.widgets.responses import ResponsesPane
from playground.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from playground.tui.app import PlaygroundApp


class GenerationControl:
    """Everything between F5 and the finished responses. Holds the run being shown
    (``run``); the app's worker runs its generation."""

    def __init__(self, app: PlaygroundApp) -> None:
        self.app = app
        self.run: RunState | None = None

    def start(self, request: GenerationRequest, replaying: RunRecord | None = None) -> None:
        app = self.app
        if app.generating:
            return
        if app.engine is None:
            app.notify("No model is loaded yet (see the status line).", severity="warning")
            return
        self.run = RunState(Generation(app.engine, request), replaying)
        app.query_one(ResponsesPane).begin(request)
        app.generating = True
        app.query_one(StatusBar).show_run("replaying…" if replaying else "prefilling…")
        app.run_generation(self.run.generation)

    def streamed(self, message: TokensStreamed) -> None:
        self.app.query_one(ResponsesPane).stream(message.texts)
        if self.run is not None:
            self.run.absorb(message)
            self.app.query_one(StatusBar).show_run(self.run.describe())

    def finished(self, result: GenerationResult) -> None:
        """Record the run (a replay too, checked against the saved one), then show the figures:
        autosaved first, so a run whose status was shown is on disk."""
        app, run = self.app, self.run
        app.generating = False
        if run is None:
            return
        run.result = result
        problem = app.keeper.record(run.generation, result, app.state.params, replay_of=run.replaying)
        if problem is not None:
            app.notify(problem, severity="error")
        summary = status_line(result)
        if run.replaying is not None:
            verdict = replay_verdict([r.token_ids for r in run.replaying.responses], result)
            summary = f"{verdict} · {summary}"
            app.notify(verdict, title="Replay")
        app.query_one(StatusBar).show_run(summary)
        app.state = app.state.replace(last_seed=result.seed)
        app.query_one(ResponsesPane).finish(run)
        for warning in result.warnings:
            app.notify(warning, severity="warning", timeout=8)

    def failed(self, message: str) -> None:
        self.app.generating = False
        self.app.query_one(ResponsesPane).stopped()
        self.app.query_one(StatusBar).show_run(message)
        self.app.notify(message, title="Generation failed", severity="error", timeout=10)

    def stop(self) -> None:
        if self.run is not None and self.app.generating:
            self.run.generation.cancel()

    def steer(self, name: str, value: Any, row: int | None) -> None:
        """A parameter changed in the panel: the running generation takes it from its next token."""
        if self.run is not None and self.app.generating:
            self.run.generation.steer(name, value, row)

    def keep(self, column: int, how: str) -> bool:
        """Keep one column of the finished run: ``copy`` it, or make it the ``prompt`` (a fill
        goes into the hole, and FIM mode ends)."""
        app, run = self.app, self.run
        if app.generating or run is None or run.result is None or column >= len(run.result.responses):
            return False
        text = run.result.responses[column].text
        if how == "copy":
            app.copy_to_clipboard(text)
            app.notify(f"Copied response {column + 1} ({len(text):,} characters)")
            return True
        editor = app.query_one(PromptEditor)
        if run.request.is_fim:
            editor.insert_fill(text)
            app.state = app.state.replace(fim=False)
        else:
            editor.load_text(run.request.prompt + text)
            editor.move_cursor(editor.document.end)
        return True
