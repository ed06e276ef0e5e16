"""Sessions: a prompt, the model it ran on, and every run with its tokens, as readable JSON.

A session file is data only: it is parsed with ``json`` and checked field by field; nothing in
it is executed or unpickled, and no access token is ever written into it. Writes are atomic
(``playground.atomic``): a crash loses at most the run still streaming.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from playground import __version__, locations
from playground.atomic import write_text_atomically
from playground.engine.types import GenerationRequest, GenerationResult, LiveChange
from playground.errors import UserError
from playground.params import SamplingParams

FORMAT = "starcoder-play-session"
SCHEMA_VERSION = 1


class SessionError(UserError):
    """A session file that cannot be used; the message names the file."""


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def package_versions() -> dict[str, str]:
    versions = {"starcoder-play": __version__}
    for package in ("torch", "transformers"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


@dataclass
class RunRecord:
    """One generation: exactly what went in (prompt, parameters, seed) and what came out."""

    started_at: str
    prompt: str
    suffix: str | None
    params: dict[str, Any]
    columns: list[dict[str, Any]] | None
    prompt_tokens: int
    responses: list[dict[str, Any]]
    live_changes: list[dict[str, Any]]
    timings: dict[str, float]

    @classmethod
    def from_result(cls, request: GenerationRequest, result: GenerationResult, started_at: str) -> RunRecord:
        return cls(
            started_at=started_at, prompt=request.prompt, suffix=request.suffix, params=result.params_json(),
            columns=[c.to_dict() for c in request.columns] if request.columns else None,
            prompt_tokens=result.prompt_tokens,
            responses=[{**r.to_json(), "params": r.params.to_dict()} for r in result.responses],
            live_changes=[asdict(c) for c in result.live_changes], timings=asdict(result.timings),
        )

    def replay_request(self) -> GenerationRequest:
        """The same request, seed included, with its live changes scheduled at the same tokens."""
        params = SamplingParams.make({k: v for k, v in self.params.items() if k != "columns"})
        columns = tuple(SamplingParams.make(c) for c in self.columns) if self.columns else None
        if columns is not None:
            # unlinked columns drew their seeds as recorded
            columns = tuple(c.replace(seed=r["seed"]) for c, r in zip(columns, self.responses))
        scheduled = tuple(LiveChange(**c) for c in self.live_changes)
        return GenerationRequest(self.prompt, params, suffix=self.suffix, columns=columns, scheduled=scheduled)


@dataclass
class Session:
    prompt: str = ""
    suffix: str | None = None
    fim: bool = False
    language: str = "python"
    params: dict[str, Any] = field(default_factory=lambda: SamplingParams().to_dict())
    model: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=package_versions)
    runs: list[RunRecord] = field(default_factory=list)
    name: str | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    created_at: str = field(default_factory=now_iso)
    updated_at: str = field(default_factory=now_iso)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        return {"format": FORMAT, "schema_version": SCHEMA_VERSION, **data}

    def dumps(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, indent=1)

    @property
    def title(self) -> str:
        return self.name or first_line(self.prompt) or "(empty prompt)"


def first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def parse_session(text: str, path: Path) -> Session:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise SessionError(f"session {path} is not valid JSON (truncated or corrupt?): {error}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SessionError(f"{path} is not a starcoder-play session file")
    version = data.get("schema_version")
    if not isinstance(version, int):
        raise SessionError(f"session {path} has no schema_version")
    if version > SCHEMA_VERSION:
        raise SessionError(f"session {path} was written by a newer starcoder-play (schema {version}; "
                           f"this version reads {SCHEMA_VERSION}): upgrade starcoder-play to open it")
    try:
        runs = [RunRecord(**run) for run in data["runs"]]
        fields_ = {k: data[k] for k in ("prompt", "suffix", "fim", "language", "params", "model", "versions",
                                        "name", "id", "created_at", "updated_at")}
        session = Session(**fields_, runs=runs)
        _check_types(session)
    except (KeyError, TypeError, ValueError) as error:
        raise SessionError(f"session {path} is missing or has malformed fields ({error})") from None
    return session


def _check_types(session: Session) -> None:
    if not isinstance(session.prompt, str) or not isinstance(session.params, dict):
        raise ValueError("prompt must be text and params a table")
    SamplingParams.make({k: v for k, v in session.params.items() if k != "columns"})
    for run in session.runs:
        if not all(isinstance(r.get("token_ids"), list) for r in run.responses):
            raise ValueError("every response needs token_ids")


def load_session(path: Path) -> Session:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SessionError(f"session file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SessionError(f"cannot read session {path}: {error}") from None
    return parse_session(text, path)


def save_session(session: Session, path: Path) -> Path:
    session.updated_at = now_iso()
    write_text_atomically(path, session.dumps() + "\n")
    return path


def history_path(session: Session) -> Path:
    stamp = re.sub(r"[^0-9]", "", session.created_at)[:14]
    return locations.history_dir() / f"{stamp}-{session.id}.json"


def named_path(name: str) -> Path:
    """A bare name goes into the sessions dir; anything with a folder or .json is a path."""
    if "/" in name or name.endswith(".json"):
        return Path(name).expanduser()
    if not re.fullmatch(r"[\w .+-]{1,100}", name) or name.startswith("."):
        raise SessionError(f"{name!r} cannot be a session name: use letters, digits, spaces, '-', '_' and '.'")
    return locations.sessions_dir() / f"{name}.json"


@dataclass(frozen=True)
class SessionSummary:
    path: Path
    title: str
    updated_at: str
    model: str
    first_line: str
    kind: str  # "saved" or "recent"


def list_sessions() -> tuple[list[SessionSummary], list[str]]:
    """Saved then recent sessions, newest first, and one line per file that could not be read."""
    summaries: list[SessionSummary] = []
    problems: list[str] = []
    for folder, kind in ((locations.sessions_dir(), "saved"), (locations.history_dir(), "recent")):
        for path in folder.glob("*.json") if folder.is_dir() else ():
            try:
                session = load_session(path)
            except SessionError as error:
                problems.append(str(error))
                continue
            title = session.name or path.stem if kind == "saved" else session.title
            summaries.append(SessionSummary(path, title, session.updated_at, session.model.get("id", "?"),
                                            first_line(session.prompt), kind))
    saved = sorted((s for s in summaries if s.kind == "saved"), key=lambda s: s.updated_at, reverse=True)
    recent = sorted((s for s in summaries if s.kind == "recent"), key=lambda s: s.updated_at, reverse=True)
    return saved + recent, problems


def rename_session(path: Path, new_name: str) -> Path:
    session = load_session(path)
    target = named_path(new_name)
    if target.exists() and target.resolve() != path.resolve():
        raise SessionError(f"a session named {new_name!r} already exists: pick another name")
    session.name = new_name
    save_session(session, target)
    if target.resolve() != path.resolve():
        path.unlink()
    return target


def delete_session(path: Path) -> None:
    path.unlink(missing_ok=True)


def fenced(text: str, language: str) -> list[str]:
    """A code block whose fence is longer than any run of backticks inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{language}", text, fence, ""]


