"""The user's config file (``config.toml``): remembered theme and a keymap.

```toml
theme = "starcoder-light"

[keymap]            # binding id = keys (see the help screen for the ids)
generate = "f5,ctrl+enter"
```

A broken config file is reported and left untouched: the app runs on defaults and never
overwrites a file it could not read.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from playground import locations
from playground.atomic import write_text_atomically

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass
class AppConfig:
    theme: str | None = None
    keymap: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None

    @property
    def writable(self) -> bool:
        return self.problem is None


def load_config(path: Path | None = None) -> AppConfig:
    path = path or locations.config_file()
    if not path.exists():
        return AppConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        return AppConfig(problem=f"config {path} is not valid TOML ({error}); using defaults, file left as is")
    theme = data.pop("theme", None)
    keymap = data.pop("keymap", {})
    if not isinstance(theme, (str, type(None))) or not isinstance(keymap, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in keymap.items()):
        return AppConfig(problem=f"config {path}: theme must be a string and [keymap] hold strings; using defaults")
    return AppConfig(theme=theme, keymap=keymap, extra=data)


def save_config(config: AppConfig, path: Path | None = None) -> bool:
    """Write the config atomically; False (and nothing written) if the file on disk was broken."""
    if not config.writable:
        return False
    document: dict[str, Any] = dict(config.extra)
    if config.theme:
        document["theme"] = config.theme
    if config.keymap:
        document["keymap"] = config.keymap
    write_text_atomically(path or locations.config_file(), tomli_w.dumps(document))
    return True
