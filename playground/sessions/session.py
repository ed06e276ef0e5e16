"""A session: the prompt being worked on, its parameters, and every run, as readable JSON.

Two documents carry sessions, both with ``format`` and ``schema_version``:

- a **session file** (``starcoder-play-session``): the whole session, what "save" writes;
- a **run file** (``starcoder-play-run``): one run plus the session's state when it finished,
  what autosave writes into the history, one file per run.

Version 2 gave every run an id, its own model and package versions; version-1 session files
(one model per session, runs without ids) are still read. A file is data only: parsed with
``json``, checked field by field, never executed or unpickled; no access token goes into one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playground.params import SamplingParams
from playground.sessions import checks, layout
from playground.sessions.checks import Invalid
from playground.sessions.records import ModelRecord, RunRecord, content_id, new_id, now_iso, package_versions
from playground.user_files import SESSION_LIMIT, FileProblem, load_json

FORMAT = "starcoder-play-session"
RUN_FORMAT = "starcoder-play-run"
SCHEMA_VERSION = 2
#: A session id names a history folder: it must be a plain name, whatever a file claims.
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")


class SessionError(FileProblem):
    """A session or run file that cannot be used: ``path: what is wrong``."""


@dataclass
class Session:
    """The session a front-end works on. ``runs`` grow through ``SessionStore.record_run``;
    ``saved_path`` is where ``SessionStore.save`` last wrote it (not stored in the file)."""

    prompt: str = ""
    suffix: str | None = None
    fim: bool = False
    language: str = "python"
    params: SamplingParams = field(default_factory=SamplingParams)
    runs: list[RunRecord] = field(default_factory=list)
    name: str | None = None
    id: str = field(default_factory=new_id)
    created_at: str = field(default_factory=now_iso)
    updated_at: str = field(default_factory=now_iso)
    saved_path: Path | None = field(default=None, compare=False)

    @property
    def title(self) -> str:
        return self.name or first_line(self.prompt) or "(empty prompt)"

    @property
    def models(self) -> list[ModelRecord]:
        """The distinct models the runs came from, in order of first use."""
        return list(dict.fromkeys(run.model for run in self.runs))

    def state_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "created_at": self.created_at, "updated_at": self.updated_at,
                "prompt": self.prompt, "suffix": self.suffix, "fim": self.fim, "language": self.language,
                "params": self.params.to_dict()}

    def dumps(self) -> str:
        document = {"format": FORMAT, "schema_version": SCHEMA_VERSION, **self.state_json(),
                    "runs": [run.to_json() for run in self.runs]}
        return layout.dumps(document) + "\n"


def first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def dump_run(session: Session, run: RunRecord) -> str:
    """A history run file: the run, and the session's state as it was when the run finished."""
    document = {"format": RUN_FORMAT, "schema_version": SCHEMA_VERSION, "session": session.state_json(),
                "run": run.to_json()}
    return layout.dumps(document) + "\n"


def _check_header(data: Any, expected: str) -> int:
    if not isinstance(data, dict) or data.get("format") not in (FORMAT, RUN_FORMAT):
        raise Invalid("is not a starcoder-play session file")
    version = data.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise Invalid("has no valid schema_version")
    if version > SCHEMA_VERSION:
        raise Invalid(f"was written by a newer starcoder-play (schema {version}; this version reads up to "
                      f"{SCHEMA_VERSION}): upgrade starcoder-play to open it")
    if data["format"] != expected:
        raise Invalid(f"is a {data['format']} file where a {expected} file was expected")
    return version


def _read_state(data: dict[str, Any], where: str = "") -> Session:
    session_id = checks.required_text(data, "id", where, limit=64)
    if not ID_PATTERN.fullmatch(session_id):
        raise Invalid(f"{checks.join(where, 'id')} must be letters, digits, '-' or '_' (got {session_id!r})")
    language = checks.required_text(data, "language", where, limit=64)
    if not language.strip():
        raise Invalid(f"{checks.join(where, 'language')} must not be empty")
    return Session(prompt=checks.required_text(data, "prompt", where),
                   suffix=checks.text(data, "suffix", where, optional=True), fim=checks.boolean(data, "fim", where),
                   language=language, params=checks.params(checks.field(data, "params", where),
                                                           checks.join(where, "params")),
                   name=checks.text(data, "name", where, optional=True, limit=checks.SHORT_TEXT), id=session_id,
                   created_at=checks.timestamp(data, "created_at", where),
                   updated_at=checks.timestamp(data, "updated_at", where))


def parse_session(data: Any) -> Session:
    """A session document (version 1 or 2) to a Session; raises Invalid naming the bad field."""
    version = _check_header(data, FORMAT)
    session = _read_state(data)
    if version == 1:
        model = ModelRecord.read(checks.field(data, "model", ""), "model") if data.get("model") else \
            ModelRecord("?")
        versions = checks.string_table(data, "versions") if "versions" in data else {}
        session.runs = checks.items(data, "runs", "", lambda value, where: RunRecord.read_fields(
            checks.obj(value, where), where, run_id=content_id(value), model=model, versions=versions))
    else:
        session.runs = checks.items(data, "runs", "", RunRecord.read)
    ids = [run.id for run in session.runs]
    if len(set(ids)) != len(ids):
        raise Invalid("runs: two runs have the same id")
    return session


def parse_run_file(data: Any) -> tuple[Session, RunRecord]:
    """A history run file to (the session's state, without runs; the run)."""
    _check_header(data, RUN_FORMAT)
    state = _read_state(checks.obj(checks.field(data, "session", ""), "session"), "session")
    return state, RunRecord.read(checks.field(data, "run", ""), "run")


def load_session_file(path: Path) -> Session:
    """Read and check one session file (bounded, regular files only); SessionError names it."""
    data = load_json(path, SESSION_LIMIT, SessionError)
    try:
        session = parse_session(data)
    except Invalid as problem:
        raise SessionError(path, str(problem)) from None
    except RecursionError:  # pragma: no cover - json.loads fails first
        raise SessionError(path, "is nested too deeply to be valid") from None
    session.saved_path = path
    return session


def load_run_file(path: Path) -> tuple[Session, RunRecord]:
    data = load_json(path, SESSION_LIMIT, SessionError)
    try:
        return parse_run_file(data)
    except Invalid as problem:
        raise SessionError(path, str(problem)) from None


__all__ = ["FORMAT", "RUN_FORMAT", "SCHEMA_VERSION", "Session", "SessionError", "dump_run", "first_line",
           "load_run_file", "load_session_file", "package_versions", "parse_session"]
