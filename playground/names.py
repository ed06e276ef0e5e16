"""Names are names, paths are paths: ``mine`` is ``sessions/mine.json``; only text ending in
``.json`` is taken as a path. A name never holds a separator, never starts with a dot and is
never ``..``, so ``/save ../../x`` cannot write outside the sessions folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from playground.errors import UserError

NAME_LIMIT = 100
#: Characters no file name may hold on some system the session may be copied to.
_FORBIDDEN = set('/\\:*?"<>|')


class BadName(UserError):
    """Text that is neither a usable name nor a path ending in .json."""


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a session or preset name, or None if it can."""
    if not name.strip():
        return "a name cannot be empty"
    if name != name.strip():
        return "a name cannot start or end with a space"
    if name.startswith("."):
        return "a name cannot start with '.'"
    if len(name) > NAME_LIMIT:
        return f"a name has at most {NAME_LIMIT} characters"
    bad = sorted({c for c in name if c in _FORBIDDEN or not c.isprintable()})
    if bad:
        return "a name cannot contain " + " ".join(repr(c) for c in bad)
    return None


def check_name(name: str, what: str = "session") -> str:
    problem = name_problem(name)
    if problem is not None:
        hint = "; to save at a path, end it in .json" if what == "session" and ("/" in name or "\\" in name) else ""
        raise BadName(f"{name!r} cannot be a {what} name: {problem}{hint}")
    return name


def path_for(name_or_path: str, folder: Path) -> Path:
    """``folder/NAME.json`` for a name; the path itself for text ending in ``.json``."""
    if name_or_path.endswith(".json") and name_or_path.strip() != ".json":
        return Path(name_or_path).expanduser()
    return folder / f"{check_name(name_or_path)}.json"


def same_file(first: Path, second: Path) -> bool:
    try:
        return os.path.samefile(first, second)
    except OSError:
        return os.path.abspath(first) == os.path.abspath(second)
