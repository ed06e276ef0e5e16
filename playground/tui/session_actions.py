"""Session actions of the playground: autosave, save as, open, replay, export."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playground import locations
from playground.atomic import write_text_atomically
from playground.engine.types import GenerationRequest, GenerationResult
from playground.errors import UserError
from playground.params import SamplingParams
from playground.sessions import (RunRecord, Session, export_markdown, first_line, history_path, load_session,
                                 named_path, save_session)
from playground.tui.columns import first_divergence
from playground.tui.screens.name_prompt import NamePrompt
from playground.tui.screens.sessions import SessionsScreen

if TYPE_CHECKING:
    from playground.tui.app import PlaygroundApp


def model_record(engine: Any, options: Any) -> dict[str, Any]:
    loaded = engine.loaded
    device = getattr(loaded, "device", None)
    return {"id": getattr(loaded, "name", engine.name), "revision": getattr(loaded, "revision", None),
            "quantize": getattr(loaded, "quantize", "none"), "dtype": getattr(loaded, "dtype", None),
            "device": getattr(device, "type", str(device))}


class SessionActions:
    """Mixed into PlaygroundApp: everything that reads or writes session files."""

    session: Session
    session_path: Path | None

    def record_run(self: PlaygroundApp, request: GenerationRequest, result: GenerationResult,
                   started_at: str) -> None:
        """Add a finished run and autosave the history file (atomically: a crash loses at most
        the run still streaming)."""
        session = self.session
        session.runs.append(RunRecord.from_result(request, result, started_at))
        session.prompt, session.suffix, session.fim = request.prompt, request.suffix, request.is_fim
        session.params = self.params.to_dict()
        if self.engine is not None:
            session.model = model_record(self.engine, self.options)
        try:
            save_session(session, history_path(session))
        except OSError as error:
            self.notify(f"could not autosave the session history: {error}", severity="error")

    def action_save_session(self: PlaygroundApp) -> None:
        if self.session_path is not None:
            self._save_to(self.session_path)
            return
        default = re.sub(r"[^\w .+-]", "", first_line(self.session.prompt))[:40].strip() or "session"
        self.push_screen(NamePrompt("Save the session as (a name, or a path ending in .json):", default),
                         self._save_as)

    def _save_as(self: PlaygroundApp, name: str | None) -> None:
        if not name:
            return
        try:
            path = named_path(name)
        except UserError as error:
            self.notify(str(error), severity="error")
            return
        self.session.name = Path(name).stem
        self._save_to(path)

    def _save_to(self: PlaygroundApp, path: Path) -> None:
        self.session.prompt = self.query_one("#prompt").text
        self.session.params = self.params.to_dict()
        try:
            save_session(self.session, path)
        except OSError as error:
            self.notify(f"could not save {path}: {error}", severity="error")
            return
        self.session_path = path
        self.notify(f"Saved {path}")

    def action_sessions(self: PlaygroundApp) -> None:
        self.push_screen(SessionsScreen(), lambda path: self.open_session(path) if path else None)

    def open_session(self: PlaygroundApp, path: Path) -> None:
        try:
            session = load_session(path)
        except UserError as error:
            self.notify(str(error), title="Cannot open session", severity="error", timeout=10)
            return
        self.session = session
        self.session_path = path if path.parent != locations.history_dir() else None
        editor = self.query_one("#prompt")
        editor.load_text(session.prompt + ("<FILL>" + session.suffix if session.fim and session.suffix is not None else ""))
        self.fim = session.fim
        self.query_one("#parameters").set_params(SamplingParams.make(
            {k: v for k, v in session.params.items() if k != "columns"}))
        if session.runs:
            self.show_saved_run(session.runs[-1])
        self.notify(f"Opened {path.name}: {len(session.runs)} run(s)")

    def show_saved_run(self: PlaygroundApp, run: RunRecord) -> None:
        views = self._response_views()
        before, after = (run.prompt, run.suffix) if run.suffix is not None else ("", "")
        for index, view in enumerate(views):
            view.display = index < len(run.responses)
            view.start(before, after)
            if index < len(run.responses):
                response = run.responses[index]
                view.append(response["text"])
                view.border_subtitle = f"{len(response['token_ids'])} tokens · {response['finish_reason']} (saved)"

    def action_replay(self: PlaygroundApp) -> None:
        """Re-run the last saved run with its parameters, seed and live changes."""
        if not self.session.runs:
            self.notify("No run to replay yet.", severity="warning")
            return
        run = self.session.runs[-1]
        recorded = self.session.model
        if self.engine is not None and recorded and model_record(self.engine, self.options)["id"] != recorded.get("id"):
            self.notify(f"This run was recorded with {recorded.get('id')}; another model gives other tokens.",
                        severity="warning")
        self.start_generation(run.replay_request(), replaying=run)

    def check_replay(self: PlaygroundApp, run: RunRecord, result: GenerationResult) -> str:
        for saved, new in zip(run.responses, result.responses):
            at = first_divergence(saved["token_ids"], new.token_ids)
            if at is not None:
                return f"✗ replay differs from the saved run at token {at} of response {new.index + 1}"
        total = sum(len(r.token_ids) for r in result.responses)
        return f"✓ replay identical to the saved run ({total} tokens)"

    def action_export_markdown(self: PlaygroundApp) -> None:
        stem = (self.session_path.stem if self.session_path else None) or history_path(self.session).stem
        path = locations.data_dir() / "exports" / f"{stem}.md"
        try:
            write_text_atomically(path, export_markdown(self.session))
        except OSError as error:
            self.notify(f"could not write {path}: {error}", severity="error")
            return
        self.notify(f"Exported {path}")
