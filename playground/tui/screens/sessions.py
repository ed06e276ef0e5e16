"""The sessions screen: saved and recent sessions, with search, open, rename and delete."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Input, Label

from playground.errors import UserError
from playground.runtime.describe import error_line
from playground.sessions import SessionSummary, delete_session, list_sessions, rename_session
from playground.tui.safe_text import plain, plain_text
from playground.tui.screens.name_prompt import Confirm, NamePrompt


class SessionsScreen(ModalScreen[Path | None]):
    """Returns the path of the session to open, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Close", id="sessions.close"),
        Binding("enter", "open", "Open", id="sessions.open", priority=True),
        Binding("ctrl+n", "rename", "Rename", id="sessions.rename", priority=True),
        Binding("ctrl+d", "delete", "Delete", id="sessions.delete", priority=True),
        # arrows move through the list while the search box keeps focus
        Binding("down", "move(1)", "Next", show=False, priority=True),
        Binding("up", "move(-1)", "Previous", show=False, priority=True),
    ]
    DEFAULT_CSS = """
    SessionsScreen { align: center middle; }
    SessionsScreen > Vertical { width: 95%; height: 90%; border: thick $primary; background: $surface; }
    SessionsScreen DataTable { height: 1fr; }
    SessionsScreen #problems { color: $warning; height: auto; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.summaries: list[SessionSummary] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Input(placeholder="search name, model or prompt", id="session-search")
            yield DataTable(cursor_type="row", zebra_stripes=True, id="session-table")
            yield Label("", id="problems")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("name", "kind", "updated", "model", "first line of the prompt")
        self.reload()
        self.query_one(Input).focus()

    def reload(self) -> None:
        self.summaries, problems = list_sessions()
        self.query_one("#problems", Label).update(plain("\n".join(problems)))
        self._fill(self.query_one(Input).value)

    def _fill(self, search: str) -> None:
        table = self.query_one(DataTable)
        table.clear()
        needle = search.lower()
        for summary in self.summaries:
            row = (summary.title, summary.kind, summary.updated_at.replace("T", " ")[:16], summary.model,
                   summary.first_line[:60])
            if needle in " ".join(row).lower():
                table.add_row(*(plain_text(cell) for cell in row), key=str(summary.path))

    @on(Input.Changed, "#session-search")
    def _search(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def _selected(self) -> Path | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return Path(key) if key else None

    def action_move(self, step: int) -> None:
        table = self.query_one(DataTable)
        table.move_cursor(row=table.cursor_row + step)

    def action_open(self) -> None:
        path = self._selected()
        if path is not None:
            self.dismiss(path)

    def action_rename(self) -> None:
        path = self._selected()
        if path is None:
            return

        def renamed(name: str | None) -> None:
            if name:
                try:
                    rename_session(path, name)
                except (UserError, OSError) as error:
                    self.notify(error_line(error), severity="error")
                self.reload()

        self.app.push_screen(NamePrompt("New name for the session:", path.stem), renamed)

    def action_delete(self) -> None:
        path = self._selected()
        if path is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                try:
                    delete_session(path)
                except (UserError, OSError) as error:  # a read-only folder: say so, keep the list
                    self.notify(error_line(error), severity="error")
                self.reload()

        self.app.push_screen(Confirm(f"Delete {path.name}?"), confirmed)
