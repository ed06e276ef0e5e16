"""The token inspector: a response's tokens with a cursor, and what the model thought of the one
under it: its text, id, raw and sampled probability, rank, the alternatives as bars, and the
parameters in force when it was drawn. Choosing an alternative branches from there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from playground.engine.types import Alternative
from playground.runtime.token_view import entropy_text, rank_text
from playground.tui.probabilities import changed_names, param_lines, percent, probability
from playground.tui.runs import RunState
from playground.tui.safe_text import plain
from playground.tui.screens.tokens import visible
from playground.tui.widgets.token_map import TokenMap

BAR_WIDTH = 12
#: Eighths of a cell, for bars finer than a whole character.
EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    """A horizontal bar ``fraction`` of ``width`` cells long, to an eighth of a cell."""
    eighths = round(max(0.0, min(fraction, 1.0)) * width * 8)
    whole, part = divmod(eighths, 8)
    return ("█" * whole + (EIGHTHS[part] if part else "")).ljust(width)


@dataclass(frozen=True)
class BranchChoice:
    """Continue ``row`` from token ``token_index`` with ``token_id`` there instead."""

    row: int
    token_index: int
    token_id: int


def alternative_prompt(alternative: Alternative, chosen: bool) -> Content:
    """One alternative as a bar list entry: its bar, its probability, its text (as text)."""
    p = probability(alternative.logprob)
    mark = "▸" if chosen else " "
    return Content.assemble((bar(p), "$success" if chosen else "$accent"), f" {percent(alternative.logprob):>7} {mark}",
                            plain(visible(alternative.text) or "(no text)"))


def shown_text(text: str) -> str:
    """A token's own text on the details' line, as the REPL's ``/tokens`` shows it: ``∅`` for a
    token with no text yet (a piece of a character whose text comes with the token that ends it),
    not a blank that reads as a missing line."""
    return visible(text) or "∅"


def not_drawn(index: int, branch_point: int | None, temperature: float) -> str:
    """Why token ``index`` has no sampled probability: a branch took it from its parent or was
    forced to write it; the run was greedy; else it was drawn on a server, which reports the
    raw probability only (README: Against a server)."""
    if branch_point is not None and index <= branch_point:
        return "forced, not drawn" if index == branch_point else "the parent's token, not drawn"
    return "greedy, not drawn" if temperature == 0 else "not reported (a server gives raw probabilities only)"


class InspectorScreen(ModalScreen[BranchChoice | None]):
    """``left``/``right`` (or a click) move the token cursor; ``tab`` goes to the alternatives,
    where ``enter`` (or a click) branches with the one chosen; ``escape`` closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,ctrl+t", "dismiss(None)", "Close", id="inspector.close"),
    ]
    DEFAULT_CSS = """
    InspectorScreen { align: center middle; }
    InspectorScreen > Vertical { width: 96%; height: 94%; border: thick $primary; background: $surface; }
    InspectorScreen #inspector-title { width: 1fr; color: $text-muted; }
    InspectorScreen TokenMap { height: 2fr; min-height: 4; }
    InspectorScreen #inspector-below { height: 3fr; min-height: 8; }
    InspectorScreen #details-box { width: 40; }
    InspectorScreen #token-details { width: 1fr; padding: 0 1; }
    InspectorScreen #alternatives-box { width: 1fr; }
    InspectorScreen OptionList { height: 1fr; }
    """

    def __init__(self, run: RunState, row: int, token: int) -> None:
        super().__init__()
        self.run = run
        self.row = row
        self.start_token = token
        self.pieces = run.pieces(row)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"response {self.row + 1} · ←/→ or click: a token · tab: its alternatives · "
                        "enter: branch · escape: close", id="inspector-title")
            yield TokenMap(id="inspector-tokens")
            with Horizontal(id="inspector-below"):
                with VerticalScroll(id="details-box", can_focus=False):
                    yield Static(id="token-details")
                with Vertical(id="alternatives-box"):
                    yield Label("alternatives · enter branches", id="alternatives-title")
                    yield OptionList(id="alternatives")

    def on_mount(self) -> None:
        token_map = self.query_one(TokenMap)
        token_map.border_title = "tokens"
        token_map.show(self.pieces)
        token_map.cursor = min(self.start_token, len(self.pieces) - 1)
        token_map.focus()

    def show_tokens(self) -> None:
        """The run has streamed on: show its tokens so far (the cursor stays where it is)."""
        self.pieces = self.run.pieces(self.row)
        self.query_one(TokenMap).show(self.pieces)
        if self.cursor is not None:
            self.query_one("#token-details", Static).update(self.details(self.cursor))

    @property
    def cursor(self) -> int | None:
        return self.query_one(TokenMap).cursor

    @on(TokenMap.CursorMoved)
    def _token_chosen(self, event: TokenMap.CursorMoved) -> None:
        self.query_one("#token-details", Static).update(self.details(event.index))
        options = self.query_one(OptionList)
        options.clear_options()
        piece = self.pieces[event.index]
        if piece.info is None:
            options.add_option(Option("no probabilities for this token", disabled=True))
            return
        options.add_options(Option(alternative_prompt(alt, alt.token_id == piece.token_id), id=str(alt.token_id))
                            for alt in piece.info.top)

    def details(self, index: int) -> Content:
        """What there is to know about token ``index``, as text (the token's own text shown, not read)."""
        piece, run = self.pieces[index], self.run
        lines = [f"token {index + 1} of {len(self.pieces)} · id {piece.token_id}", f"text {shown_text(piece.text)}"]
        info = piece.info
        if info is None:
            lines.append("no probabilities: this run did not ask for them (F7 or the palette turns them on)")
        else:
            temperature = run.params_at(self.row, index).temperature
            sampled = percent(info.sampled_logprob) if info.sampled_logprob is not None else \
                f"none: {not_drawn(index, run.branch_point, temperature)}"
            lines += [f"probability {percent(info.logprob)} (raw)", f"as sampled {sampled}",
                      f"rank {rank_text(info)} · entropy {entropy_text(info)}"]
        if run.branch_point is not None and index <= run.branch_point:
            lines.append("branch point (forced)" if index == run.branch_point else "from the parent run")
        lines.append("parameters (* changed live):")
        lines += param_lines(run.params_at(self.row, index), changed_names(run.live_changes, self.row, index))
        return plain("\n".join(lines))

    @on(OptionList.OptionSelected)
    def _alternative_chosen(self, event: OptionList.OptionSelected) -> None:
        index = self.cursor
        if index is None or event.option.id is None:
            return
        token_id = int(event.option.id)
        if token_id == self.pieces[index].token_id:
            self.notify("That is the token this run wrote: choose another to branch.", severity="warning")
            return
        self.dismiss(BranchChoice(self.row, index, token_id))
