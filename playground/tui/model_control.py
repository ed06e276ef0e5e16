"""The model in the playground: what a finished or failed load changes, loading the demo model,
and trying the same load again. The load itself runs in the app's worker (``load_model``)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from playground.tui.messages import ModelLoaded
from playground.tui.widgets.prompt_editor import TokenCounter
from playground.tui.widgets.status_bar import ModelStatus

if TYPE_CHECKING:
    from playground.tui.app import PlaygroundApp


class ModelControl:
    """Between the load worker's messages and the app's state."""

    def __init__(self, app: PlaygroundApp) -> None:
        self.app = app

    def loaded(self, message: ModelLoaded) -> None:
        if message.left_behind:
            return  # the engine is dropped with the message
        app = self.app
        app.engine = message.engine
        app.model_status = ModelStatus(message.description, loading=False)
        app.token_counter = TokenCounter(message.engine.count_tokens, message.engine.context_window)
        app.generation.model_ready()
        for warning in message.engine.loaded.warnings:
            app.notify(warning, title="Model loaded", severity="warning", timeout=10)

    def failed(self, reason: str) -> None:
        app = self.app
        app.engine = None
        app.model_status = ModelStatus(reason, loading=False, failed=True, offer_demo=not app.options.demo)
        app.generation.model_failed()
        app.notify(reason, title="The model did not load", severity="error", timeout=10)

    def load_demo(self) -> None:
        app = self.app
        app.options = dataclasses.replace(app.options, demo=True, server=None)  # here, not on the server
        self._load("loading the demo model")

    def retry(self) -> None:
        """The same load again: a server that is up now, a model file fixed since. Only after a
        failure: a second press that arrives before the button hides starts no second load."""
        if not self.app.model_status.failed:
            return
        self._load("connecting to the server again" if self.app.options.server else "loading again")

    def _load(self, stage: str) -> None:
        app = self.app
        app.model_status = ModelStatus(stage)
        app.load_model(app.options)
        app.call_after_refresh(app.areas.restore)
