"""Reading the session store: every saved session and every history run, checked once and
grouped by session id, so a named session and its history are one thing.

Layout under the data dir::

    sessions/NAME.json                       a saved session (the whole session)
    history/SESSION-ID/TIME-RUN-ID.json      one autosaved run (append-only: one file per run)
    history/*.json                           a version-1 history file (the whole session)

A file that cannot be read becomes a ``Broken`` item naming the file and what is wrong; the
rest are still listed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeAlias

from playground.sessions.records import RunRecord
from playground.sessions.session import ID_PATTERN, Session, SessionError, load_run_file, load_session_file


@dataclass(frozen=True)
class Broken:
    path: Path
    error: SessionError


@dataclass
class History:
    """The autosaved runs of one session id, oldest first, with the latest state of the session."""

    session_id: str
    state: Session
    runs: list[RunRecord] = field(default_factory=list)
    paths: list[Path] = field(default_factory=list)

    def absorb(self, state: Session, runs: list[RunRecord], path: Path) -> None:
        known = {run.id for run in self.runs}
        self.runs.extend(run for run in runs if run.id not in known)
        self.paths.append(path)
        if state.updated_at >= self.state.updated_at:
            self.state = state


_Parsed: TypeAlias = Session | tuple[Session, RunRecord] | Broken


def visible_json(folder: Path) -> list[Path]:
    """``*.json`` files in ``folder`` by name, skipping hidden ones (temporaries in flight)."""
    try:
        return sorted(p for p in folder.glob("*.json") if not p.name.startswith("."))
    except OSError:
        return []


class Catalog:
    """Parsed files, cached by (inode, size, mtime) so the browser re-reads only what changed."""

    def __init__(self, sessions_dir: Path, history_dir: Path) -> None:
        self.sessions_dir = sessions_dir
        self.history_dir = history_dir
        self._cache: dict[Path, tuple[tuple[int, int, int], _Parsed]] = {}

    def _parse(self, path: Path, as_run: bool) -> _Parsed:
        try:
            info = os.stat(path)
            stamp = (info.st_ino, info.st_size, info.st_mtime_ns)
        except OSError:
            stamp = (0, 0, 0)
        cached = self._cache.get(path)
        if cached is not None and cached[0] == stamp and stamp != (0, 0, 0):
            return cached[1]
        try:
            parsed: _Parsed = load_run_file(path) if as_run else load_session_file(path)
        except SessionError as error:
            parsed = Broken(path, error)
        self._cache[path] = (stamp, parsed)
        return parsed

    def _session(self, path: Path) -> Session | Broken:
        parsed = self._parse(path, as_run=False)
        assert not isinstance(parsed, tuple)  # narrows the cached union for the type checker
        return parsed

    def _run(self, path: Path) -> tuple[Session, RunRecord] | Broken:
        parsed = self._parse(path, as_run=True)
        assert not isinstance(parsed, Session)  # narrows the cached union for the type checker
        return parsed

    def saved(self) -> list[Session | Broken]:
        found: list[Session | Broken] = []
        for path in visible_json(self.sessions_dir):
            parsed = self._session(path)
            found.append(replace(parsed, saved_path=path, runs=list(parsed.runs))
                         if isinstance(parsed, Session) else parsed)
        return found

    def histories(self, only: str | None = None) -> tuple[dict[str, History], list[Broken]]:
        """Every history by session id (or just ``only``'s), and the files that could not be read."""
        histories: dict[str, History] = {}
        broken: list[Broken] = []
        try:
            children = sorted(self.history_dir.iterdir()) if self.history_dir.is_dir() else []
        except OSError:
            children = []
        for child in children:
            if child.name.startswith("."):
                continue
            if child.is_dir() and ID_PATTERN.fullmatch(child.name):
                if only is not None and child.name != only:
                    continue
                for path in visible_json(child):
                    run = self._run(path)
                    if isinstance(run, Broken):
                        broken.append(run)
                    elif run[0].id != child.name:
                        broken.append(Broken(path, SessionError(path, f"belongs to session {run[0].id!r}, "
                                                                      f"not {child.name!r}")))
                    else:
                        _add(histories, run[0], [run[1]], path)
            elif child.suffix == ".json" and child.is_file():
                if only is not None and not child.stem.endswith(only):
                    continue
                parsed = self._session(child)
                if isinstance(parsed, Broken):
                    broken.append(parsed)
                elif only is None or parsed.id == only:
                    _add(histories, parsed, parsed.runs, child)
        return histories, broken


def _add(histories: dict[str, History], state: Session, runs: list[RunRecord], path: Path) -> None:
    history = histories.get(state.id)
    if history is None:
        history = histories[state.id] = History(state.id, state)
    history.absorb(state, runs, path)


def merge_runs(first: list[RunRecord], second: list[RunRecord]) -> list[RunRecord]:
    """Every run of both, once each (by id), in the order they started."""
    known = {run.id for run in first}
    merged = [*first, *(run for run in second if run.id not in known)]
    return sorted(merged, key=lambda run: run.started_at)  # stable: ties keep their order
