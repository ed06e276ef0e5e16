"""The fill-in-the-middle marker, and the languages the front-ends highlight."""

from __future__ import annotations

FILL_MARKER = "<FILL>"

#: Languages the REPL's /lang completes (Pygments highlights these and many more); the
#: playground's picker offers every language its editor's tree-sitter grammars highlight.
LANGUAGES = ("python", "javascript", "rust", "go", "java", "bash", "sql", "html", "css", "json", "yaml", "toml",
             "markdown", "xml")


def split_at_marker(text: str) -> tuple[str, str] | None:
    """(prefix, suffix) around the first ``<FILL>``, or None when the text has none."""
    if FILL_MARKER not in text:
        return None
    prefix, _, suffix = text.partition(FILL_MARKER)
    return prefix, suffix


def join_at_marker(prefix: str, suffix: str | None) -> str:
    """The text with its hole marked again: the inverse of ``split_at_marker``."""
    return prefix if suffix is None else prefix + FILL_MARKER + suffix
