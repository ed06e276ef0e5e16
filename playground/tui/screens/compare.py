"""Two responses side by side, what differs highlighted: of two runs, or the two of one run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.reactive import reactive
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


@dataclass(frozen=True)
class ComparedRun:
    """A run as compare shows it: its title (``run #3``) and its responses' texts, in order."""

    title: str
    responses: tuple[str, ...]

    def side_title(self, response: int) -> str:
        """``run #3``, or ``run #3 · response 2 of 2`` when it has more than one."""
        many = len(self.responses) > 1
        return f"{self.title} · response {response + 1} of {len(self.responses)}" if many else self.title


class CompareScreen(ModalScreen[None]):
    """One response of run A left, one of run B right (A and B may be the same run). ``r``
    shows the focused side's next response, ``tab`` moves to the other side; escape closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss", "Close", id="compare.close"),
        Binding("r", "next_response", "Other response", id="compare.response",
                tooltip="Compare the focused side's next response (a run with two responses)"),
    ]
    DEFAULT_CSS = """
    CompareScreen { align: center middle; }
    CompareScreen > Vertical { width: 96%; height: 94%; border: thick $primary; background: $surface; }
    CompareScreen #compare-legend { width: 1fr; }
    CompareScreen VerticalScroll { width: 1fr; border: tall $panel; border-title-color: $text-accent; }
    CompareScreen VerticalScroll:focus { border: tall $primary; }
    """

    chosen: reactive[tuple[int, int]] = reactive((0, 0), init=False)
    """Which response of each side's run is compared (0: the first)."""

    def __init__(self, runs: tuple[ComparedRun, ComparedRun], chosen: tuple[int, int] = (0, 0)) -> None:
        super().__init__()
        self.runs = runs
        self.set_reactive(CompareScreen.chosen, chosen)
        self.left, self.right, self.ratio = self._compared()

    def _compared(self) -> tuple[Side, Side, float]:
        (a, b), (run_a, run_b) = self.chosen, self.runs
        return compare(run_a.responses[a], run_b.responses[b])

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self._legend(), id="compare-legend")
            with Horizontal():
                for index in range(2):
                    yield VerticalScroll(Static(id=f"compare-text-{index}"), id=f"compare-{index}")

    def on_mount(self) -> None:
        self._show()
        self.query_one("#compare-0").focus()

    def _legend(self) -> Content:
        several = any(len(run.responses) > 1 for run in self.runs)
        return Content.assemble(f"{self.ratio:.0%} alike · ", plain(" changed ").stylize(DIFF_STYLES["changed"]),
                                " ", plain(" only on this side ").stylize(DIFF_STYLES["only"]),
                                " · r: the other response · tab: the other side" if several else "",
                                " · escape closes")

    def _show(self) -> None:
        for index, (run, side) in enumerate(zip(self.runs, (self.left, self.right))):
            self.query_one(f"#compare-text-{index}", Static).update(side_content(side))
            self.query_one(f"#compare-{index}").border_title = plain(run.side_title(self.chosen[index]))
        self.query_one("#compare-legend", Label).update(self._legend())

    def watch_chosen(self) -> None:
        self.left, self.right, self.ratio = self._compared()
        self._show()

    def action_next_response(self) -> None:
        focused = self.focused
        side = 1 if focused is not None and focused.id == "compare-1" else 0
        run = self.runs[side]
        if len(run.responses) < 2:
            self.notify(f"{run.title} has one response: tab to the other side.", severity="warning")
            return
        chosen = list(self.chosen)
        chosen[side] = (chosen[side] + 1) % len(run.responses)
        self.chosen = (chosen[0], chosen[1])

