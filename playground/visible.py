"""Text from users, files or the model on a terminal: always as text, never as a command.

A control character (ESC starts a terminal's escape sequences) is shown as its Unicode
picture, one character for one; Rich strips a few controls but passes ESC through.
"""

from __future__ import annotations

import re

#: C0 controls and DEL as their Unicode pictures; C1 controls (U+0080-U+009F: U+009B is a CSI,
#: U+009D an OSC to terminals that read them from UTF-8, as xterm does) have none: U+FFFD.
CONTROL_PICTURES = {code: 0x2400 + code for code in range(32)} | {0x7F: 0x2421} | dict.fromkeys(range(0x80, 0xA0),
                                                                                              0xFFFD)
#: A lone surrogate (from a JSON ``\ud800`` escape: a server's answer, an edited session) is no
#: character: it cannot be encoded to draw, save or print, so it shows as the replacement character.
SURROGATES = dict.fromkeys(range(0xD800, 0xE000), 0xFFFD)
#: The controls but tab and newline, for text laid out in lines, and the lone surrogates.
VISIBLE_CONTROLS = {code: picture for code, picture in CONTROL_PICTURES.items() if chr(code) not in "\t\n"} | SURROGATES


#: Rich 15's cell splitting fails (IndexError, ZeroDivisionError) on two zero-width joiners in
#: a row before a wide character, at some widths. A run of joiners joins no more than one does:
#: the rest show as zero-width spaces (one for one: offsets into the text stay true).
JOINER, ZERO_WIDTH_SPACE = "\u200d", "\u200b"
_JOINER_RUN = re.compile(f"{JOINER}({JOINER}+)")


def printable(text: str) -> str:
    """``text`` with its control characters (but tab and newline) shown as pictures, a lone
    surrogate as U+FFFD, and in a run of zero-width joiners all but the first as zero-width
    spaces; one character for one."""
    text = text.translate(VISIBLE_CONTROLS)
    if JOINER * 2 in text:
        text = _JOINER_RUN.sub(lambda run: JOINER + ZERO_WIDTH_SPACE * len(run.group(1)), text)
    return text


def valid_text(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD (as a decoder replaces bad bytes)."""
    return text.translate(SURROGATES)
