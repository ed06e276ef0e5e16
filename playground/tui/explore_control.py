"""Looking inside a completion: the heatmap, the token inspector, branching from a token, and the
session's runs (show one again, compare two)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playground.engine.types import GenerationRequest
from playground.errors import UserError
from playground.runtime.token_view import PLAYGROUND_ALTERNATIVES
from playground.runtime.token_view import branch_request as shared_branch_request
from playground.sessions.records import RunRecord
from playground.tui.runs import RunState
from playground.tui.screens.compare import ComparedRun, CompareScreen
from playground.tui.screens.inspector import BranchChoice, InspectorScreen
from playground.tui.screens.runs_list import RunsChoice, RunsScreen
from playground.tui.widgets.response_view import ResponseView
from playground.tui.widgets.responses import ResponsesPane
from playground.tui.widgets.token_map import TokenMap

if TYPE_CHECKING:
    from playground.tui.app import PlaygroundApp


def branch_request(parent: RunRecord, choice: BranchChoice) -> GenerationRequest:
    """The request a branch makes: ``token_view``'s (the parent's prompt, its tokens before the
    branch point, the chosen one forced, the parameters in force there and the row's seed),
    with the playground's probabilities."""
    return shared_branch_request(parent, choice.row, choice.token_index, choice.token_id, PLAYGROUND_ALTERNATIVES)


def token_at(run: RunState, row: int, offset: int) -> int:
    """The token of ``row`` that holds character ``offset`` of its streamed text."""
    end = 0
    for index, length in enumerate(run.token_chars[row]):
        end += length
        if offset < end:
            return index
    return max(len(run.token_chars[row]) - 1, 0)


