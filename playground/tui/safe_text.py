"""Text that users typed or files brought, on the playground's screen: always as text.

Textual reads a plain ``str`` as content markup almost everywhere (labels, buttons, border
titles, notifications, palette hits, option prompts), so a stop sequence ``[/INST]``, a seed
box's ``x[/]`` or a theme named ``mark[/]up`` would be parsed, and crash or vanish. Every such
string goes through one of these helpers instead; the widgets never see markup they did not
write themselves. Control characters are shown as their Unicode pictures on the way, so a
file's stray escape byte can never reach the terminal as a command.
"""

from __future__ import annotations

from rich.text import Text
from textual.content import Content
from textual.fuzzy import Matcher

from playground.visible import printable


def plain(text: str) -> Content:
    """For Textual: labels, statics, buttons, border titles, tooltips."""
    return Content(printable(text))


def plain_text(text: str) -> Text:
    """For the widgets that take Rich renderables: DataTable cells, Select and option prompts."""
    return Text(printable(text), end="")


def markup_literal(text: str) -> str:
    """Content markup that renders as exactly ``text``, for the few Textual APIs that take only a
    markup string (a palette hit's help). Textual's markup reads ``\\[`` as a literal bracket
    and never starts a tag at a bracket after a backslash; ``textual.markup.escape`` escapes
    only brackets that look like tags and so loses backslashes (``\\[b]``)."""
    return printable(text).replace("[", "\\[")


def highlighted(matcher: Matcher, candidate: str) -> Content:
    """``matcher.highlight`` without reading the candidate as markup: the matched characters
    in the matcher's style."""
    content = plain(candidate)
    score, offsets = matcher.fuzzy_search.match(matcher.query, candidate)
    if not score:
        return content
    for offset in offsets:
        if not candidate[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content
