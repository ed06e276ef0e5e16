"""The playground's keys, by binding id (remap any in config.toml's ``[keymap]``)."""

from __future__ import annotations

from textual.binding import Binding

from playground.runtime.prompts import FILL_MARKER

PLAYGROUND_BINDINGS: tuple[Binding, ...] = (
    Binding("f5,ctrl+r", "generate", "Generate", id="generate", tooltip="Complete the prompt"),
    Binding("escape", "stop", "Stop", id="stop", priority=True, tooltip="Stop the generation within one step"),
    Binding("f3", "continue", "Continue", id="continue",
            tooltip="Append the response to the prompt (or put the fill in the hole) and generate on"),
    Binding("f4", "pin_seed", "Pin seed", id="pin-seed", tooltip="Reuse the last run's seed"),
    Binding("f8", "toggle_fim", "FIM", id="toggle-fim",
            tooltip=f"Fill-in-the-middle at {FILL_MARKER} or the cursor"),
    Binding("f6", "cycle_area(1)", "Next area", id="next-area", priority=True,
            tooltip="Focus the editor, the parameter panel, the responses in turn"),
    Binding("shift+f6", "cycle_area(-1)", "Previous area", id="previous-area", priority=True, show=False,
            tooltip="Focus the areas in the other direction"),
    Binding("f7", "explore('heatmap')", "Heatmap", id="heatmap", priority=True,
            tooltip="Colour each response token by its probability (a legend shows under the responses)"),
    Binding("ctrl+t", "explore('inspect')", "Inspect", id="inspect", show=False,
            tooltip="The token inspector: probabilities, alternatives, branch from a token"),
    Binding("ctrl+l", "explore('runs')", "Runs", id="runs", show=False,
            tooltip="The session's runs and branches: show one again, compare two"),
    Binding("ctrl+b", "toggle_panel", "Panel", id="toggle-panel", tooltip="Show or hide the parameter panel"),
    Binding("ctrl+o", "open_file", "Open", id="open-file", show=False, tooltip="Open a file into the editor"),
    Binding("f9", "tokens", "Tokens", id="tokens", show=False,
            tooltip="The exact prompt the model reads, as tokens"),
    Binding("ctrl+s", "save_session", "Save", id="save-session", tooltip="Save this session"),
    Binding("f2", "sessions", "Sessions", id="sessions", tooltip="Saved and recent sessions"),
    Binding("f1", "help", "Help", id="help", tooltip="Keys and parameters"),
)
