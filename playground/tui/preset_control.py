"""Presets in the playground: apply one to the column being edited, save the panel's parameters as one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playground.errors import UserError
from playground.presets import find_preset, save_user_preset
from playground.runtime.describe import preset_summary
from playground.runtime.parameters import apply_preset
from playground.tui.screens.name_prompt import NamePrompt

if TYPE_CHECKING:
    from playground.tui.app import PlaygroundApp


class PresetControl:
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
        """Save the parameters the panel shows (the column being edited) as a preset."""
        self.app.push_screen(NamePrompt("Save the current parameters as preset:"), self._save)

    def _save(self, name: str | None) -> None:
        if not name:
            return
        try:
            path = save_user_preset(name, self.app.state.edited)
        except UserError as error:
            self.app.notify(str(error), severity="error")
            return
        self.app.notify(f"Saved preset {name} ({path})")
