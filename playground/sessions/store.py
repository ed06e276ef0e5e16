"""The session store: the one way front-ends record, save, open, list, rename and delete sessions.

- ``record_run`` appends a run to the history: one new file per run, written atomically, so two
  instances on the same session never lose each other's runs and a kill loses at most the run
  being written. The run is in ``session.runs`` before the write: a failed write loses nothing.
- ``save`` writes the whole session under a name (``sessions/NAME.json``) or at an explicit path
  ending in ``.json``, under a lock, merging runs another instance saved there meanwhile. A name
  held by a different session is refused (``NameTaken``) unless ``overwrite``.
- A named session and the history runs of the same id are one entry in ``entries`` and one
  session in ``open``; a rename or delete in the browser is followed by the next ``save``.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from playground import locations
from playground.atomic import WriteFailed, locked, remove_stale_temporaries, write_text_atomically
from playground.errors import UserError
from playground.names import path_for, same_file
from playground.sessions.catalog import Broken, Catalog, History, merge_runs, visible_json
from playground.sessions.export import export_markdown
from playground.sessions.records import RunRecord, new_id, now_iso
from playground.sessions.session import Session, SessionError, dump_run, first_line, load_session_file
from playground.user_files import shown


class NameTaken(SessionError):
    """Saving would replace a different session (or a file that is not a readable session)."""


class NameNeeded(UserError):
    """The session has no file to save to (never saved, or its file was deleted): ask for a name."""


@dataclass(frozen=True)
class SessionEntry:
    """One row of the session browser. ``error`` is set (one line) for a file that cannot be read;
    such an entry can be deleted but not opened."""

    kind: Literal["saved", "recent"]
    path: Path  # the saved file, the history folder, or the unreadable file
    title: str
    session_id: str | None
    updated_at: str
    model: str
    first_line: str
    runs: int
    #: Runs in the history that the saved file does not hold yet.
    unsaved_runs: int = 0
    error: str | None = None

    @property
    def key(self) -> str:
        return str(self.path)


class SessionStore:
    """Sessions under one data dir (the user's, or a test's)."""

    def __init__(self, data_dir: Path | None = None) -> None:
        root = data_dir or locations.data_dir()
        self.sessions_dir = root / "sessions"
        self.history_dir = root / "history"
        self.exports_dir = root / "exports"
        self._catalog = Catalog(self.sessions_dir, self.history_dir)
        for folder in (self.sessions_dir, self.exports_dir, self.history_dir, *self._history_folders()):
            remove_stale_temporaries(folder)

    def _history_folders(self) -> list[Path]:
        try:
            return [p for p in self.history_dir.iterdir() if p.is_dir()] if self.history_dir.is_dir() else []
        except OSError:
            return []

    def path_for(self, name_or_path: str) -> Path:
        """A name is a file in the sessions folder; only a path ending in ``.json`` is a path."""
        return path_for(name_or_path, self.sessions_dir)

    # ---------------------------------------------------------------- writing
    def record_run(self, session: Session, run: RunRecord) -> Path:
        """Add ``run`` to ``session`` and autosave it to the history (raises WriteFailed, with the
        run kept in memory, if the disk refuses)."""
        if any(known.id == run.id for known in session.runs):
            raise ValueError(f"run {run.id} is already recorded")
        session.runs.append(run)
        session.updated_at = now_iso()
        path = self.history_dir / session.id / f"{time.time_ns():020d}-{run.id}.json"
        write_text_atomically(path, dump_run(session, run))
        return path

    def save(self, session: Session, name_or_path: str | None = None, *, overwrite: bool = False) -> Path:
        """Write the whole session to its file, or under a new name or path, where it then continues
        (a session already saved elsewhere is copied there under a new id). Raises NameNeeded,
        NameTaken, BadName, WriteFailed; ``session`` changes only once the write succeeded."""
        target = self._home(session) if name_or_path is None else self.path_for(name_or_path)
        with locked(target.parent):
            existing = self._existing(target, overwrite)
            if existing is not None and existing.id == session.id:
                session_id, runs = session.id, merge_runs(existing.runs, session.runs)  # keep runs saved meanwhile
            elif existing is not None and not overwrite:
                raise NameTaken(target, "a different session is saved under this name; overwrite it or pick "
                                        "another name")
            else:
                moving = session.saved_path is not None and not same_file(target, session.saved_path)
                session_id, runs = (new_id() if moving else session.id), list(session.runs)
            updated = now_iso()
            copy = replace(session, id=session_id, name=target.stem, runs=runs, updated_at=updated)
            write_text_atomically(target, copy.dumps())
        session.id, session.name, session.runs, session.updated_at = session_id, target.stem, runs, updated
        session.saved_path = target
        return target

    def _home(self, session: Session) -> Path:
        """Where ``session`` is saved now: its file, or the file a rename moved it to."""
        path = session.saved_path
        if path is not None and path.exists():
            try:
                if load_session_file(path).id == session.id:
                    return path
            except SessionError:
                pass
        if path is None or path.parent == self.sessions_dir:
            for saved in self._catalog.saved():
                if isinstance(saved, Session) and saved.id == session.id:
                    return saved.saved_path or path  # type: ignore[return-value]
        if path is not None and path.parent != self.sessions_dir and not path.exists():
            return path  # an explicit path outside the store: write it again
        raise NameNeeded("this session has no file yet (or its file was deleted): save it under a name")

    @staticmethod
    def _existing(target: Path, overwrite: bool) -> Session | None:
        """The session saved at ``target`` now, if any; an unreadable file there is kept unless
        ``overwrite``."""
        if not target.exists() and not target.is_symlink():
            return None
        try:
            return load_session_file(target)
        except SessionError as error:
            if overwrite:
                return None
            raise NameTaken(target, f"exists but cannot be read as a session ({error.what}); overwrite it or "
                                    "pick another name") from None

    def export(self, session: Session) -> Path:
        """The session as Markdown in the exports folder."""
        path = self.exports_dir / f"{session.name or session.id}.md"
        write_text_atomically(path, export_markdown(session))
        return path

    # ---------------------------------------------------------------- reading
    def open(self, target: str | Path | SessionEntry) -> Session:
        """A session by browser entry, name or path, with every run of its id that the history holds."""
        if isinstance(target, SessionEntry):
            if target.error is not None:
                raise SessionError(target.path, target.error.removeprefix(f"{shown(target.path)}: "))
            if target.kind == "recent":
                return self._from_history(target.session_id or "")
            path = target.path
        else:
            path = self.path_for(target) if isinstance(target, str) else Path(target)
        session = load_session_file(path)
        history = self._catalog.histories(only=session.id)[0].get(session.id)
        if history is not None:
            if history.state.updated_at > session.updated_at:
                self._take_state(session, history.state)
            session.runs = merge_runs(session.runs, history.runs)
        return session

    def _from_history(self, session_id: str) -> Session:
        history = self._catalog.histories(only=session_id)[0].get(session_id)
        if history is None:
            raise SessionError(self.history_dir / session_id, "no such session in the history (deleted?)")
        session = Session(id=session_id, created_at=history.state.created_at)
        self._take_state(session, history.state)
        session.runs = merge_runs([], history.runs)
        return session

    @staticmethod
    def _take_state(session: Session, state: Session) -> None:
        session.prompt, session.suffix, session.fim = state.prompt, state.suffix, state.fim
        session.language, session.params, session.updated_at = state.language, state.params, state.updated_at

    def entries(self) -> list[SessionEntry]:
        """Saved sessions, then recent ones (history not saved under a name), newest first; then
        the files that cannot be read (saved, then history), with ``error`` set."""
        histories, broken_runs = self._catalog.histories()
        saved, broken_saved = [], []
        for item in self._catalog.saved():
            if isinstance(item, Broken):
                broken_saved.append(_broken_entry("saved", item))
                continue
            history = histories.get(item.id)
            extra = [run for run in history.runs if run.id not in {r.id for r in item.runs}] if history else []
            updated = max(item.updated_at, history.state.updated_at) if history else item.updated_at
            runs = [*item.runs, *extra]
            path = item.saved_path or self.sessions_dir / f"{item.name}.json"
            saved.append(SessionEntry("saved", path, path.stem, item.id, updated, _models(runs),
                                      first_line(item.prompt), len(runs), len(extra)))
        saved_ids = {entry.session_id for entry in saved}
        recent = [_history_entry(self.history_dir, history) for history in histories.values()
                  if history.session_id not in saved_ids]
        return [*_newest_first(saved), *_newest_first(recent), *broken_saved,
                *(_broken_entry("recent", item) for item in broken_runs)]

    # ---------------------------------------------------------------- changing
    def rename(self, entry: SessionEntry, new_name: str) -> Path:
        """Give an entry a (new) name: a saved session moves, a recent one is saved under it."""
        if entry.error is not None:
            raise SessionError(entry.path, "cannot be renamed: it cannot be read (delete it instead)")
        target = self.path_for(new_name)
        if target.parent != self.sessions_dir:
            raise SessionError(target, "a rename takes a name, not a path")
        session = self.open(entry)
        if entry.kind == "saved" and same_file(target, entry.path):
            return entry.path
        with locked(self.sessions_dir):
            if target.exists() or target.is_symlink():
                raise NameTaken(target, "a session is already saved under this name: pick another name")
            session.name, session.updated_at = target.stem, now_iso()
            write_text_atomically(target, session.dumps())
            if entry.kind == "saved":
                _remove(entry.path)
        return target

    def delete(self, entry: SessionEntry) -> None:
        """Delete an entry: the saved file and every history run of its id (they are one thing), or
        just the file, for an entry that cannot be read."""
        if entry.error is not None or entry.kind == "saved":
            _remove(entry.path)
        if entry.error is None and entry.session_id:
            folder = self.history_dir / entry.session_id
            try:
                if folder.is_dir() and not folder.is_symlink():
                    shutil.rmtree(folder)
            except OSError as failure:
                raise WriteFailed(folder, failure) from None
            for legacy in visible_json(self.history_dir):
                if legacy.stem.endswith(f"-{entry.session_id}"):
                    _remove(legacy)


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as failure:
        raise WriteFailed(path, failure) from None


def _newest_first(entries: list[SessionEntry]) -> list[SessionEntry]:
    return sorted(entries, key=lambda entry: entry.updated_at, reverse=True)


def _models(runs: list[RunRecord]) -> str:
    return ", ".join(dict.fromkeys(run.model.id for run in runs)) or "?"


def _history_entry(history_dir: Path, history: History) -> SessionEntry:
    state = history.state
    return SessionEntry("recent", history_dir / history.session_id, first_line(state.prompt) or "(empty prompt)",
                        history.session_id, state.updated_at, _models(history.runs), first_line(state.prompt),
                        len(history.runs))


def _broken_entry(kind: Literal["saved", "recent"], item: Broken) -> SessionEntry:
    return SessionEntry(kind, item.path, item.path.name, None, "", "?", "", 0, error=str(item.error))