class ExploreControl:
    """Between the keys and the exploring screens. Keeps this sitting's finished runs by record
    id (``runs``): shown again from the runs list, they keep their tokens for the heatmap and the
    inspector; a run from a reopened session shows its text."""

    def __init__(self, app: PlaygroundApp) -> None:
        self.app = app
        self.runs: dict[str, RunState] = {}
        #: The saved run shown as text because the model had not loaded yet (a session opened at start).
        self.waiting_for_model: str | None = None

    def act(self, what: str) -> None:
        """Run one of the exploring actions by name (the bindings' ``explore('…')``)."""
        actions = {"heatmap": self.toggle_heatmap, "probabilities": self.toggle_probabilities, "inspect": self.inspect,
                   "runs": self.browse_runs}
        actions[what]()

    @property
    def pane(self) -> ResponsesPane:
        return self.app.default_screen.query_one(ResponsesPane)

    def toggle_heatmap(self) -> None:
        """Heatmap on or off; a focused response column stays focused, as text or as tokens."""
        app, pane = self.app, self.pane
        focused = app.default_screen.focused
        column = focused.index if isinstance(focused, ResponseView) else \
            pane.maps.index(focused) if isinstance(focused, TokenMap) and focused in pane.maps else None
        heatmap = not app.state.heatmap
        if heatmap and not app.state.probabilities:
            app.notify("Probabilities on: runs from now on ask for them (the palette turns them off).")
        app.state = app.state.replace(heatmap=heatmap, probabilities=app.state.probabilities or heatmap)
        if app.generation.run is not None:
            pane.show_tokens(app.generation.run)
        if column is not None:
            (pane.maps if app.state.heatmap else pane.views)[column].focus()

    def streamed(self, run: RunState) -> None:
        """More of ``run`` came in: the heatmap and an inspector open on it follow."""
        if self.app.state.heatmap:
            self.pane.show_tokens(run)
        self._inspector_follows(run)

    def toggle_probabilities(self) -> None:
        """Whether runs ask for per-token probabilities (off turns the heatmap off too)."""
        app = self.app
        on = not app.state.probabilities
        app.state = app.state.replace(probabilities=on, heatmap=app.state.heatmap and on)
        app.notify("Probabilities on: the next run asks for them." if on else "Probabilities off.")

    def finished(self, run: RunState) -> None:
        """A run finished and was recorded: keep it to show again."""
        if run.record_id is not None:
            self.runs[run.record_id] = run
        self.pane.show_tokens(run)
        self._inspector_follows(run)

    def _inspector_follows(self, run: RunState) -> None:
        screen = self.app.screen
        if isinstance(screen, InspectorScreen) and screen.run is run:
            screen.show_tokens()

    # ---------------------------------------------------------------- inspector and branching
    def inspect(self) -> None:
        """Open the inspector on the focused response column, at its cursor (or the first token)."""
        run = self.app.generation.run
        if run is None or not any(run.token_ids.values()):
            done = run is not None and run.result is not None  # stopped before its first token
            self.app.notify("This run wrote no tokens: nothing to inspect (F5 generates again)." if done else
                            "No response to inspect yet: generate first (F5).", severity="warning")
            return
        row, token = self._position(run)
        if not run.token_ids[row]:  # the other column has nothing yet
            row, token = 0, 0
        self.app.push_screen(InspectorScreen(run, row, token), lambda choice: self.branch(run, choice))

    def _position(self, run: RunState) -> tuple[int, int]:
        focused = self.app.default_screen.focused
        if isinstance(focused, TokenMap) and focused.id is not None:
            row = int(focused.id.rsplit("-", 1)[1])
            return row, focused.cursor or 0
        if isinstance(focused, ResponseView) and focused.index < run.rows:
            offset = focused.index_at(focused.cursor_location) - focused.fill_start
            return focused.index, token_at(run, focused.index, max(offset, 0))
        return 0, 0

    def branch(self, run: RunState, choice: BranchChoice | None) -> None:
        """A new run from the inspected one: same prompt, its tokens up to the chosen one, that one forced."""
        if choice is None:
            return
        parent = next((r for r in self.app.keeper.session.runs if r.id == run.record_id), None)
        if parent is None:
            self.app.notify("Wait for the run to finish (escape stops it), then branch.", severity="warning")
            return
        try:
            request = branch_request(parent, choice)
        except UserError as error:
            self.app.notify(str(error), severity="error")
            return
        self.app.generation.start(request, lineage=(parent.id, choice.token_index))

    # ---------------------------------------------------------------- the session's runs
    def browse_runs(self) -> None:
        app = self.app
        if not app.keeper.session.runs:
            app.notify("No runs in this session yet: generate first (F5).", severity="warning")
            return
        shown = app.generation.run.record_id if app.generation.run is not None else None
        app.push_screen(RunsScreen(app.keeper.session.runs, shown), self._runs_chosen)

    def _runs_chosen(self, choice: RunsChoice | None) -> None:
        if choice is None:
            return
        if choice.action == "show":
            self.show(choice.run_id)
        elif choice.action == "responses":
            self.compare(choice.run_id, choice.run_id, (0, 1))
        elif choice.other_id is not None:
            self.compare(choice.run_id, choice.other_id)

    def show(self, run_id: str) -> None:
        """Show a run of the session again: with its tokens when it ran in this sitting or saved
        its probabilities (and the model is loaded: a branch needs it), else its text."""
        app = self.app
        if app.generating:
            app.notify("A generation is running: escape stops it.", severity="warning")
            return
        record = next(r for r in app.keeper.session.runs if r.id == run_id)
        run = self.runs.get(run_id)
        if run is None and app.engine is not None:
            run = RunState.from_record(app.engine, record)
        waiting = run is None and app.engine is None and record.alternatives is not None
        self.waiting_for_model = run_id if waiting else None
        if run is not None:
            app.generation.run = self.runs[run_id] = run
            self.pane.show_run(run)
        else:
            self.pane.show_saved(record, tokens_later=self.waiting_for_model is not None)
        app.run_status = f"showing run #{self._number(run_id)}"

    def model_loaded(self) -> None:
        """The model has loaded: a saved run shown meanwhile as text comes back with its tokens."""
        run_id, self.waiting_for_model = self.waiting_for_model, None
        if run_id is not None and self.app.generation.run is None:
            self.show(run_id)

    def compare(self, a: str, b: str, chosen: tuple[int, int] = (0, 0)) -> None:
        """Response ``chosen[0]`` of run ``a`` beside response ``chosen[1]`` of run ``b``, the
        earlier run on the left (``r`` in compare picks another response of a side)."""
        records = {r.id: r for r in self.app.keeper.session.runs}
        if self._number(a) > self._number(b):
            a, b, chosen = b, a, (chosen[1], chosen[0])
        left, right = (ComparedRun(f"run #{self._number(run_id)}", tuple(r.text for r in records[run_id].responses))
                       for run_id in (a, b))
        self.app.push_screen(CompareScreen((left, right), chosen))

    def _number(self, run_id: str) -> int:
        return next(n for n, r in enumerate(self.app.keeper.session.runs, 1) if r.id == run_id)

