"""The one-line texts every front-end shows: the status line, an error, a preset's changes.

Written once here so the playground, the REPL and ``generate`` say the same thing the same way.
"""

from __future__ import annotations

import errno
from collections.abc import Mapping, Sequence
from typing import Any

from playground.engine.types import GenerationResult, ResponseResult
from playground.errors import UserError
from playground.params import ParamSpec, SamplingParams
from playground.presets import Preset
from playground.response_format import ResponseFormat
from playground.sessions.probabilities import REPLAY_TOLERANCE, first_difference
from playground.sessions.records import ResponseRecord


def status_line(result: GenerationResult) -> str:
    """A finished run: time to first token, decode rate, tokens, finish reasons, seed."""
    timings = result.timings
    reasons = " / ".join(r.finish_reason + format_note(r) for r in result.responses)
    tokens = " / ".join(str(len(r.token_ids)) for r in result.responses)
    changes = f" · {len(result.live_changes)} live change(s)" if result.live_changes else ""
    return (f"ttft {timings.ttft_s * 1000:.0f} ms · {timings.decode_tokens_per_s:.1f} tok/s · "
            f"{tokens} tokens · {reasons} · seed {result.seed}{changes}")


def format_note(response: ResponseResult) -> str:
    """Whether a constrained response ended as a whole instance of its format (a cut one is
    not: ``length`` or a stop sequence mid-value); nothing for a text response."""
    if response.format_complete is None:
        return ""
    return ", format complete" if response.format_complete else ", format incomplete"


def streaming_line(generated: int, first_token_s: float | None, rate: float) -> str:
    """A run still streaming: when its first token came (once there is one), rate, tokens so far.
    Counted from the run's start on screen, so it includes reading the prompt's tokens (a
    server's ``/tokenize``) and a first compile, which the finished run's ``ttft`` leaves out
    (``GenerationClock``): it is not called ttft, so the two figures do not seem to disagree."""
    first = f"first token after {first_token_s * 1000:.0f} ms · " if first_token_s is not None else ""
    return f"{first}{rate:.1f} tok/s · {generated} tokens"


#: The fix for the file-system failures a user meets (a read-only folder, a full disk, /proc).
_OS_FIXES = {
    errno.ENOSPC: "free some disk space and try again",
    errno.EDQUOT: "free some disk space and try again",
    errno.EACCES: "check the permissions, or choose another place",
    errno.EPERM: "check the permissions, or choose another place",
    errno.EROFS: "the file system is read-only: choose another place",
    errno.ENOENT: "check the path",
    errno.ENOTDIR: "check the path: a part of it is a file, not a folder",
    errno.EISDIR: "that is a folder: give a file name",
}


def error_line(error: BaseException) -> str:
    """The one line an error is shown as: a ``UserError`` names the problem and the fix itself;
    a file-system failure (``OSError``) names the file, the reason and the fix; anything else
    is a bug, shown by its type and first line, never as a traceback."""
    if isinstance(error, UserError):
        return str(error)
    if isinstance(error, OSError) and error.strerror:
        return os_error_line(error)
    text = str(error).strip()
    return f"internal error: {type(error).__name__}: {text.splitlines()[0] if text else ''}"


def os_error_line(error: OSError) -> str:
    """``PATH: reason (fix)`` for a failed read or write; the caller keeps running, nothing lost."""
    where = f"{error.filename}: " if error.filename is not None else ""
    fix = _OS_FIXES.get(error.errno or 0)
    return f"{where}{error.strerror}" + (f" ({fix})" if fix else "")


def is_user_facing(error: BaseException) -> bool:
    """A problem the user can fix (bad input or the environment), not a bug."""
    return isinstance(error, UserError) or (isinstance(error, OSError) and bool(error.strerror))


def error_message(error: BaseException) -> str:
    """``error_line`` for a terminal: a user's error reads ``error: …``."""
    line = error_line(error)
    return f"error: {line}" if is_user_facing(error) else line


def format_value(spec: ParamSpec, value: float | int | None) -> str:
    """A parameter's value as its box shows it: ``none``, a whole number, or a short decimal."""
    if value is None:
        return "none"
    if spec.kind == "int":
        return str(int(value))
    if value == int(value):
        return f"{value:.1f}"
    short = f"{value:.4f}".rstrip("0").rstrip(".")
    return short if float(short) != 0 else f"{value:.1e}"  # 0.00001 is not 0


def amount(done: int | None, total: int | None) -> str:
    """Bytes loaded of the total, in the unit that suits the total (``3.2/31.3 GB``, ``1.2/4.5 MB``)."""
    if not total:
        return ""
    scale, unit = next(((s, u) for s, u in ((1e9, "GB"), (1e6, "MB"), (1e3, "kB")) if total >= s), (1, "bytes"))
    return f"{(done or 0) / scale:.1f}/{total / scale:.1f} {unit}"


def loading_line(stage: str, done: int | None, total: int | None) -> str:
    """A loading stage with its progress in bytes, when known."""
    text = amount(done, total)
    return f"{stage} {text}" if text else stage


def assignments(values: Mapping[str, Any], separator: str = ", ") -> str:
    """``name=value`` pairs, values as Python literals (``temperature=0.2, stop=['\\n']``), but
    ``none`` as the user types it (``max_new_tokens=none``), not Python's ``None``, and a
    response format by its short label."""
    return separator.join(f"{name}={_assigned(name, value)}" for name, value in values.items())


def _assigned(name: str, value: Any) -> str:
    if name == "response_format" and isinstance(value, dict):  # a schema is too long for a line
        return ResponseFormat(**value).label()
    return "none" if value is None else repr(value)


def preset_summary(preset: Preset) -> str:
    """What a preset changes from the model card's defaults."""
    return assignments(preset.apply(SamplingParams()).changes_from_defaults()) or "the model card's defaults"


def first_divergence(a: Sequence[int], b: Sequence[int]) -> int | None:
    """Index of the first token where two responses differ (None if one equals the other)."""
    for index, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return index
    return None if len(a) == len(b) else min(len(a), len(b))


def replay_verdict(saved: Sequence[ResponseRecord], result: GenerationResult) -> str:
    """Whether a replay gave the saved run's tokens and, where the run saved them, their
    probabilities. A saved response that was stopped (``cancelled``) is compared over the
    tokens it had: the replay is not stopped, it runs on."""
    stopped = False
    for record, response in zip(saved, result.responses):
        replayed = response.token_ids
        if record.finish_reason == "cancelled" and len(replayed) > len(record.token_ids):
            replayed, stopped = replayed[:len(record.token_ids)], True
        at = first_divergence(record.token_ids, replayed)
        if at is not None:
            return f"✗ replay differs from the saved run at token {at} of response {response.index + 1}"
    checked = 0
    for record, response in zip(saved, result.responses):
        if record.probabilities is None or response.logprobs is None:
            continue
        at = first_difference(record.probabilities, response.logprobs)
        if at is not None:
            return (f"✗ replay gave the same tokens, but token {at} of response {response.index + 1} has another "
                    f"probability (saved {record.probabilities[at].logprob:.5g}, "
                    f"now {response.logprobs[at].logprob:.5g})")
        checked += len(record.probabilities)
    compared = sum(len(record.token_ids) for record in saved)
    matched = f", {checked} probabilities within {REPLAY_TOLERANCE:g}" if checked else ""
    ran_on = "; the saved run was stopped there, the replay ran on" if stopped else ""
    return f"✓ replay identical to the saved run ({compared} tokens{matched}{ran_on})"
