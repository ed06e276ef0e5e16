"""Generation in the playground: start a run (or queue it while the model loads), stream it in,
finish it, stop or steer it, keep a column."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from playground.engine.types import GenerationRequest, GenerationResult
from playground.params import ParamError
from playground.runtime.describe import replay_verdict, status_line
from playground.runtime.running import Generation
from playground.sessions.records import RunRecord
from playground.tui.messages import TokensStreamed
from playground.tui.runs import RunState
from playground.tui.widgets.prompt_editor import PromptEditor
from playground.tui.widgets.responses import ResponsesPane

if TYPE_CHECKING:
    from playground.tui.app import PlaygroundApp

QUEUED = "queued: starts when the model is ready (escape cancels)"


class GenerationControl:
    """Everything between F5 and the finished responses. Holds the run being shown (``run``)
    and the one asked for while the model was still loading (``queued``); the app's worker
    runs the generation."""

    def __init__(self, app: PlaygroundApp) -> None:
        self.app = app
        self.run: RunState | None = None
        self.queued: tuple[GenerationRequest, RunRecord | None, tuple[str, int] | None] | None = None

    def current_request(self) -> GenerationRequest:
        """What F5 runs now: the editor's text (split at the hole in FIM mode), the panel's parameters."""
        editor = self.app.default_screen.query_one(PromptEditor)
        prompt, suffix = editor.split_at_hole() if self.app.state.fim else (editor.text, None)
        return self.app.state.request(prompt, suffix)

    def start(self, request: GenerationRequest, replaying: RunRecord | None = None,
              lineage: tuple[str, int] | None = None) -> None:
        """Run ``request`` (checked against ``replaying``; a branch of run ``lineage[0]`` at token ``lineage[1]``)."""
        app = self.app
        if app.generating:
            app.notify("A generation is running: escape stops it.", severity="warning")
            return
        if app.engine is None:
            if app.model_status.loading:
                self.queued = (request, replaying, lineage)
                app.run_status = QUEUED
                app.notify("The model is still loading: this run starts as soon as it is ready.")
            else:
                app.notify("No model is loaded (the status line says why): fix that and press Try again "
                           "there, or load the demo model (both also in the palette, ctrl+p).", severity="warning")
            return
        self.queued = None
        parent, branch_point = lineage or (None, None)
        self.run = RunState(Generation(app.engine, request), replaying, parent=parent, branch_point=branch_point)
        app.default_screen.query_one(ResponsesPane).begin(request)
        app.generating = True
        app.run_status = ("replaying…" if replaying else "prefilling…" if branch_point is None
                          else f"branching at token {branch_point + 1}…")
        app.run_generation(self.run.generation)

    def model_ready(self) -> None:
        """The model has loaded: show a reopened session's run with its tokens, and run what was
        asked for while it loaded."""
        self.app.explore.model_loaded()
        if self.queued is not None:
            self.start(*self.queued)

    def model_failed(self) -> None:
        if self.queued is not None:
            self.queued = None
            self.app.run_status = "the queued run was dropped: the model did not load"
            self.app.refresh_bindings()

    def streamed(self, message: TokensStreamed) -> None:
        self.app.default_screen.query_one(ResponsesPane).stream(message.texts)
        if self.run is not None:
            self.run.absorb(message)
            self.app.run_status = self.run.describe()
            self.app.explore.streamed(self.run)

    def finished(self, result: GenerationResult) -> None:
        """Record the run (a replay too, checked against the saved one), then show the figures:
        autosaved first, so a run whose status was shown is on disk."""
        app, run = self.app, self.run
        app.generating = False
        if run is None:
            return
        run.result = result
        parent = next((r for r in app.keeper.session.runs if r.id == run.parent), None)
        problem = app.keeper.record(run.generation, result, app.state.params, replay_of=run.replaying, parent=parent)
        if problem is not None:
            app.notify(problem, severity="error")
        run.record_id = app.keeper.last_run.id if app.keeper.last_run is not None else None
        summary = status_line(result)
        if run.replaying is not None:
            verdict = replay_verdict(run.replaying.responses, result)
            summary = f"{verdict} · {summary}"
            app.notify(verdict, title="Replay")
        app.run_status = summary
        app.state = app.state.replace(last_seed=result.seed)
        app.default_screen.query_one(ResponsesPane).finish(run)
        app.explore.finished(run)
        for warning in result.warnings:
            app.notify(warning, severity="warning", timeout=8)

    def failed(self, message: str) -> None:
        self.app.generating = False
        self.app.default_screen.query_one(ResponsesPane).stopped()
        self.app.run_status = message
        self.app.notify(message, title="Generation failed", severity="error", timeout=10)

    @property
    def can_stop(self) -> bool:
        return self.app.generating or self.queued is not None

    def stop(self) -> None:
        if self.run is not None and self.app.generating:
            self.run.generation.cancel()
        elif self.queued is not None:
            self.queued = None
            self.app.run_status = "queued run cancelled"

    def steer(self, name: str, value: Any, row: int | None) -> None:
        """A parameter changed in the panel: the running generation takes it from its next token."""
        if self.run is None or not self.app.generating:
            return
        try:
            taken = self.run.generation.steer(name, value, row)
        except ParamError as refused:  # the engine cannot apply it mid-stream: said, not lost
            self.app.notify(f"{refused}.", severity="warning", markup=False)
            return
        if taken:
            self.run.steer(name, value, row)
        elif name == "response_format":
            self.app.notify("The format cannot change while a response streams: it applies from the next run.",
                            severity="warning")

    def pin_seed(self) -> None:
        """Pin the seed the last finished run used (not while one runs: its seed is not the last)."""
        app = self.app
        if app.generating:
            app.notify("A run is still going: pin its seed once it has finished.", severity="warning")
        elif app.state.last_seed is None:
            app.notify("No seed to pin yet: generate first.", severity="warning")
        else:
            app.state = app.state.with_value("seed", app.state.last_seed)
            app.notify(f"Seed pinned: {app.state.last_seed}")

    def response_text(self, column: int) -> str | None:
        """The text of ``column`` of the finished run, or None (and the reason, notified)."""
        app, run = self.app, self.run
        if app.generating:
            app.notify("Wait for the run to finish (escape stops it).", severity="warning")
        elif run is None or run.result is None:
            app.notify("No response yet: generate first.", severity="warning")
        elif column >= len(run.result.responses):
            app.notify(f"The last run has one response: there is no response {column + 1}.", severity="warning")
        else:
            return run.result.responses[column].text
        return None

    def keep(self, column: int, how: str) -> bool:
        """Keep one column of the finished run: ``copy`` it, or make it the ``prompt`` (a fill
        goes into the hole, and FIM mode ends)."""
        app, run = self.app, self.run
        text = self.response_text(column)
        if text is None or run is None:
            return False
        if how == "copy":
            app.copy_to_clipboard(text)
            app.notify(f"Copied response {column + 1} ({len(text):,} characters)")
            return True
        editor = app.default_screen.query_one(PromptEditor)
        if run.request.is_fim:
            editor.insert_fill(text)
            app.state = app.state.replace(fim=False)
        else:
            editor.load_text(run.request.prompt + text)
            editor.move_cursor(editor.document.end)
        return True
