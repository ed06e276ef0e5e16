"""The sessions screen: saved and recent sessions, with search, open, rename and delete."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Input, Label

from playground.errors import UserError
from playground.sessions import SessionEntry, SessionStore
from playground.tui.screens.name_prompt import Confirm, NamePrompt


class SessionsScreen(ModalScreen[SessionEntry | None]):
    """Returns the entry of the session to open, or None."""

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

    def __init__(self, store: SessionStore) -> None:
        super().__init__()
        self.store = store
        self.summaries: list[SessionEntry] = []

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
        entries = self.store.entries()
        self.summaries = [entry for entry in entries if entry.error is None]
        self.query_one("#problems", Label).update("\n".join(e.error for e in entries if e.error is not None))
        self._fill(self.query_one(Input).value)

    def _fill(self, search: str) -> None:
        table = self.query_one(DataTable)
        table.clear()
        needle = search.lower()
        for summary in self.summaries:
            row = (summary.title, summary.kind, summary.updated_at.replace("T", " ")[:16], summary.model,
                   summary.first_line[:60])
            if needle in " ".join(row).lower():
                table.add_row(*row, key=summary.key)

    @on(Input.Changed, "#session-search")
    def _search(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def _selected(self) -> SessionEntry | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((entry for entry in self.summaries if entry.key == key), None)

    def action_move(self, step: int) -> None:
        table = self.query_one(DataTable)
        table.move_cursor(row=table.cursor_row + step)

    def action_open(self) -> None:
        entry = self._selected()
        if entry is not None:
            self.dismiss(entry)

    def action_rename(self) -> None:
        entry = self._selected()
        if entry is None:
            return

        def renamed(name: str | None) -> None:
            if name:
                try:
                    self.store.rename(entry, name)
                except UserError as error:
                    self.notify(str(error), severity="error")
                self.reload()

        self.app.push_screen(NamePrompt("New name for the session:", entry.title), renamed)

    def action_delete(self) -> None:
        entry = self._selected()
        if entry is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                try:
                    self.store.delete(entry)
                except UserError as error:
                    self.notify(str(error), severity="error")
                self.reload()

        self.app.push_screen(Confirm(f"Delete {entry.title}?"), confirmed)
