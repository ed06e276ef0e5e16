"""The sessions screen: saved and recent sessions, with search, open, rename and delete.

A file that cannot be read is a row too, marked with its one-line error: it can be deleted,
not opened or renamed. Every cell is plain text (file names and prompts are never markup)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Input, Label

from playground.errors import UserError
from playground.runtime.describe import error_line
from playground.sessions.store import SessionEntry, SessionStore
from playground.tui.safe_text import plain_text
from playground.tui.screens.name_prompt import Confirm, NamePrompt
from playground.tui.widgets.value_box import ValueBox


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
            yield ValueBox(placeholder="search name, model or prompt", id="session-search")
            yield DataTable(cursor_type="row", zebra_stripes=True, id="session-table")
            yield Label("", id="problems")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("name", "kind", "updated", "model", "first line of the prompt")
        self.reload()
        self.query_one(Input).focus()

    def reload(self) -> None:
        self.summaries = self.store.entries()
        broken = sum(entry.error is not None for entry in self.summaries)
        self.query_one("#problems", Label).update(
            f"{broken} file(s) cannot be read (marked ⚠): ctrl+d deletes one; they cannot be opened" if broken else "")
        self._fill(self.query_one(Input).value)

    @staticmethod
    def _cells(entry: SessionEntry) -> tuple[str, ...]:
        if entry.error is not None:
            return entry.title, f"{entry.kind} ⚠", "", "", f"⚠ {entry.error}"
        kind = f"{entry.kind} · {entry.unsaved_runs} unsaved run(s)" if entry.unsaved_runs else entry.kind
        return (entry.title, kind, entry.updated_at.replace("T", " ")[:16], entry.model, entry.first_line[:60])

    def _fill(self, search: str) -> None:
        table = self.query_one(DataTable)
        table.clear()
        needle = search.lower()
        for entry in self.summaries:
            cells = self._cells(entry)
            if needle in " ".join(cells).lower():
                table.add_row(*(plain_text(cell) for cell in cells), key=entry.key)

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

    def _readable(self, entry: SessionEntry | None) -> SessionEntry | None:
        """The entry, or None (with its error shown) when its file cannot be read."""
        if entry is not None and entry.error is not None:
            self.notify(f"{entry.error} (it can only be deleted: ctrl+d)", severity="error")
            return None
        return entry

    def action_open(self) -> None:
        entry = self._readable(self._selected())
        if entry is not None:
            self.dismiss(entry)

    def action_rename(self) -> None:
        entry = self._readable(self._selected())
        if entry is None:
            return

        def renamed(name: str | None) -> None:
            if name:
                try:
                    self.store.rename(entry, name)
                except (UserError, OSError) as error:
                    self.notify(error_line(error), severity="error")
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
                except (UserError, OSError) as error:  # a read-only folder: say so, keep the list
                    self.notify(error_line(error), severity="error")
                self.reload()

        self.app.push_screen(Confirm(f"Delete {entry.title}?"), confirmed)
