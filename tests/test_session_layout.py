"""Session files: readable layout, and read back exactly."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from playground.sessions import layout

_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
_values = st.recursive(
    _scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4), max_leaves=30)


@given(_values)
def test_read_back_unchanged(value: object) -> None:
    assert json.loads(layout.dumps(value)) == value


def test_numbers_share_a_line_and_rows_get_one_each() -> None:
    document = {"name": "a", "token_ids": list(range(500)), "top_ids": [[1, 2, 3], [4, 5, 6]], "runs": [{"x": 1}]}
    lines = layout.dumps(document).splitlines()
    assert ' "token_ids": [' + ", ".join(map(str, range(500))) + "]," in lines
    assert "  [1, 2, 3]," in lines and "  [4, 5, 6]" in lines
    assert len(lines) == 13


def test_a_lone_surrogate_is_written_as_an_escape_and_read_back() -> None:
    """A session read from a hand-edited file (or an old server's answer) may hold ``\\ud800``:
    written as UTF-8 it failed the save; as an escape it reads back unchanged."""
    import json

    from playground.sessions.layout import dumps

    value = {"text\udc80": ["a\ud800b", "é"], "name": "café", "ids": [1, 2]}
    text = dumps(value)
    text.encode()  # raised UnicodeEncodeError
    assert json.loads(text) == value and '"café"' in text
