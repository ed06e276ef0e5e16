"""Presets in the playground: one applied to the column being edited, the parameters saved as one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playground.errors import UserError
from playground.presets import find_preset, save_user_preset
from playground.runtime.describe import error_line, preset_summary
from playground.runtime.parameters import apply_preset
from playground.tui.screens.name_prompt import NamePrompt

if TYPE_CHECKING:
    from playground.tui.app import PlaygroundApp


class PresetControl:
    """Between the preset files and the app's state; every problem is one notification."""

    def __init__(self, app: PlaygroundApp) -> None:
        self.app = app

    def apply(self, name: str) -> None:
        """Apply a preset to the column being edited."""
        app = self.app
        try:
            preset = find_preset(name)
        except UserError as error:  # deleted or broken since it was listed
            app.notify(str(error), severity="error")
            return
        app.state = app.state.with_params(apply_preset(preset, app.state.edited))
        app.notify(f"Preset {preset.name}: {preset_summary(preset)}")

    def save(self) -> None:
        """Ask for a name, then write the current parameters as a preset."""
        self.app.push_screen(NamePrompt("Save the current parameters as preset:"), self.save_as)

    def save_as(self, name: str | None) -> None:
        app = self.app
        if not name:
            return
        try:
            path = save_user_preset(name, app.state.params)
        except (UserError, OSError) as error:  # a read-only folder or a full disk: say so, keep going
            app.notify(error_line(error), title="Preset not saved", severity="error", timeout=10)
            return
        app.notify(f"Saved preset {name} ({path})")
