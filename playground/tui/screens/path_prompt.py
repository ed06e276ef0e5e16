"""Asking for a file path, with completion: the suggestion shows as you type, tab takes it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.suggester import Suggester
from textual.widgets import Input

from playground.tui.safe_text import plain
from playground.tui.screens.text_prompt import TextPrompt
from playground.tui.widgets.value_box import ValueBox


def complete_path(typed: str) -> str | None:
    """``typed`` completed as far as the folder's entries agree (a shell's tab), a folder
    ending in ``/``; None when nothing in the folder starts that way or there is nothing to add."""
    if not typed:
        return None
    expanded = os.path.expanduser(typed)
    folder, _, start = expanded.rpartition(os.sep)
    directory = Path(folder or ("/" if expanded.startswith(os.sep) else "."))
    try:
        names = sorted(entry.name for entry in os.scandir(directory) if entry.name.startswith(start)
                       and (start.startswith(".") or not entry.name.startswith(".")))
    except OSError:
        return None
    if not names:
        return None
    common = os.path.commonprefix(names)
    completed = typed + common[len(start):]
    if len(names) == 1 and (directory / names[0]).is_dir():
        completed += os.sep
    return completed if completed != typed else None


class PathSuggester(Suggester):
    """Suggests the completion of a typed path from the file system (read afresh each time)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        return complete_path(value)


class PathBox(ValueBox):
    """A path box: tab takes the suggested completion."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("tab", "complete", "Complete", show=False)]

    def action_complete(self) -> None:
        completed = complete_path(self.value)
        if completed is not None:
            self.value = completed
            self.cursor_position = len(completed)


class PathPrompt(TextPrompt[Path]):
    """Enter gives the path typed (``~`` expanded); escape cancels (None)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel", id="path.cancel")]
    EMPTY_HINT = "Type a path, or press escape to cancel."
    DEFAULT_CSS = "PathPrompt > Vertical { width: 80%; max-width: 100; }"

    def question_label(self) -> Content:
        return plain(f"{self.question} (tab completes, escape cancels)")

    def make_box(self) -> Input:
        return PathBox(self.default, id="path-input", suggester=PathSuggester())

    def answer(self, text: str) -> Path:
        return Path(text).expanduser()
