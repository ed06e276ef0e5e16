"""The session a front-end has open: every run recorded and autosaved, saved under a name,
reopened, replayed and exported. The front-ends record, save and open sessions only here; this
is a thin layer over ``sessions.SessionStore`` (the one reader and writer of session files),
adding what every front-end does the same way: the editor's text split at its ``<FILL>``, the
run's model read off the engine, and an autosave failure turned into a warning to show.
(The playground's sessions screen lists, renames and deletes entries through ``keeper.store``.)"""

from __future__ import annotations

from pathlib import Path

from playground.engine.types import GenerationResult
from playground.errors import UserError
from playground.params import SamplingParams
from playground.runtime.engines import PlaygroundEngine
from playground.runtime.prompts import split_at_marker
from playground.runtime.running import Generation
from playground.sessions.records import ModelRecord, RunRecord
from playground.sessions.session import Session
from playground.sessions.store import SessionEntry, SessionStore


class SessionKeeper:
    """Holds the open session and the store it lives in. ``path`` is where it is saved (None
    while it is only in the history). Every write is atomic and the session changes in memory
    first, so a failed write loses nothing and a crash loses at most the run still streaming."""

    def __init__(self, session: Session | None = None, store: SessionStore | None = None) -> None:
        self.store = store or SessionStore()
        self.session = session or Session()

    @property
    def path(self) -> Path | None:
        return self.session.saved_path

    @property
    def params(self) -> SamplingParams:
        """The parameters the session was left with."""
        return self.session.params

    @property
    def last_run(self) -> RunRecord | None:
        return self.session.runs[-1] if self.session.runs else None

    def record(self, generation: Generation, result: GenerationResult, params: SamplingParams,
               replay_of: RunRecord | None = None, parent: RunRecord | None = None) -> str | None:
        """Add a finished run (a replay too: it is a run; a branch names its ``parent``) and
        autosave it to the history, with
        the model it came from; the warning to show if it could not be written (the run is
        kept in memory and goes into the next save)."""
        request = generation.request
        session = self.session
        session.prompt, session.suffix, session.fim = request.prompt, request.suffix, request.is_fim
        session.params = params
        run = RunRecord.from_result(request, result, generation.started_at, ModelRecord.from_engine(generation.engine),
                                    replay_of=replay_of.id if replay_of is not None else None,
                                    parent=parent.id if parent is not None else None)
        try:
            self.store.record_run(session, run)
        except UserError as error:
            return f"could not autosave the run (it is kept in memory): {error}"
        return None

    def save(self, params: SamplingParams, text: str | None = None, name: str | None = None, *,
             overwrite: bool = False) -> Path:
        """Save where the session lives now (``name`` None) or under a name (into the sessions
        folder) or at a path ending in ``.json``, with the editor's ``text`` as the prompt when
        given: a ``<FILL>`` in it makes a prefix and a suffix. Raises the store's ``UserError``s:
        ``NameNeeded`` (no file yet: ask for a name), ``NameTaken`` (another session has that
        name: ask, then pass ``overwrite``), ``BadName``, ``WriteFailed``."""
        self._take(params, text)
        return self.store.save(self.session, name, overwrite=overwrite)

    def _take(self, params: SamplingParams, text: str | None) -> None:
        """The session's current prompt (the editor's ``text``; a ``<FILL>`` in it makes a prefix
        and a suffix) and parameters, as the front-end has them now."""
        if text is not None:
            prompt, suffix = split_at_marker(text) or (text, None)
            self.session.prompt, self.session.suffix, self.session.fim = prompt, suffix, suffix is not None
        self.session.params = params

    def save_as(self, name: str, params: SamplingParams, text: str | None = None, *, overwrite: bool = False) -> Path:
        """``save`` under ``name`` (a name, or a path ending in ``.json``)."""
        return self.save(params, text, name, overwrite=overwrite)

    def open(self, target: str | Path | SessionEntry) -> Session:
        """Open a session by browser entry, name or path, with every run of it the history holds
        (a ``UserError`` naming the file when it cannot be used; the open session stays)."""
        self.session = self.store.open(target)
        return self.session

    def model_warning(self, engine: PlaygroundEngine, run: RunRecord) -> str | None:
        """Why replaying ``run`` on ``engine`` may give other tokens: it was recorded on another model."""
        if run.model.id != ModelRecord.from_engine(engine).id:
            return f"This run was recorded with {run.model.id}; another model gives other tokens."
        return None

    def export_markdown(self, params: SamplingParams | None = None, text: str | None = None) -> Path:
        """Write the session as Markdown into the exports folder, with the front-end's current
        ``params`` and prompt ``text`` when given (what is on screen, not only what last ran)."""
        if params is not None:
            self._take(params, text)
        return self.store.export(self.session)
