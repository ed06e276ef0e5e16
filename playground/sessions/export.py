"""A session as Markdown: each run's model, parameters, live changes, prompt and responses."""

from __future__ import annotations

import re
from typing import Any

from playground.sessions.records import RunRecord
from playground.sessions.session import Session


def fenced(text: str, language: str) -> list[str]:
    """A code block whose fence is longer than any run of backticks inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{language}", text, fence, ""]


def _values(changes: dict[str, Any]) -> str:
    return ", ".join(f"`{k}={'none' if v is None else repr(v)}`" for k, v in changes.items())  # none as typed


def _run_lines(number: int, run: RunRecord, language: str) -> list[str]:
    changed = run.params.changes_from_defaults()
    replay = f", replay of run {run.replay_of}" if run.replay_of else ""
    lines = [f"## Run {number} ({run.started_at}{replay})", "", f"- model: `{run.model.describe()}`",
             "- versions: " + ", ".join(f"{k} {v}" for k, v in run.versions.items()),
             "- parameters: " + (_values(changed) or "the model card's defaults")]
    if run.columns:
        lines.append("- columns: " + " | ".join(_values(c.changes_from_defaults()) or "defaults" for c in run.columns))
    for change in run.live_changes:
        lines.append(f"- live change: response {change.row + 1} from token {change.at_token}: "
                     f"`{change.name}={change.value!r}`")
    lines += ["", "Prompt:" if run.suffix is None else "Prefix:", "", *fenced(run.prompt, language)]
    if run.suffix is not None:
        lines += ["Suffix:", "", *fenced(run.suffix, language)]
    for response in run.responses:
        lines += [f"Response {response.index + 1} (seed {response.seed}, {len(response.token_ids)} tokens, "
                  f"{response.finish_reason}):", "", *fenced(response.text, language)]
    return lines


def export_markdown(session: Session) -> str:
    models = ", ".join(f"`{model.describe()}`" for model in session.models) or "none yet"
    lines = [f"# {session.title}", "", f"- model(s): {models}", f"- created: {session.created_at}", "",
             f"Current parameters: {_values(session.params.changes_from_defaults()) or 'the defaults'}", ""]
    for number, run in enumerate(session.runs, 1):
        lines += _run_lines(number, run, session.language)
    return "\n".join(lines)