def export_markdown(session: Session) -> str:
    precision = session.model.get("quantize") or session.model.get("dtype", "?")
    lines = [f"# {session.title}", "", f"- model: `{session.model.get('id', '?')}`"
             f" ({session.model.get('device', '?')}, {precision})",
             "- versions: " + ", ".join(f"{k} {v}" for k, v in session.versions.items()),
             f"- created: {session.created_at}", ""]
    current = SamplingParams.make({k: v for k, v in session.params.items() if k != "columns"}).changes_from_defaults()
    lines += [f"Current parameters: {', '.join(f'`{k}={v!r}`' for k, v in current.items()) or 'the defaults'}", ""]
    for number, run in enumerate(session.runs, 1):
        changed = SamplingParams.make({k: v for k, v in run.params.items() if k != "columns"}).changes_from_defaults()
        lines += [f"## Run {number} ({run.started_at})", "", "Parameters: " +
                  (", ".join(f"`{k}={v!r}`" for k, v in changed.items()) or "the model card's defaults"), ""]
        if run.columns:
            lines += ["Columns: " + " | ".join(", ".join(f"`{k}={v!r}`" for k, v in
                      SamplingParams.make(c).changes_from_defaults().items()) or "defaults" for c in run.columns), ""]
        changes = [f"- live change: response {c['row'] + 1} from token {c['at_token']}: `{c['name']}={c['value']!r}`"
                   for c in run.live_changes]
        lines += [*changes, ""] if changes else []
        lines += ["Prompt:" if run.suffix is None else "Prefix:", "", *fenced(run.prompt, session.language)]
        if run.suffix is not None:
            lines += ["Suffix:", "", *fenced(run.suffix, session.language)]
        for response in run.responses:
            lines += [f"Response {response['index'] + 1} (seed {response['seed']}, {len(response['token_ids'])} "
                      f"tokens, {response['finish_reason']}):", "", *fenced(response["text"], session.language)]
    return "\n".join(lines)
