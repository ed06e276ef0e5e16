"""Text from users, files or the model on a terminal: always as text, never as a command.

A control character (ESC starts a terminal's escape sequences) is shown as its Unicode
picture, one character for one; Rich strips a few controls but passes ESC through.
"""

from __future__ import annotations

#: C0 controls and DEL as their Unicode pictures.
CONTROL_PICTURES = {code: 0x2400 + code for code in range(32)} | {0x7F: 0x2421}
#: The same but tab and newline, for text laid out in lines.
VISIBLE_CONTROLS = {code: picture for code, picture in CONTROL_PICTURES.items() if chr(code) not in "\t\n"}


def printable(text: str) -> str:
    """``text`` with its control characters (but tab and newline) shown as pictures."""
    return text.translate(VISIBLE_CONTROLS)
