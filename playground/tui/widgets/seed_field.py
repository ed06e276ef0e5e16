"""The seed: blank draws a new one per run; the seed actually used can be pinned."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label

from playground.errors import UserError
from playground.params import PARAMETERS
from playground.tui.widgets.value_box import ValueBox


class SeedField(Vertical):
    """A seed box (blank = random) and, under it, the seed the last run used (a seed has up
    to 19 digits: on its own line it fits the panel at any width). Posts ``SeedField.Changed``."""

    DEFAULT_CSS = """
    SeedField {
        height: auto;
        & > Horizontal { height: 3; }
        & > Horizontal > Label { width: 19; padding: 1 1 0 0; }
        & > Horizontal > ValueBox { width: 1fr; padding: 0 1; }
        & > #last-seed { width: 1fr; padding: 0 0 0 1; color: $text-muted; display: none; }
        & > #last-seed.-shown { display: block; }
    }
    """

    class Changed(Message):
        def __init__(self, seed: int | None) -> None:
            super().__init__()
            self.seed = seed

    def __init__(self, seed: int | None) -> None:
        super().__init__(id="seed-field")
        self.seed = seed
        self.last_used: int | None = None

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label("seed").with_tooltip(PARAMETERS["seed"].help)
            yield ValueBox("" if self.seed is None else str(self.seed), placeholder="random", id="input-seed",
                           tooltip="Blank: a new random seed each run. Pin the last one with the 'Pin seed' key.")
        yield Label("", id="last-seed")

    def show_last_used(self, seed: int) -> None:
        self.last_used = seed
        label = self.query_one("#last-seed", Label)
        label.update(f"used {seed} · F4 pins it")
        label.add_class("-shown")

    def set_seed(self, seed: int | None, *, notify: bool = False) -> None:
        self.seed = seed
        self.query_one(Input).value = "" if seed is None else str(seed)
        if notify:
            self.post_message(self.Changed(seed))

    @on(Input.Submitted)
    @on(Input.Blurred)
    def _typed(self, event: Input.Submitted | Input.Blurred) -> None:
        event.stop()
        text = event.value.strip()
        try:
            value = None if text == "" else PARAMETERS["seed"].check(text)
        except UserError as error:
            self.app.notify(str(error), title="Invalid seed", severity="error")
            self.set_seed(self.seed)
            return
        seed = None if value is None else int(value)
        if seed != self.seed:
            self.set_seed(seed, notify=True)
