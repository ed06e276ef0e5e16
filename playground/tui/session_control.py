"""Sessions in the playground: save (as), browse and open, replay the last run, export."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from playground.errors import UserError
from playground.runtime.prompts import join_at_marker
from playground.sessions.session import first_line
from playground.sessions.store import NameNeeded, NameTaken, SessionEntry
from playground.tui.screens.name_prompt import Confirm, NamePrompt
from playground.tui.screens.sessions import SessionsScreen
from playground.tui.widgets.prompt_editor import PromptEditor
from playground.user_files import shown

if TYPE_CHECKING:
    from playground.tui.app import PlaygroundApp


def suggested_name(prompt: str) -> str:
    """A session name from the prompt's first line: its words, one space between them
    (``x = 1`` → ``x 1``), at most 40 characters; ``session`` when it has none."""
    words = re.sub(r"[^\w.+-]+", " ", first_line(prompt)).split()
    return " ".join(words)[:40].strip() or "session"


class SessionControl:
    """Between the session keeper (``app.keeper``) and the screen: names asked for, an overwrite
    confirmed, files opened into the editor, the panel and the response columns, problems as
    notifications (one line each; nothing in memory is lost when a write fails)."""

    def __init__(self, app: PlaygroundApp) -> None:
        self.app = app

    def save(self) -> None:
        """Save where the session lives; the first time (or once its file is gone), ask for a name."""
        if self.app.keeper.path is None:
            self.ask_name()
        else:
            self._save(None)

    def ask_name(self) -> None:
        self.app.push_screen(NamePrompt("Save the session as (a name, or a path ending in .json):",
                                        suggested_name(self.app.keeper.session.prompt)),
                             self.save_as)

    def save_as(self, name: str | None) -> None:
        if name:
            self._save(name)

    def _save(self, name: str | None, overwrite: bool = False) -> None:
        app = self.app
        try:
            path = app.keeper.save(app.state.params, self._editor_text(), name, overwrite=overwrite)
        except NameNeeded:
            self.ask_name()
            return
        except NameTaken as taken:
            if name is None:  # pragma: no cover - saving in place never meets another session
                app.notify(str(taken), severity="error")
                return
            question = f"{taken.path.name} holds another session (or a file that is not one). Overwrite it?"
            app.push_screen(Confirm(shown(question)), lambda yes: self._save(name, overwrite=True) if yes else None)
            return
        except UserError as error:
            app.notify(str(error), severity="error")
            return
        app.notify(f"Saved {shown(path)}")

    def _editor_text(self) -> str:
        return self.app.default_screen.query_one(PromptEditor).text

    def browse(self) -> None:
        self.app.push_screen(SessionsScreen(self.app.keeper.store), lambda entry: self.open(entry) if entry else None)

    def open(self, target: Path | SessionEntry) -> None:
        """Open a session (a file, or a browser entry): its prompt into the editor, its
        parameters into the panel, its last run into the response columns."""
        app = self.app
        try:
            session = app.keeper.open(target)
        except UserError as error:
            app.notify(str(error), title="Cannot open session", severity="error", timeout=10)
            return
        text = join_at_marker(session.prompt, session.suffix if session.fim else None)
        app.default_screen.query_one(PromptEditor).load_text(text)
        app.state = app.state.replace(fim=session.fim).with_params(app.keeper.params)
        if session.runs:
            app.explore.show(session.runs[-1].id)
        app.notify(f"Opened {shown(session.title)}: {len(session.runs)} run(s)")

    def replay(self) -> None:
        """Re-run the last run with its parameters, seed and live changes (the replay is a run too)."""
        app = self.app
        run = app.keeper.last_run
        if run is None:
            app.notify("No run to replay yet.", severity="warning")
            return
        warning = app.keeper.model_warning(app.engine, run) if app.engine is not None else None
        if warning is not None:
            app.notify(warning, severity="warning")
        app.generation.start(run.replay_request(), replaying=run)

    def export_markdown(self) -> None:
        try:
            path = self.app.keeper.export_markdown(self.app.state.params, self._editor_text())
        except UserError as error:
            self.app.notify(str(error), severity="error")
            return
        self.app.notify(f"Exported {shown(path)}")
