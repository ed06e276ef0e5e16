"""Two runs' text side by side, what differs highlighted."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from playground.tui.safe_text import plain
from playground.tui.text_diff import Side, compare

#: How each kind of difference shows, on theme colours (the legend says the same).
DIFF_STYLES = {"same": "", "changed": "on $warning 40%", "only": "on $error 40%"}


def side_content(side: Side) -> Content:
    """A side's text (as text, never markup), each difference in its colour."""
    return Content.assemble(*(plain(text).stylize(DIFF_STYLES[kind]) if DIFF_STYLES[kind] else plain(text)
                              for text, kind in side.parts))


class CompareScreen(ModalScreen[None]):
    """Run A's text left, run B's right; escape closes."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "dismiss", "Close", id="compare.close")]
    DEFAULT_CSS = """
    CompareScreen { align: center middle; }
    CompareScreen > Vertical { width: 96%; height: 94%; border: thick $primary; background: $surface; }
    CompareScreen #compare-legend { width: 1fr; }
    CompareScreen VerticalScroll { width: 1fr; border: tall $panel; border-title-color: $text-accent; }
    CompareScreen VerticalScroll:focus { border: tall $primary; }
    """

    def __init__(self, titles: tuple[str, str], texts: tuple[str, str]) -> None:
        super().__init__()
        self.titles = titles
        self.left, self.right, self.ratio = compare(*texts)

    def compose(self) -> ComposeResult:
        legend = Content.assemble(f"{self.ratio:.0%} alike · ", plain(" changed ").stylize(DIFF_STYLES["changed"]),
                                  " ", plain(" only on this side ").stylize(DIFF_STYLES["only"]), " · escape closes")
        with Vertical():
            yield Label(legend, id="compare-legend")
            with Horizontal():
                for index, (title, side) in enumerate(zip(self.titles, (self.left, self.right))):
                    scroll = VerticalScroll(Static(side_content(side)), id=f"compare-{index}")
                    scroll.border_title = plain(title)
                    yield scroll

    def on_mount(self) -> None:
        self.query_one("#compare-0").focus()
