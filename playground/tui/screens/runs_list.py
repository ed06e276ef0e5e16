"""The runs of the open session as a tree: each run under the run it branched from, with its
parameters and how it finished. Show one again, or compare two."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Tree
from textual.widgets.tree import TreeNode

from playground.params import PARAMETERS
from playground.runtime.describe import format_value
from playground.sessions.records import RunRecord
from playground.tui.safe_text import plain_text

#: The parameters a run's line names, and how (the rest are in the inspector).
LISTED = {"temperature": "t", "top_p": "top_p", "top_k": "top_k", "min_p": "min_p", "repetition_penalty": "rep"}


@dataclass(frozen=True)
class RunsChoice:
    """``show`` run ``run_id`` again, ``compare`` it with ``other_id``, or compare its two
    ``responses`` with each other."""

    action: str
    run_id: str
    other_id: str | None = None


def listed_value(run: RunRecord, name: str) -> str:
    """A parameter's value in ``run``: ``0.7``, or ``0.2/0.8`` where unlinked columns differ."""
    columns = run.columns or (run.params,)
    return "/".join(dict.fromkeys(format_value(PARAMETERS[name], getattr(c, name)) for c in columns))


def run_line(number: int, run: RunRecord) -> str:
    """``#3 · 37 tokens length · t 0.7 top_p 0.9 … · seed 42 · 12:04:31`` (a branch says where;
    an A/B run gives both columns' values where they differ: ``t 0.2/0.8``)."""
    params = " ".join(f"{short} {listed_value(run, name)}" for name, short in LISTED.items())
    finishes = ", ".join(f"{len(r.token_ids)} tokens {r.finish_reason}" for r in run.responses)
    where = f" · branch at token {run.branch_point + 1}" if run.branch_point is not None else ""
    replay = " · replay" if run.replay_of else ""
    return f"#{number}{where}{replay} · {finishes} · {params} · seed {run.params.seed} · {run.started_at[11:19]}"


def lineage(runs: Sequence[RunRecord]) -> dict[str | None, list[RunRecord]]:
    """Runs by the run they branched from (None: not a branch, its parent is not in the session,
    or a file's parents loop back to it: a tree reached from None would never show a loop)."""
    parents = {run.id: run.parent for run in runs}

    def in_a_loop(run_id: str) -> bool:
        seen, step = set(), parents.get(run_id)
        while step in parents and step not in seen:
            if step == run_id:
                return True
            seen.add(step)
            step = parents[step]
        return False

    children: dict[str | None, list[RunRecord]] = {}
    for run in runs:
        rooted = run.parent not in parents or in_a_loop(run.id)
        children.setdefault(None if rooted else run.parent, []).append(run)
    return children


class RunsScreen(ModalScreen[RunsChoice | None]):
    """``enter`` (or a click) shows a run again; ``c`` marks one, ``c`` on another compares them;
    ``r`` compares a run's two responses (A/B, or two responses)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,ctrl+l", "dismiss(None)", "Close", id="runs.close"),
        Binding("c", "compare", "Compare", id="runs.compare", tooltip="Mark a run; on a second, compare the two"),
        Binding("r", "compare_responses", "Compare its responses", id="runs.responses",
                tooltip="Compare the two responses of the run under the cursor"),
    ]
    DEFAULT_CSS = """
    RunsScreen { align: center middle; }
    RunsScreen > Vertical { width: 96%; height: 90%; border: thick $primary; background: $surface; }
    RunsScreen #runs-help { width: 1fr; color: $text-muted; }
    RunsScreen Tree { height: 1fr; }
    """

    def __init__(self, runs: Sequence[RunRecord], shown: str | None = None) -> None:
        super().__init__()
        self.runs = list(runs)
        self.shown = shown
        self.marked: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"{len(self.runs)} run(s) in this session · enter: show · c: mark, then c on another: "
                        "compare · r: its two responses · escape closes", id="runs-help")
            yield Tree(plain_text("runs"), id="runs-tree")

    def on_mount(self) -> None:
        tree: Tree[str] = self.query_one(Tree)
        tree.show_root = False
        tree.auto_expand = False
        numbers = {run.id: number for number, run in enumerate(self.runs, 1)}
        children = lineage(self.runs)

        def add(node: TreeNode[str], parent: str | None) -> None:
            for run in children.get(parent, []):
                label = run_line(numbers[run.id], run) + (" (shown)" if run.id == self.shown else "")
                child = node.add(plain_text(label), data=run.id, expand=True, allow_expand=run.id in children)
                add(child, run.id)

        add(tree.root, None)
        tree.root.expand()
        tree.focus()
        if self.shown is not None:
            self.call_after_refresh(self._move_to, self.shown)

    def _move_to(self, run_id: str) -> None:
        tree: Tree[str] = self.query_one(Tree)
        for line in range(tree.last_line + 1):
            node = tree.get_node_at_line(line)
            if node is not None and node.data == run_id:
                tree.move_cursor(node)
                return

    @on(Tree.NodeSelected)
    def _run_chosen(self, event: Tree.NodeSelected[str]) -> None:
        if event.node.data is not None:
            self.dismiss(RunsChoice("show", event.node.data))

    def action_compare(self) -> None:
        node = self.query_one(Tree).cursor_node
        if node is None or node.data is None:
            return
        if self.marked is None or self.marked == node.data:
            self.marked = node.data
            label = node.label if isinstance(node.label, str) else node.label.plain
            node.set_label(plain_text("▶ " + label.removeprefix("▶ ")))
            self.notify("Marked: press c on another run to compare the two.")
            return
        self.dismiss(RunsChoice("compare", self.marked, node.data))

    def action_compare_responses(self) -> None:
        node = self.query_one(Tree).cursor_node
        if node is None or node.data is None:
            return
        run = next(run for run in self.runs if run.id == node.data)
        if len(run.responses) < 2:
            self.notify("This run has one response: c compares it with another run.", severity="warning")
            return
        self.dismiss(RunsChoice("responses", run.id))
