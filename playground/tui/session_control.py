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
        default = re.sub(r"[^\w .+-]", "", first_line(keeper.session.prompt))[:40].strip() or "session"
        self.app.push_screen(NamePrompt("Save the session as (a name, or a path ending in .json):", default),
                             self.save_as)

    def save_as(self, name: str | None) -> None:
        if name:
            self._save(lambda text: self.app.keeper.save_as(name, self.app.state.params, text))

    def _save(self, write: Callable[[str], Path]) -> None:
        try:
            path = write(self.app.query_one(PromptEditor).text)
        except UserError as error:
            self.app.notify(str(error), severity="error")
            return
        self.app.notify(f"Saved {path}")

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
        app.query_one(PromptEditor).load_text(join_at_marker(session.prompt, session.suffix if session.fim else None))
        app.state = app.state.replace(fim=session.fim).with_params(app.keeper.params)
        if session.runs:
            app.query_one(ResponsesPane).show_saved(session.runs[-1])
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
            path = self.app.keeper.export_markdown()
        except UserError as error:
            self.app.notify(str(error), severity="error")
            return
        self.app.notify(f"Exported {path}")
