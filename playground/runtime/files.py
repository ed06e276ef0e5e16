"""Files a user opens into a prompt or saves a response to: read and written with one-line
reasons when they cannot be, and the language a file's name suggests."""

from __future__ import annotations

from pathlib import Path

from playground.atomic import write_text_atomically
from playground.errors import UserError

#: A prompt beyond this is far past any context window (16k tokens is about 64 kB of code).
MAX_PROMPT_FILE_BYTES = 1_000_000

#: File name endings and the highlighting language they suggest.
LANGUAGE_BY_SUFFIX = {
    ".py": "python", ".pyi": "python", ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript",
    ".jsx": "javascript", ".rs": "rust", ".go": "go", ".java": "java", ".sh": "bash", ".bash": "bash",
    ".sql": "sql", ".html": "html", ".htm": "html", ".css": "css", ".json": "json", ".yaml": "yaml",
    ".yml": "yaml", ".toml": "toml", ".md": "markdown", ".markdown": "markdown", ".xml": "xml",
    ".c": "c", ".h": "c", ".cpp": "cpp", ".cc": "cpp", ".hpp": "cpp", ".ts": "typescript", ".tsx": "tsx",
}


def expand(text: str) -> Path:
    """A path as typed: ``~`` expanded, relative to the working directory."""
    return Path(text.strip()).expanduser()


def read_prompt_file(path: Path) -> str:
    """The text of a file to open as the prompt (UTF-8, not binary, not huge)."""
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise UserError(f"{path} is a folder: give a file in it (tab completes names)")
        if size > MAX_PROMPT_FILE_BYTES:
            raise UserError(f"{path} is {size / 1e6:.1f} MB: a prompt file must be under "
                            f"{MAX_PROMPT_FILE_BYTES / 1e6:.0f} MB (open the part you need)")
        data = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"no file {path}: check the name (tab completes it)") from None
    except OSError as error:
        raise UserError(f"cannot read {path}: {error.strerror or error}") from None
    if b"\0" in data:
        raise UserError(f"{path} is a binary file, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{path} is not UTF-8 text") from None


def write_response_file(path: Path, text: str) -> None:
    """Write a response to ``path`` atomically (a crash leaves the old file or the new one)."""
    if path.is_dir():
        raise UserError(f"{path} is a folder: give a file name")
    try:
        write_text_atomically(path, text)
    except OSError as error:
        raise UserError(f"cannot write {path}: {error.strerror or error}", 1) from None


def language_for(path: Path) -> str | None:
    return LANGUAGE_BY_SUFFIX.get(path.suffix.lower())
