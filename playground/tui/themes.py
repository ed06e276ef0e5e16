"""Themes as ``textual.theme.Theme`` objects, loaded from TOML files.

Shipped themes live in ``themes/`` (inside the wheel too), a user's in the config dir. A file
holds the fields of ``Theme`` plus ``syntax``: the editor's syntax-colour theme that goes with
it, so code colours follow the app's theme. A broken file is reported and skipped.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from textual.theme import Theme

from playground import locations

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: The TextArea syntax themes Textual ships; a theme file may name any of them.
SYNTAX_THEMES = ("monokai", "dracula", "github_light", "vscode_dark")
DEFAULT_THEME = "starcoder-dark"
_THEME_FIELDS = {f.name for f in fields(Theme)}


@dataclass(frozen=True)
class ThemeFile:
    theme: Theme
    syntax: str
    path: Path


class ThemeError(ValueError):
    pass


def load_theme_file(path: Path) -> ThemeFile:
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ThemeError(f"theme {path} cannot be read: {error}") from None
    syntax = data.pop("syntax", None)
    unknown = set(data) - _THEME_FIELDS
    if unknown:
        raise ThemeError(f"theme {path}: unknown field(s) {', '.join(sorted(unknown))}")
    if not isinstance(data.get("name"), str) or not isinstance(data.get("primary"), str):
        raise ThemeError(f"theme {path}: needs string fields 'name' and 'primary'")
    dark = bool(data.get("dark", True))
    syntax = syntax or ("monokai" if dark else "github_light")
    if syntax not in SYNTAX_THEMES:
        raise ThemeError(f"theme {path}: syntax must be one of {', '.join(SYNTAX_THEMES)} (got {syntax!r})")
    try:
        theme = Theme(**data)
        theme.to_color_system()  # parses every colour: a bad one fails here, not mid-render
    except Exception as error:  # noqa: BLE001 - any bad field makes the file unusable
        raise ThemeError(f"theme {path}: {error}") from None
    return ThemeFile(theme, syntax, path)


def available_themes() -> tuple[dict[str, ThemeFile], list[str]]:
    """Shipped then user themes by name, and one line per file that could not be used."""
    themes: dict[str, ThemeFile] = {}
    problems: list[str] = []
    for folder in (locations.shipped_dir("themes"), locations.user_themes_dir()):
        for path in sorted(folder.glob("*.toml")) if folder.is_dir() else ():
            try:
                loaded = load_theme_file(path)
            except ThemeError as error:
                problems.append(str(error))
            else:
                themes[loaded.theme.name] = loaded
    return themes, problems
