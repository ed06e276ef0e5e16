"""The session a front-end has open: every run recorded and autosaved, saved under a name,
reopened, replayed and exported. The front-ends record, save and open sessions only here
(the playground's sessions screen browses, renames and deletes files through ``sessions``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playground import locations
from playground.atomic import write_text_atomically
from playground.engine.types import GenerationResult
from playground.errors import UserError
from playground.params import SamplingParams
from playground.runtime.engines import PlaygroundEngine
from playground.runtime.parameters import params_from_record
from playground.runtime.prompts import split_at_marker
from playground.runtime.running import Generation
from playground.sessions import (
    RunRecord,
    Session,
    export_markdown,
    history_path,
    load_session,
    named_path,
    save_session,
)


def model_record(engine: PlaygroundEngine) -> dict[str, Any]:
    """The model a run came from, as a session stores it."""
    loaded = engine.loaded
    return {"id": loaded.name, "revision": loaded.revision, "quantize": loaded.quantize, "dtype": loaded.dtype,
            "device": loaded.device.type}


class SessionKeeper:
    """Holds the open session and where it lives (``path``: None while it is only in the
    history). Writes are atomic, so a crash loses at most the run still streaming."""

    def __init__(self, session: Session | None = None) -> None:
        self.session = session or Session()
        self.path: Path | None = None

    @property
    def params(self) -> SamplingParams:
        """The parameters the session was left with."""
        return params_from_record(self.session.params)

    @property
    def last_run(self) -> RunRecord | None:
        return self.session.runs[-1] if self.session.runs else None

    def record(self, generation: Generation, result: GenerationResult, params: SamplingParams) -> str | None:
        """Add a finished run and autosave the history; the warning to show if it could not be written."""
        request = generation.request
        session = self.session
        session.runs.append(RunRecord.from_result(request, result, generation.started_at))
        session.prompt, session.suffix, session.fim = request.prompt, request.suffix, request.is_fim
        session.params = params.to_dict()
        session.model = model_record(generation.engine)
        try:
            save_session(session, history_path(session))
        except OSError as error:
            return f"could not autosave the session history: {error}"
        return None

    def save_as(self, name: str, params: SamplingParams, text: str | None = None) -> Path:
        """Save under a name (into the sessions folder) or at a path ending in ``.json``."""
        path = named_path(name)
        self.session.name = path.stem
        return self.save(params, text, path)

    def save(self, params: SamplingParams, text: str | None = None, path: Path | None = None) -> Path:
        """Save to ``path`` (by default where it was saved or opened from), with the editor's
        ``text`` as the prompt when given: a ``<FILL>`` in it makes a prefix and a suffix."""
        path = path or self.path
        if path is None:
            raise UserError("this session has no file yet: save it under a name")
        self._take(params, text)
        try:
            save_session(self.session, path)
        except OSError as error:
            raise UserError(f"could not save {path}: {error}", 1) from None
        self.path = path
        return path

    def _take(self, params: SamplingParams, text: str | None) -> None:
        """The session's current prompt (the editor's ``text``; a ``<FILL>`` in it makes a prefix
        and a suffix) and parameters, as the front-end has them now."""
        if text is not None:
            prompt, suffix = split_at_marker(text) or (text, None)
            self.session.prompt, self.session.suffix, self.session.fim = prompt, suffix, suffix is not None
        self.session.params = params.to_dict()

    def open(self, path: Path) -> Session:
        """Open a session file (a ``UserError`` naming the file when it cannot be used)."""
        self.session = load_session(path)
        self.path = None if path.parent == locations.history_dir() else path
        return self.session

    def model_warning(self, engine: PlaygroundEngine) -> str | None:
        """Why a replay on ``engine`` may give other tokens: the session was recorded on another model."""
        recorded = self.session.model.get("id")
        if recorded and recorded != engine.loaded.name:
            return f"This run was recorded with {recorded}; another model gives other tokens."
        return None

    def export_markdown(self, params: SamplingParams | None = None, text: str | None = None) -> Path:
        """Write the session as Markdown into the exports folder, with the front-end's current
        ``params`` and prompt ``text`` when given (what is on screen, not only what last ran)."""
        if params is not None:
            self._take(params, text)
        stem = self.path.stem if self.path is not None else history_path(self.session).stem
        path = locations.data_dir() / "exports" / f"{stem}.md"
        try:
            write_text_atomically(path, export_markdown(self.session))
        except OSError as error:
            raise UserError(f"could not write {path}: {error}", 1) from None
        return path
