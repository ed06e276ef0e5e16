"""The status line: model loading progress, the loaded model, and live generation figures."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Button, Label, ProgressBar

from playground.engine.options import LoadProgress
from playground.runtime.describe import loading_line
from playground.tui.safe_text import plain


@dataclass(frozen=True)
class ModelStatus:
    """What the status line says about the model: ``text`` (a stage, the model line or why it
    failed), bytes ``done`` of ``total`` while loading (None: not known yet), and whether it
    is ``loading``, has ``failed`` (then a button to try the same load again, and with
    ``offer_demo`` one for the demo model)."""

    text: str = "starting…"
    done: int | None = None
    total: int | None = None
    loading: bool = True
    failed: bool = False
    offer_demo: bool = False

    @classmethod
    def loading_from(cls, progress: LoadProgress) -> ModelStatus:
        return cls(loading_line(progress.stage, progress.done, progress.total), progress.done, progress.total)


class StatusBar(Horizontal):
    """Left: the model (or its loading bar, or why it failed). Right: the last run's figures.
    Both are bound to the app's state, so the bar shows whatever the app last said, whenever
    it is mounted. Every line is shown as text: model names, paths and errors are never read as markup."""

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        background: $panel;
        padding: 0 1;
        & > #model-status { width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
        & > #load-progress { width: 30; margin-left: 1; }
        & > #run-status { width: auto; margin-left: 2; color: $text-muted; }
        & > #load-demo, & > #retry-load { height: 1; min-width: 11; border: none; margin-right: 1; }
        &.-error > #model-status { color: $error; text-style: bold; }
    }
    """

    model_status: reactive[ModelStatus] = reactive(ModelStatus, init=False)
    """The model's loading progress, its line once loaded, or why it failed."""

    run_status: reactive[str] = reactive("", init=False)
    """The figures of the run streaming or last finished (or why it could not run)."""

    def compose(self) -> ComposeResult:
        # The buttons come first: on the right, the error's notification would cover them.
        yield Button("Try again", id="retry-load", variant="primary", compact=True)
        yield Button("Load the demo model", id="load-demo", variant="warning", compact=True)
        yield Label("", id="model-status")
        yield ProgressBar(total=None, show_eta=False, id="load-progress")
        yield Label("", id="run-status")

    def on_mount(self) -> None:
        for button in self.query(Button):
            button.can_focus = False  # a click target: focus stays where it was
        self._show_model(self.model_status)
        self._show_run(self.run_status)

    def watch_model_status(self, status: ModelStatus) -> None:
        if self.is_mounted:
            self._show_model(status)

    def watch_run_status(self, text: str) -> None:
        if self.is_mounted:
            self._show_run(text)

    def _show_model(self, status: ModelStatus) -> None:
        self.set_class(status.failed, "-error")
        self.query_one("#model-status", Label).update(plain(status.text))
        bar = self.query_one(ProgressBar)
        bar.display = status.loading
        if status.loading:
            bar.update(total=status.total or None, progress=status.done or 0)
        self.query_one("#retry-load", Button).display = status.failed
        self.query_one("#load-demo", Button).display = status.failed and status.offer_demo

    def _show_run(self, text: str) -> None:
        self.query_one("#run-status", Label).update(plain(text))
