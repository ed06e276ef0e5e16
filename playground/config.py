"""The user's config file (``config.toml``): the remembered theme and a keymap.

```toml
theme = "starcoder-light"

[keymap]            # binding id = keys (see the help screen for the ids)
generate = "f5,ctrl+enter"
```

The file is the user's: it is never rewritten unless a setting changes, and then only that key
changes, through tomlkit, which keeps comments, order and formatting. A broken file is reported
and left untouched: the app runs on defaults and never writes a file it could not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playground import locations
from playground.atomic import locked, remove_stale_temporaries, write_text_atomically
from playground.user_files import SMALL_FILE_LIMIT, FileProblem, load_toml, read_text, shown

KNOWN_SETTINGS = ("theme", "keymap")
#: One key as Textual names it: modifiers, then a key name (``f5``, ``enter``, ``question_mark``)
#: or a single character. A light check: Textual itself decides what a terminal can send.
_KEY = re.compile(r"((ctrl|shift|alt|meta|super|hyper)\+)*([a-z0-9_]+|[^\s,+])", re.IGNORECASE)


class ConfigError(FileProblem):
    """config.toml cannot be read, or a setting cannot be remembered in it."""


@dataclass
class AppConfig:
    theme: str | None = None
    keymap: dict[str, str] = field(default_factory=dict)
    #: One line per problem found (the file is broken, a setting has the wrong type...).
    problems: list[str] = field(default_factory=list)
    #: The file could not be read at all: it is left untouched, nothing is remembered in it.
    broken: bool = False


def load_config(path: Path | None = None) -> AppConfig:
    path = path or locations.config_file()
    remove_stale_temporaries(path.parent)
    if not path.exists() and not path.is_symlink():
        return AppConfig()
    try:
        data = load_toml(path, SMALL_FILE_LIMIT, ConfigError)
    except ConfigError as error:
        return AppConfig(problems=[f"{error}; running on defaults, the file is left as it is"], broken=True)
    config = AppConfig()
    where = shown(path)
    theme = data.get("theme")
    if theme is not None and not isinstance(theme, str):
        config.problems.append(f"{where}: theme must be a string (got {theme!r}); using the default theme")
    else:
        config.theme = theme
    keymap = data.get("keymap", {})
    if not isinstance(keymap, dict):
        config.problems.append(f"{where}: [keymap] must be a table of binding id = \"keys\"; keymap ignored")
        keymap = {}
    for binding_id, keys in keymap.items():
        if isinstance(keys, str):
            config.keymap[binding_id] = keys
        else:
            config.problems.append(f"{where}: {_entry(binding_id)} must be a string of keys such as \"f5,ctrl+g\" "
                                   f"(got {keys!r}); ignored")
    for unknown in sorted(set(data) - set(KNOWN_SETTINGS)):
        config.problems.append(f"{where}: unknown setting {unknown!r} (known: {', '.join(KNOWN_SETTINGS)}); ignored")
    return config


def _entry(binding_id: str) -> str:
    """``keymap.ID`` for a message, with an odd id quoted so it stays on one line."""
    return f"keymap.{binding_id}" if re.fullmatch(r"[\w.-]+", binding_id) else f"keymap.{binding_id!r}"


def remember(key: str, value: Any, path: Path | None = None) -> bool:
    """Set one top-level setting in config.toml, changing nothing else in the file. Returns
    whether the file was written (not if it already says so); raises ConfigError if the file
    cannot be read (it is then left as it is) and WriteFailed if it cannot be written."""
    import tomlkit  # only when a setting changes: nothing to pay at start-up

    path = path or locations.config_file()
    with locked(path.parent):
        exists = path.exists() or path.is_symlink()
        text = read_text(path, SMALL_FILE_LIMIT, ConfigError) if exists else ""
        try:
            document = tomlkit.parse(text)
        except (tomlkit.exceptions.TOMLKitError, RecursionError, ValueError) as failure:
            raise ConfigError(path, f"is not valid TOML ({failure}); {key} not remembered, the file is left "
                                    "as it is") from None
        if document.get(key) == value:
            return False
        document[key] = value
        write_text_atomically(path, tomlkit.dumps(document))
    return True


def remember_theme(name: str, path: Path | None = None) -> bool:
    return remember("theme", name, path)
