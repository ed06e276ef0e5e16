"""The command line's streams: what ``generate`` reads (bounded, UTF-8, checked) and how it
writes (a closed or full output, a reader gone away), each ending in one line and an exit code.

Exit codes: 0 done; 1 the environment (no model, no GPU, output cannot be written); 2 bad
input (arguments, a prompt that is not UTF-8, too large or too long); 130 cancelled (Ctrl+C);
141 the output's reader went away (a broken pipe: 128 + SIGPIPE, what a shell reports for a
program killed by it, without the traceback Python would print).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import BinaryIO

from playground.errors import UserError

EXIT_ENVIRONMENT = 1
EXIT_CANCELLED = 130
EXIT_BROKEN_PIPE = 141
#: What ``generate`` reads of a prompt or suffix, at most: far above any context window
#: (16k tokens is about 64 KB of code), far below what would hurt to hold in memory.
MAX_PROMPT_BYTES = 8 * 1024 * 1024


def checked_text(value: str, what: str) -> str:
    """An argument's text, refused if it is not valid UTF-8: Python hands undecodable bytes of
    ``argv`` over as lone surrogates (surrogateescape), which no tokenizer can take."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        other = ", or read it from a UTF-8 file with --prompt-file" if what == "--prompt" else ""
        raise UserError(f"{what} is not valid UTF-8 text (an undecodable byte at character {error.start}): "
                        f"pass UTF-8 text{other}") from None
    return value


def read_bounded(stream: BinaryIO, what: str) -> str:
    """At most ``MAX_PROMPT_BYTES`` of ``stream``, decoded as UTF-8; a larger or undecodable
    input is refused before any model loads."""
    data = stream.read(MAX_PROMPT_BYTES + 1)
    if len(data) > MAX_PROMPT_BYTES:
        raise UserError(f"{what} is larger than {MAX_PROMPT_BYTES // (1024 * 1024)} MB, far beyond the model's "
                        "context window: pass only the code the model should see")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UserError(f"{what} is not UTF-8 text (an invalid byte at offset {error.start}): "
                        "convert it to UTF-8 first") from None


def read_file(path: Path, what: str) -> str:
    """A prompt or suffix file (a pipe or ``/dev/stdin`` too), bounded and decoded."""
    try:
        with path.open("rb") as stream:
            return read_bounded(stream, f"the {what} file {path}")
    except FileNotFoundError:
        raise UserError(f"{what} file not found: {path}") from None
    except IsADirectoryError:
        raise UserError(f"the {what} file {path} is a folder: give a file") from None
    except OSError as error:
        raise UserError(f"cannot read the {what} file {path}: {error.strerror or error}") from None


def read_stdin() -> str | None:
    """The prompt piped on standard input; None when there is none to read (a terminal, or
    standard input closed with ``<&-``)."""
    stdin = sys.stdin
    if stdin is None or stdin.closed:
        return None
    try:
        if stdin.isatty():
            return None
        return read_bounded(stdin.buffer, "the prompt on standard input")
    except OSError:  # a descriptor that is not open for reading
        return None


def require_stdout() -> None:
    """Refuse before loading a model when nothing could be printed (``>&-``: Python then sets
    ``sys.stdout`` to None, and ``print`` would drop the output without a word)."""
    if sys.stdout is None:
        raise UserError("standard output is closed: redirect it to a file (> out.txt) or to /dev/null",
                        EXIT_ENVIRONMENT)


def write(text: str) -> None:
    """Write to standard output now. A broken pipe propagates (the caller says so in one line
    and exits 141); any other failure (a full disk, ``/dev/full``, a closed descriptor) is one line."""
    require_stdout()
    stdout = sys.stdout
    assert stdout is not None
    try:
        stdout.write(text)
        stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as error:
        raise UserError(f"cannot write the output: {error.strerror or error}", EXIT_ENVIRONMENT) from None


def reader_gone() -> int:
    """Standard output's reader went away (``| head -c 10``). Point the descriptor at
    /dev/null so the interpreter's last flush cannot fail again (the recipe in Python's
    documentation of SIGPIPE), and exit with 141."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):
        pass
    return EXIT_BROKEN_PIPE


def finish_quietly() -> None:
    """The work is done and written: from here to the process's end a Ctrl+C exits at once
    with 130, never as a KeyboardInterrupt traceback from an exit handler."""
    signal.signal(signal.SIGINT, lambda _signum, _frame: os._exit(EXIT_CANCELLED))
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass
