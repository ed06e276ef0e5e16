"""Command palette entries: presets, fill-in-the-middle, output, themes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from textual.app import SystemCommand

from playground.errors import UserError
from playground.params import SamplingParams
from playground.presets import Preset, available_presets, save_user_preset
from playground.tui.screens.name_prompt import NamePrompt

if TYPE_CHECKING:
    from playground.tui.app import PlaygroundApp


def describe_preset_changes(preset: Preset) -> str:
    changed = preset.apply(SamplingParams()).changes_from_defaults()
    return ", ".join(f"{k}={v!r}" for k, v in changed.items()) or "the model card's defaults"


def apply_preset(app: PlaygroundApp, preset: Preset) -> None:
    # A preset applies over the card's defaults (so results do not depend on what came before),
    # keeping the seed and the number of responses unless it sets them.
    base = SamplingParams(seed=app.params.seed, num_responses=app.params.num_responses)
    app.query_one("#parameters").set_params(preset.apply(base))  # to the column being edited
    app.notify(f"Preset {preset.name}: {describe_preset_changes(preset)}")


def save_preset_dialog(app: PlaygroundApp) -> None:
    def save(name: str | None) -> None:
        if not name:
            return
        try:
            path = save_user_preset(name, app.params)
        except UserError as error:
            app.notify(str(error), severity="error")
            return
        app.notify(f"Saved preset {name} ({path})")

    app.push_screen(NamePrompt("Save the current parameters as preset:"), save)


def palette_commands(app: PlaygroundApp) -> Iterator[SystemCommand]:
    presets, problems = available_presets()
    for problem in problems:
        app.notify(problem, severity="warning")
    for preset in presets.values():
        yield SystemCommand(f"Preset: {preset.name}", f"{preset.description or 'apply'} "
                            f"({describe_preset_changes(preset)})",
                            lambda preset=preset: apply_preset(app, preset))
    yield SystemCommand("Fill-in-the-middle: toggle", "Split the prompt at <FILL> or the cursor",
                        app.action_toggle_fim)
    yield SystemCommand("Clear output", "Empty the response panes", app.action_clear_output)
    for column in (0, 1):
        name = f"response {column + 1}"
        yield SystemCommand(f"Copy {name}", "To the clipboard", lambda c=column: app.action_keep(c, "copy"))
        yield SystemCommand(f"Make {name} the prompt", "Prompt + response into the editor",
                            lambda c=column: app.action_keep(c, "prompt"))
        yield SystemCommand(f"Continue from {name}", "Make it the prompt and generate on",
                            lambda c=column: app.action_continue(c))
    yield SystemCommand("Save session", "Save under a name (ctrl+s)", app.action_save_session)
    yield SystemCommand("Sessions", "Open, rename, delete saved and recent sessions (F2)", app.action_sessions)
    yield SystemCommand("Replay last run", "Same parameters and seed: same tokens, checked", app.action_replay)
    yield SystemCommand("Export session to Markdown", "Prompt, parameters, responses in code fences",
                        app.action_export_markdown)
    yield SystemCommand("Save parameters as preset", "A TOML file in your presets folder",
                        lambda: save_preset_dialog(app))
    if app.engine is None or app.options.demo is False:
        yield SystemCommand("Load the demo model", "A tiny random-weight model: try everything, output is noise",
                            app.load_demo)
    for name in sorted(app.available_themes):
        yield SystemCommand(f"Theme: {name}", "Switch theme (remembered)",
                            lambda name=name: setattr(app, "theme", name))
