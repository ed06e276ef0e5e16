"""Command palette entries: presets, fill-in-the-middle, output, themes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from textual.app import SystemCommand

from playground.params import SamplingParams
from playground.presets import Preset, available_presets

if TYPE_CHECKING:
    from playground.tui.app import PlaygroundApp


def describe_preset_changes(preset: Preset) -> str:
    changed = preset.apply(SamplingParams()).changes_from_defaults()
    return ", ".join(f"{k}={v!r}" for k, v in changed.items()) or "the model card's defaults"


def apply_preset(app: PlaygroundApp, preset: Preset) -> None:
    # A preset applies over the card's defaults (so results do not depend on what came before),
    # keeping the seed and the number of responses unless it sets them.
    base = SamplingParams(seed=app.params.seed, num_responses=app.params.num_responses)
    app.query_one("#parameters").set_params(preset.apply(base))
    app.notify(f"Preset {preset.name}: {describe_preset_changes(preset)}")


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
    yield SystemCommand("Copy response", "Copy the first response to the clipboard", app.action_copy_response)
    yield SystemCommand("Continue", "Append the response to the prompt and generate on", app.action_continue)
    if app.engine is None or app.options.demo is False:
        yield SystemCommand("Load the demo model", "A tiny random-weight model: try everything, output is noise",
                            app.load_demo)
    for name in sorted(app.available_themes):
        yield SystemCommand(f"Theme: {name}", "Switch theme (remembered)",
                            lambda name=name: setattr(app, "theme", name))
