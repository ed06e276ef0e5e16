"""Sessions in the playground: save (as), browse and open, replay the last run, export."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from playground.errors import UserError
from playground.runtime.prompts import join_at_marker
from playground.sessions import first_line
from playground.tui.screens.name_prompt import NamePrompt
from playground.tui.screens.sessions import SessionsScreen
from playground.tui.widgets.prompt_editor import PromptEditor
from playground.tui.widgets.responses import ResponsesPane

if TYPE_CHECKING:
    from playground.tui.app import PlaygroundApp


def suggested_name(prompt: str) -> str:
    """A session name from the prompt's first line: its words, one space between them
    (``x = 1`` → ``x 1``), at most 40 characters; ``session`` when it has none."""
    words = re.sub(r"[^\w.+-]+", " ", first_line(prompt)).split()
    return " ".join(words)[:40].strip() or "session"


class SessionControl:
    """Between the session keeper (``app.keeper``) and the screen: names asked for, files
    opened into the editor, the panel and the response columns, problems as notifications."""

    def __init__(self, app: PlaygroundApp) -> None:
        self.app = app

    def save(self) -> None:
        """Save where the session was saved or opened from; the first time, ask for a name."""
        keeper = self.app.keeper
        if keeper.path is not None:
            self._save(lambda text: keeper.save(self.app.state.params, text))
            return
        self.app.push_screen(NamePrompt("Save the session as (a name, or a path ending in .json):",
                                        suggested_name(keeper.session.prompt)),
                             self.save_as)

    def save_as(self, name: str | None) -> None:
        if name:
            self._save(lambda text: self.app.keeper.save_as(name, self.app.state.params, text))

    def _save(self, write: Callable[[str], Path]) -> None:
        try:
            path = write(self._editor_text())
        except UserError as error:
            self.app.notify(str(error), severity="error")
            return
        self.app.notify(f"Saved {path}")

    def _editor_text(self) -> str:
        return self.app.default_screen.query_one(PromptEditor).text

    def browse(self) -> None:
        self.app.push_screen(SessionsScreen(), lambda path: self.open(path) if path else None)

    def open(self, path: Path) -> None:
        """Open a session: its prompt into the editor, its parameters into the panel, its last
        run into the response columns."""
        app = self.app
        try:
            session = app.keeper.open(path)
        except UserError as error:
            app.notify(str(error), title="Cannot open session", severity="error", timeout=10)
            return
        text = join_at_marker(session.prompt, session.suffix if session.fim else None)
        app.default_screen.query_one(PromptEditor).load_text(text)
        app.state = app.state.replace(fim=session.fim).with_params(app.keeper.params)
        if session.runs:
            app.default_screen.query_one(ResponsesPane).show_saved(session.runs[-1])
        app.notify(f"Opened {path.name}: {len(session.runs)} run(s)")

    def replay(self) -> None:
        """Re-run the last saved run with its parameters, seed and live changes."""
        app = self.app
        run = app.keeper.last_run
        if run is None:
            app.notify("No run to replay yet.", severity="warning")
            return
        warning = app.keeper.model_warning(app.engine) if app.engine is not None else None
        if warning is not None:
            app.notify(warning, severity="warning")
        app.generation.start(run.replay_request(), replaying=run)

    def export_markdown(self) -> None:
        try:
            path = self.app.keeper.export_markdown(self.app.state.params, self._editor_text())
        except UserError as error:
            self.app.notify(str(error), severity="error")
            return
        self.app.notify(f"Exported {path}")
