"""The command palette's playground commands, through a Textual ``Provider``.

Each command is an action string run on the app (``keep(0, 'copy')``), the same actions the
key bindings run, so the provider needs nothing of the app but ``palette_commands()``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.theme import ThemeProvider

from playground.presets import Preset, available_presets
from playground.runtime.describe import preset_summary
from playground.runtime.prompts import FILL_MARKER
from playground.server.address import shown_url
from playground.tui.safe_text import highlighted, markup_literal, plain

if TYPE_CHECKING:
    from playground.tui.app import PlaygroundApp


@dataclass(frozen=True)
class PaletteCommand:
    title: str
    help: str
    action: str


@runtime_checkable
class PaletteSource(Protocol):
    """An app that lists palette commands."""

    def palette_commands(self) -> list[PaletteCommand]: ...


def playground_commands(presets: Iterable[Preset], themes: Iterable[str], offer_demo: bool, *, columns: int = 1,
                        remembers_theme: bool = True, retry: str | None = None) -> list[PaletteCommand]:
    """``columns``: response columns there are to keep (a second one only in two-response mode
    or after a two-response run); ``remembers_theme``: config.toml can be written; ``retry``:
    the help of "Try loading again", offered after a load failed."""
    commands = [PaletteCommand(f"Preset: {preset.name}", f"{preset.description or 'apply'} ({preset_summary(preset)})",
                               f"apply_preset({preset.name!r})") for preset in presets]
    commands += [
        PaletteCommand("Fill-in-the-middle: toggle", f"Split the prompt at {FILL_MARKER} or the cursor (F8)",
                       "toggle_fim"),
        PaletteCommand("Open a file into the editor", "Its text becomes the prompt (ctrl+o)", "open_file"),
        PaletteCommand("Clear the prompt", "Empty the editor (ctrl+z brings it back)", "clear_prompt"),
        PaletteCommand("Show the prompt's tokens", "The exact text and token ids the model reads (F9)", "tokens"),
        PaletteCommand("Clear output", "Empty the response panes", "clear_output"),
        PaletteCommand("Heatmap: toggle", "Colour response tokens by probability (F7)", "explore('heatmap')"),
        PaletteCommand("Probabilities: on or off", "Whether runs ask for per-token probabilities (F7 turns them on)",
                       "explore('probabilities')"),
        PaletteCommand("Inspect tokens", "Probabilities and alternatives of each token; branch (ctrl+t)",
                       "explore('inspect')"),
        PaletteCommand("Runs of this session", "Runs and branches: show one again, compare two (ctrl+l)",
                       "explore('runs')"),
        PaletteCommand("Show or hide the parameter panel", "More room for the editor (ctrl+b)", "toggle_panel"),
    ]
    for column in range(columns):
        name = f"response {column + 1}"
        commands += [
            PaletteCommand(f"Copy {name}", "To the clipboard", f"keep({column}, 'copy')"),
            PaletteCommand(f"Save {name} to a file", "Asks for a path (tab completes)", f"save_response({column})"),
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
    if retry is not None:
        commands.append(PaletteCommand("Try loading again", retry, "retry_load"))
    if offer_demo:
        commands.append(PaletteCommand("Load the demo model",
                                       "A tiny random-weight model: try everything, output is noise", "load_demo"))
    theme_help = "Switch theme (remembered)" if remembers_theme else \
        "Switch theme (not remembered: config.toml could not be read)"
    commands += [PaletteCommand(f"Theme: {name}", theme_help, f"use_theme({name!r})") for name in sorted(themes)]
    return commands


def commands_for(app: PlaygroundApp) -> list[PaletteCommand]:
    """The commands that make sense in ``app`` now (presets and themes read from disk)."""
    presets, problems = available_presets()
    for problem in problems:
        app.notify(problem, severity="warning")
    offer_demo = app.engine is None or not app.options.demo
    run = app.generation.run
    ran_two = run is not None and run.result is not None and len(run.result.responses) == 2
    retry = None
    if app.model_status.failed:
        retry = f"Connect to {shown_url(app.options.server)} again" if app.options.server else "Load the model again"
    return playground_commands(presets.values(), app.available_themes, offer_demo,
                               columns=2 if ran_two or app.state.responses == 2 else 1,
                               remembers_theme=not app.config.broken, retry=retry)


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
