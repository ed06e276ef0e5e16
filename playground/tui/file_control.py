"""Files in the playground: open one into the editor (ctrl+o), save a response to one, and the
tokens view of the exact prompt (F9)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from playground.errors import UserError
from playground.runtime.files import LANGUAGE_BY_SUFFIX, language_for, read_prompt_file, write_response_file
from playground.runtime.tokens import prompt_tokens
from playground.tui.screens.name_prompt import Confirm
from playground.tui.screens.path_prompt import PathPrompt
from playground.tui.screens.tokens import TokensScreen
from playground.tui.widgets.prompt_editor import PromptEditor

if TYPE_CHECKING:
    from playground.tui.app import PlaygroundApp


class FileControl:
    """Between the file system (``runtime.files``) and the screen: paths asked for with
    completion, problems as one-line notifications, nothing written without a name."""

    def __init__(self, app: PlaygroundApp) -> None:
        self.app = app

    @property
    def editor(self) -> PromptEditor:
        return self.app.default_screen.query_one(PromptEditor)

    def ask_open(self) -> None:
        self.app.push_screen(PathPrompt("Open a file into the editor:", "./"),
                             lambda path: self.open(path) if path else None)

    def open(self, path: Path) -> None:
        """The file's text replaces the prompt (ctrl+z brings the old one back); its name's
        ending picks the language when the editor highlights it."""
        try:
            text = read_prompt_file(path)
        except UserError as error:
            self.app.notify(str(error), title="Cannot open", severity="error", timeout=8)
            return
        editor = self.editor
        editor.replace(text, (0, 0), editor.document.end)
        editor.move_cursor((0, 0))
        language = language_for(path)
        if language is not None and language in editor.available_languages:
            self.app.state = self.app.state.replace(language=language)
        self.app.notify(f"Opened {path} ({len(text.splitlines()):,} lines)")

    def clear_prompt(self) -> None:
        editor = self.editor
        editor.replace("", (0, 0), editor.document.end)  # undoable, unlike load_text
        editor.focus()

    def ask_save_response(self, column: int) -> None:
        text = self.app.generation.response_text(column)
        if text is None:
            return
        suffix = next((s for s, lang in LANGUAGE_BY_SUFFIX.items() if lang == self.app.state.language), ".txt")
        self.app.push_screen(PathPrompt(f"Save response {column + 1} to a file:", f"response-{column + 1}{suffix}"),
                             lambda path: self._save(path, text) if path else None)

    def _save(self, path: Path, text: str) -> None:
        if path.exists() and not path.is_dir():
            self.app.push_screen(Confirm(f"{path} exists. Replace it?"),
                                 lambda yes: self._write(path, text) if yes else None)
        else:
            self._write(path, text)

    def _write(self, path: Path, text: str) -> None:
        try:
            write_response_file(path, text)
        except UserError as error:
            self.app.notify(str(error), title="Not saved", severity="error", timeout=8)
            return
        self.app.notify(f"Saved {path} ({len(text):,} characters)")

    def show_tokens(self) -> None:
        """The prompt F5 would send, as the model reads it."""
        app = self.app
        if app.engine is None:
            app.notify("The tokens need the model's tokenizer: wait for the model to load.", severity="warning")
            return
        try:
            tokens = prompt_tokens(app.engine, app.generation.current_request())
        except UserError as error:
            app.notify(str(error), severity="error", timeout=8)
            return
        app.push_screen(TokensScreen(tokens))

