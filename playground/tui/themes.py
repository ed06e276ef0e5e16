"""Themes as ``textual.theme.Theme`` objects, loaded from TOML files.

Shipped themes live in ``themes/`` (inside the wheel too), a user's in the config dir. A file
holds the fields of ``Theme`` plus ``syntax``: the editor's syntax-colour theme that goes with
it, so code colours follow the app's theme. Every field's type is checked (``dark = "no"`` is
an error, not true); a broken file is reported and skipped. A theme's name is plain text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from textual.theme import Theme

from playground import locations
from playground.user_files import SMALL_FILE_LIMIT, FileProblem, load_toml

#: The TextArea syntax themes Textual ships; a theme file may name any of them.
SYNTAX_THEMES = ("monokai", "dracula", "github_light", "vscode_dark")
DEFAULT_THEME = "starcoder-dark"
NAME_LIMIT = 100
_THEME_FIELDS = {f.name for f in fields(Theme)}
_COLOUR_FIELDS = ("primary", "secondary", "warning", "error", "success", "accent", "foreground", "background",
                  "surface", "panel", "boost")


@dataclass(frozen=True)
class ThemeFile:
    theme: Theme
    syntax: str
    path: Path


class ThemeError(FileProblem):
    """A theme file that cannot be used: ``path: what is wrong``."""


def _check_types(data: dict[str, Any], path: Path) -> None:
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > NAME_LIMIT or not name.isprintable():
        raise ThemeError(path, f"name must be a non-empty line of text of at most {NAME_LIMIT} characters")
    if not isinstance(data.get("primary"), str):
        raise ThemeError(path, "primary must be a colour string such as \"#F28C28\"")
    for key in _COLOUR_FIELDS:
        if key in data and not isinstance(data[key], str):
            raise ThemeError(path, f"{key} must be a colour string such as \"#16161D\" (got {data[key]!r})")
    for key in ("dark", "ansi"):
        if key in data and not isinstance(data[key], bool):
            raise ThemeError(path, f"{key} must be true or false (got {data[key]!r})")
    for key in ("luminosity_spread", "text_alpha"):
        value = data.get(key, 0.5)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or not 0 <= value <= 1:
            raise ThemeError(path, f"{key} must be a number between 0 and 1 (got {value!r})")
    variables = data.get("variables", {})
    if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
        raise ThemeError(path, "[variables] must be a table of name = \"value\" strings")


def load_theme_file(path: Path) -> ThemeFile:
    data = load_toml(path, SMALL_FILE_LIMIT, ThemeError)
    syntax = data.pop("syntax", None)
    unknown = set(data) - _THEME_FIELDS
    if unknown:
        raise ThemeError(path, f"unknown field(s) {', '.join(sorted(unknown))}")
    _check_types(data, path)
    dark = data.get("dark", True)
    syntax = syntax if syntax is not None else ("monokai" if dark else "github_light")
    if syntax not in SYNTAX_THEMES:
        raise ThemeError(path, f"syntax must be one of {', '.join(SYNTAX_THEMES)} (got {syntax!r})")
    try:
        theme = Theme(**data)
        theme.to_color_system()  # parses every colour: a bad one fails here, not mid-render
    except Exception as error:  # noqa: BLE001 - whatever Textual rejects makes the file unusable
        raise ThemeError(path, str(error)) from None
    return ThemeFile(theme, syntax, path)


def available_themes() -> tuple[dict[str, ThemeFile], list[str]]:
    """Shipped then user themes by name, and one line per file that could not be used."""
    themes: dict[str, ThemeFile] = {}
    problems: list[str] = []
    for folder in (locations.shipped_dir("themes"), locations.user_themes_dir()):
        try:
            paths = sorted(p for p in folder.glob("*.toml") if not p.name.startswith(".")) if folder.is_dir() else []
        except OSError:
            paths = []
        for path in paths:
            try:
                loaded = load_theme_file(path)
            except ThemeError as error:
                problems.append(str(error))
            else:
                themes[loaded.theme.name] = loaded
    return themes, problems
