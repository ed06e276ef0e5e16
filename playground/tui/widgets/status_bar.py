"""The status line: model loading progress, the loaded model, and live generation figures."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Label, ProgressBar

from playground.tui.safe_text import plain


class StatusBar(Horizontal):
    """Left: the model (or its loading bar, or why it failed). Right: the last run's figures.
    Every line is shown as text: model names, paths and errors are never read as markup."""

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        background: $panel;
        padding: 0 1;
        & > #model-status { width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
        & > #load-progress { width: 30; margin-left: 1; }
        & > #run-status { width: auto; margin-left: 2; color: $text-muted; }
        & > #load-demo { height: 1; min-width: 20; border: none; margin-left: 1; }
        &.-error > #model-status { color: $error; text-style: bold; }
    }
    """

    def compose(self) -> ComposeResult:
        yield Label("starting…", id="model-status")
        yield ProgressBar(total=None, show_eta=False, id="load-progress")
        yield Button("Load the demo model", id="load-demo", variant="warning", compact=True)
        yield Label("", id="run-status")

    def on_mount(self) -> None:
        self.query_one("#load-demo", Button).display = False

    def show_progress(self, stage: str, done: int | None, total: int | None) -> None:
        self.remove_class("-error")
        amount = f" {(done or 0) / 1e9:.2f}/{total / 1e9:.2f} GB" if total else ""
        self.query_one("#model-status", Label).update(plain(f"{stage}{amount}"))
        bar = self.query_one(ProgressBar)
        bar.display = True
        bar.update(total=total or None, progress=done or 0)

    def show_model(self, description: str) -> None:
        self.remove_class("-error")
        self.query_one("#model-status", Label).update(plain(description))
        self.query_one(ProgressBar).display = False
        self.query_one("#load-demo", Button).display = False

    def show_error(self, message: str, offer_demo: bool = True) -> None:
        self.add_class("-error")
        self.query_one("#model-status", Label).update(plain(message))
        self.query_one(ProgressBar).display = False
        self.query_one("#load-demo", Button).display = offer_demo

    def show_run(self, text: str) -> None:
        self.query_one("#run-status", Label).update(plain(text))
