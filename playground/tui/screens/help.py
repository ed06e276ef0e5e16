"""F1: the keys (with their binding ids, for the keymap) and what every parameter does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

from playground import locations
from playground.params import PARAMETERS, STOP_HELP


def cell(text: str) -> str:
    """Text for a Markdown table cell, shown as written: ``<FILL>`` is not an HTML tag, ``|`` not a column."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "\\<")


def help_markdown(bindings: Sequence[Binding]) -> str:
    keys = "\n".join(f"| `{b.key}` | {cell(b.description)} | `{b.id}` | {cell(b.tooltip)} |" for b in bindings if b.id)
    params = "\n".join(f"| {s.name} | {cell(s.range_text())} | {cell(s.help)} |" for s in PARAMETERS.values())
    return f"""\
# starcoder-play

StarCoder2 completes code: write the start of a file, a function signature or a docstring,
then **F5**. Sliders apply to the running generation from the next token on.

## Keys

| key | action | binding id | |
|---|---|---|---|
{keys}
| `ctrl+p` | command palette: presets, themes, open a file, save or copy a response, clear | | |
| `tab` | in the editor: indent (`shift+tab` or `F6` leaves it); elsewhere: the next control | | |
| `ctrl+a` | select all in the editor or a response (`home`: start of the line) | | |
| `ctrl+c` | copy the selection (select with the mouse, or `shift+arrows`) | | |
| `←/→`, `shift+←/→`, `home/end` | move the focused slider (fine, coarse, ends) | | |
| `delete` | in the stop list: remove the highlighted stop | | |

Remap keys in `{locations.config_file()}`:

```toml
[keymap]
generate = "f5,ctrl+enter"
```

## Parameters

| name | range | meaning |
|---|---|---|
{params}
| stop | list of strings | {cell(STOP_HELP)} Type `\\n` for a newline, `\\t` a tab, `\\\\` a backslash. |
"""


class HelpScreen(ModalScreen[None]):
    """The keys of the bindings it is given (the app's), with their ids, and every parameter."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,f1,q", "dismiss", "Close", id="help.close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; height: 90%; border: thick $primary; background: $surface; }
    """

    def __init__(self, bindings: Sequence[BindingType]) -> None:
        super().__init__()
        self.keys = [binding for binding in bindings if isinstance(binding, Binding)]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(help_markdown(self.keys))
