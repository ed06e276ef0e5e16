"""Presets in the playground: apply one to the column being edited, save the panel's parameters as one."""

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
        """Apply a preset to the column being edited (a deleted or broken one is a notification)."""
        app = self.app
        try:
            preset = find_preset(name)
        except UserError as error:
            app.notify(str(error), severity="error")
            return
        app.state = app.state.with_params(apply_preset(preset, app.state.edited))
        app.notify(f"Preset {preset.name}: {preset_summary(preset)}")

    def ask_save(self) -> None:
        """Ask for a name, then save the parameters the panel shows (the column being edited) as a preset."""
        self.app.push_screen(NamePrompt("Save the current parameters as preset:"), self.save_as)

    def save_as(self, name: str | None) -> None:
        app = self.app
        if not name:
            return
        try:
            path = save_user_preset(name, app.state.edited)
        except (UserError, OSError) as error:  # a read-only folder or a full disk: say so, keep going
            app.notify(error_line(error), title="Preset not saved", severity="error", timeout=10)
            return
        app.notify(f"Saved preset {name} ({path})")
