"""Reading user files at the boundary: regular files only, bounded size, strict UTF-8, and JSON
or TOML parsed with every failure turned into one line naming the file.

Every loader of user data (sessions, presets, themes, config) reads through here, once. A
symlink to ``/dev/zero`` or a FIFO named ``x.json`` must neither hang nor read without bound:
the file is opened non-blocking and checked with ``fstat`` before a byte is read, and at most
``limit + 1`` bytes are ever read.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

from playground.errors import UserError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: Session and history files: a long run's token ids fit many times over.
SESSION_LIMIT = 16 * 2**20
#: Presets, themes and config.toml: a few lines each.
SMALL_FILE_LIMIT = 256 * 2**10


def shown(path: Path | str) -> str:
    """A path as it goes into a one-line message: control characters escaped, so a file named
    with a newline cannot break the line."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in str(path))


class FileProblem(UserError):
    """A user file that cannot be used: ``path: what is wrong``."""

    def __init__(self, path: Path | str, what: str) -> None:
        self.path = Path(path)
        self.what = one_line(what)
        super().__init__(f"{shown(path)}: {self.what}")


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def read_text(path: Path, limit: int, error: type[FileProblem] = FileProblem) -> str:
    """The whole of a regular file of at most ``limit`` bytes, as UTF-8 text."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise error(path, "no such file") from None
    except OSError as failure:
        raise error(path, f"cannot be read ({failure.strerror or failure})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a directory" if stat.S_ISDIR(info.st_mode) else "a device, pipe or socket"
            raise error(path, f"is {kind}, not a regular file")
        if info.st_size > limit:
            raise error(path, f"is {info.st_size:,} bytes, more than the {limit:,} bytes this kind of file may have")
        data = _read_at_most(fd, limit + 1)
    except OSError as failure:
        raise error(path, f"cannot be read ({failure.strerror or failure})") from None
    finally:
        os.close(fd)
    if len(data) > limit:  # grew after the fstat
        raise error(path, f"is more than the {limit:,} bytes this kind of file may have")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as failure:
        raise error(path, f"is not UTF-8 text (bad byte at offset {failure.start})") from None


def _read_at_most(fd: int, count: int) -> bytes:
    chunks: list[bytes] = []
    left = count
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def parse_json(text: str, path: Path, error: type[FileProblem] = FileProblem) -> Any:
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as failure:
        raise error(path, f"is not valid JSON (truncated or corrupt?): {failure.msg} at line {failure.lineno} "
                          f"column {failure.colno}") from None
    except RecursionError:
        raise error(path, "is nested too deeply to be valid") from None
    except ValueError as failure:  # an integer with thousands of digits, NaN, Infinity
        raise error(path, f"is not valid JSON: {failure}") from None


def parse_toml(text: str, path: Path, error: type[FileProblem] = FileProblem) -> dict[str, Any]:
    try:
        document: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as failure:
        raise error(path, f"is not valid TOML: {failure}") from None
    except RecursionError:
        raise error(path, "is nested too deeply to be valid") from None
    except ValueError as failure:
        raise error(path, f"is not valid TOML: {failure}") from None
    return document


def load_json(path: Path, limit: int, error: type[FileProblem] = FileProblem) -> Any:
    return parse_json(read_text(path, limit, error), path, error)


def load_toml(path: Path, limit: int = SMALL_FILE_LIMIT, error: type[FileProblem] = FileProblem) -> dict[str, Any]:
    return parse_toml(read_text(path, limit, error), path, error)
