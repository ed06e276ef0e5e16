"""Themes in the playground: the theme files registered, editor colours to match, the choice remembered."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import TextArea

from playground.config import remember_theme
from playground.errors import UserError
from playground.runtime.describe import error_line
from playground.tui.themes import DEFAULT_THEME, available_themes

if TYPE_CHECKING:
    from playground.tui.app import PlaygroundApp


class ThemeControl:
    """Registers the shipped and user themes with the app (``problems``: the files that could
    not be used) and keeps the editors' syntax colours with the app's theme."""

    def __init__(self, app: PlaygroundApp) -> None:
        self.app = app
        self.syntax_theme = "monokai"
        self._files, self.problems = available_themes()
        for theme_file in self._files.values():
            app.register_theme(theme_file.theme)

    def start(self) -> None:
        """Apply the remembered theme, and remember every later choice (only a choice: the theme
        applied here is not written back, so launching never rewrites config.toml)."""
        app = self.app
        wanted = app.config.theme if app.config.theme in app.available_themes else DEFAULT_THEME
        self._starting: str | None = wanted
        app.theme = wanted
        self._apply_syntax_theme(wanted)
        app.theme_changed_signal.subscribe(app, lambda theme: self._chosen(theme.name))

    def _apply_syntax_theme(self, name: str) -> None:
        theme_file = self._files.get(name)
        dark = self.app.available_themes[name].dark if name in self.app.available_themes else True
        self.syntax_theme = theme_file.syntax if theme_file else ("monokai" if dark else "github_light")
        for area in self.app.query(TextArea):
            area.theme = self.syntax_theme

    def _chosen(self, name: str) -> None:
        self._apply_syntax_theme(name)
        starting, self._starting = self._starting, None
        if name == starting:  # the signal for the theme ``start`` applied, not a choice
            return
        self.app.config.theme = name
        try:
            remember_theme(name)  # changes only ``theme`` in the file, and only if it differs
        except (UserError, OSError) as error:  # a read-only or full disk: the theme still applies
            self.app.notify(error_line(error), title="Theme not remembered", severity="warning", timeout=10)
