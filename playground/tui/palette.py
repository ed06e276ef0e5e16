"""The command palette's playground commands, through a Textual ``Provider``.

Each command is an action string run on the app (``keep(0, 'copy')``), the same actions the
key bindings run, so the provider needs nothing of the app but ``palette_commands()``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Protocol, runtime_checkable

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.theme import ThemeProvider

from playground.presets import Preset
from playground.runtime.describe import preset_summary
from playground.runtime.prompts import FILL_MARKER
from playground.tui.safe_text import highlighted, markup_literal, plain


@dataclass(frozen=True)
class PaletteCommand:
    title: str
    help: str
    action: str


@runtime_checkable
class PaletteSource(Protocol):
    """An app that lists palette commands."""

    def palette_commands(self) -> list[PaletteCommand]: ...


def playground_commands(presets: Iterable[Preset], themes: Iterable[str], offer_demo: bool) -> list[PaletteCommand]:
    commands = [PaletteCommand(f"Preset: {preset.name}", f"{preset.description or 'apply'} ({preset_summary(preset)})",
                               f"apply_preset({preset.name!r})") for preset in presets]
    commands += [
        PaletteCommand("Fill-in-the-middle: toggle", f"Split the prompt at {FILL_MARKER} or the cursor", "toggle_fim"),
        PaletteCommand("Clear output", "Empty the response panes", "clear_output"),
    ]
    for column in (0, 1):
        name = f"response {column + 1}"
        commands += [
            PaletteCommand(f"Copy {name}", "To the clipboard", f"keep({column}, 'copy')"),
            PaletteCommand(f"Make {name} the prompt", "Prompt + response into the editor", f"keep({column}, 'prompt')"),
            PaletteCommand(f"Continue from {name}", "Make it the prompt and generate on", f"continue({column})"),
        ]
    commands += [
        PaletteCommand("Save session", "Save under a name (ctrl+s)", "save_session"),
        PaletteCommand("Sessions", "Open, rename, delete saved and recent sessions (F2)", "sessions"),
        PaletteCommand("Replay last run", "Same parameters and seed: same tokens, checked", "replay"),
        PaletteCommand("Export session to Markdown", "Prompt, parameters, responses in code fences",
                       "export_markdown"),
        PaletteCommand("Save parameters as preset", "A TOML file in your presets folder", "save_preset"),
    ]
    if offer_demo:
        commands.append(PaletteCommand("Load the demo model",
                                       "A tiny random-weight model: try everything, output is noise", "load_demo"))
    commands += [PaletteCommand(f"Theme: {name}", "Switch theme (remembered)", f"use_theme({name!r})")
                 for name in sorted(themes)]
    return commands


class PlaygroundCommands(Provider):
    """Presets, fill-in-the-middle, keeping a column, sessions, the demo model, themes."""

    _commands: tuple[PaletteCommand, ...] = ()

    async def startup(self) -> None:
        """Listed once each time the palette opens (presets and themes are read from disk)."""
        app = self.app
        self._commands = tuple(app.palette_commands()) if isinstance(app, PaletteSource) else ()

    # Titles and help hold preset and theme names and descriptions from files: shown as text.
    async def discover(self) -> Hits:
        for command in self._commands:
            yield DiscoveryHit(plain(command.title), partial(self.app.run_action, command.action),
                               text=command.title, help=markup_literal(command.help))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands:
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(score, highlighted(matcher, command.title), partial(self.app.run_action, command.action),
                          text=command.title, help=markup_literal(command.help))


class ThemeCommands(ThemeProvider):
    """Textual's theme picker, with each theme's name (from its file) shown as text."""

    async def discover(self) -> Hits:
        for name, callback in self.commands:
            yield DiscoveryHit(plain(name), callback, text=name)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback in self.commands:
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, highlighted(matcher, name), callback, text=name)
