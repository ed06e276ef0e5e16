"""Session actions of the playground: autosave, save as, open, replay, export."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from playground.engine.types import GenerationRequest, GenerationResult
from playground.errors import UserError
from playground.sessions import (ModelRecord, NameNeeded, RunRecord, Session, SessionEntry, SessionStore,
                                 first_line)
from playground.tui.columns import first_divergence
from playground.tui.screens.name_prompt import NamePrompt
from playground.tui.screens.sessions import SessionsScreen

if TYPE_CHECKING:
    from playground.tui.app import PlaygroundApp


class SessionActions:
    """Mixed into PlaygroundApp: everything that reads or writes session files (through the store)."""

    session: Session
    store: SessionStore

    def record_run(self: PlaygroundApp, request: GenerationRequest, result: GenerationResult,
                   started_at: str, replay_of: str | None = None) -> None:
        """Add a finished run (a replay too) and autosave it to the history: one file per run,
        written atomically, so a crash loses at most the run still streaming."""
        session = self.session
        session.prompt, session.suffix, session.fim = request.prompt, request.suffix, request.is_fim
        session.params = self.params
        model = ModelRecord.from_engine(self.engine) if self.engine is not None else ModelRecord(result.model)
        try:
            self.store.record_run(session, RunRecord.from_result(request, result, started_at, model, replay_of))
        except UserError as error:
            self.notify(f"could not autosave the run (it is kept in memory): {error}", severity="error")

    def action_save_session(self: PlaygroundApp) -> None:
        if self.session.saved_path is not None:
            self._save_to(None)
            return
        self._ask_name()

    def _ask_name(self: PlaygroundApp) -> None:
        default = re.sub(r"[^\w .+-]", "", first_line(self.session.prompt))[:40].strip() or "session"
        self.push_screen(NamePrompt("Save the session as (a name, or a path ending in .json):", default),
                         self._save_as)

    def _save_as(self: PlaygroundApp, name: str | None) -> None:
        if name:
            self._save_to(name)

    def _save_to(self: PlaygroundApp, name: str | None) -> None:
        self.session.prompt = self.query_one("#prompt").text
        self.session.params = self.params
        try:
            path = self.store.save(self.session, name)
        except NameNeeded:
            self._ask_name()
            return
        except UserError as error:
            self.notify(str(error), severity="error")
            return
        self.notify(f"Saved {path}")

    def action_sessions(self: PlaygroundApp) -> None:
        self.push_screen(SessionsScreen(self.store), lambda entry: self.open_session(entry) if entry else None)

    def open_session(self: PlaygroundApp, target: Path | SessionEntry) -> None:
        try:
            session = self.store.open(target)
        except UserError as error:
            self.notify(str(error), title="Cannot open session", severity="error", timeout=10)
            return
        self.session = session
        editor = self.query_one("#prompt")
        editor.load_text(session.prompt + ("<FILL>" + session.suffix if session.fim and session.suffix is not None else ""))
        self.fim = session.fim
        self.query_one("#parameters").set_params(session.params)
        if session.runs:
            self.show_saved_run(session.runs[-1])
        self.notify(f"Opened {session.title}: {len(session.runs)} run(s)")

    def show_saved_run(self: PlaygroundApp, run: RunRecord) -> None:
        views = self._response_views()
        before, after = (run.prompt, run.suffix) if run.suffix is not None else ("", "")
        for index, view in enumerate(views):
            view.display = index < len(run.responses)
            view.start(before, after)
            if index < len(run.responses):
                response = run.responses[index]
                view.append(response.text)
                view.border_subtitle = f"{len(response.token_ids)} tokens · {response.finish_reason} (saved)"

    def action_replay(self: PlaygroundApp) -> None:
        """Re-run the last saved run with its parameters, seed and live changes."""
        if not self.session.runs:
            self.notify("No run to replay yet.", severity="warning")
            return
        run = self.session.runs[-1]
        if self.engine is not None and ModelRecord.from_engine(self.engine).id != run.model.id:
            self.notify(f"This run was recorded with {run.model.id}; another model gives other tokens.",
                        severity="warning")
        self.start_generation(run.replay_request(), replaying=run)

    def check_replay(self: PlaygroundApp, run: RunRecord, result: GenerationResult) -> str:
        for saved, new in zip(run.responses, result.responses):
            at = first_divergence(saved.token_ids, new.token_ids)
            if at is not None:
                return f"✗ replay differs from the saved run at token {at} of response {new.index + 1}"
        total = sum(len(r.token_ids) for r in result.responses)
        return f"✓ replay identical to the saved run ({total} tokens)"

    def action_export_markdown(self: PlaygroundApp) -> None:
        try:
            path = self.store.export(self.session)
        except UserError as error:
            self.notify(str(error), severity="error")
            return
        self.notify(f"Exported {path}")
