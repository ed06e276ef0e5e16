"""The keymap from config.toml checked against the playground's bindings: entries that cannot
work (an unknown binding id, a key Textual has no name for) are reported, one line each, and
left out, instead of being accepted silently."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import Keys, key_to_character

from playground import locations

MODIFIERS = ("ctrl", "shift", "alt", "meta", "super", "hyper")
#: Named keys Textual reports (f1…f24, arrows, enter, …); characters go by their names too
#: (``question_mark``, ``plus_sign``), or as themselves.
KEY_NAMES = frozenset(key.value for key in Keys)


def binding_ids(classes: Iterable[type[DOMNode]]) -> set[str]:
    """Every binding id the given widget and screen classes (and their subclasses) declare."""
    ids: set[str] = set()
    pending = list(classes)
    while pending:
        cls = pending.pop()
        ids.update(b.id for b in cls.BINDINGS if isinstance(b, Binding) and b.id)
        pending.extend(cls.__subclasses__())
    return ids


def key_problem(keys: str) -> str | None:
    """Why ``keys`` (comma-separated, ``ctrl+enter``) holds a key that no key press can match."""
    for key in (part.strip() for part in keys.split(",")):
        *modifiers, name = key.split("+") if len(key) > 1 else [key]
        known_name = len(name) == 1 or name.lower() in KEY_NAMES or key_to_character(name) is not None
        if not key or not known_name or any(modifier.lower() not in MODIFIERS for modifier in modifiers):
            return f"{key!r} is not a key (keys look like f5, ctrl+enter, shift+left, a, question_mark)"
    return None


def checked_keymap(keymap: Mapping[str, str], known_ids: Iterable[str]) -> tuple[dict[str, str], list[str]]:
    """The keymap entries that can work, and one line for each that cannot."""
    known = set(known_ids)
    where = locations.config_file()
    usable: dict[str, str] = {}
    problems: list[str] = []
    for binding_id, keys in keymap.items():
        if binding_id not in known:
            problems.append(f"{where}: [keymap] {binding_id!r} is not a binding id (F1 lists them); ignored")
        elif (problem := key_problem(keys)) is not None:
            problems.append(f"{where}: [keymap] {binding_id}: {problem}; ignored")
        else:
            usable[binding_id] = keys
    return usable, problems
