"""Text no model should write but a server (a JSON escape) or an edited session can: a lone
surrogate, a C1 control (U+009B is a CSI to xterm), carriage returns, markup, zero-width, wide
and combining characters, streamed into the response and the heatmap while the terminal
resizes. Nothing crashes, nothing is interpreted, every character shows as one."""

from __future__ import annotations

import asyncio

from playground.tui.widgets.token_map import TokenMap
from playground.visible import printable
from tests.tui.helpers import scripted_app, stream_by_hand, token_frame, wait_for

TEXTS = ["a", "\r", "\r\n", "\ud800", "x\udc80y", "\u200b", "漢字漢字漢字", "🎉🎉", "e\u0301", "[red]x[/]",
         "\x9b31m", "\n", "", "\u202eevil", "\t", "word" * 30, "\ufeff", "[bold]",
         "a\u200d", "\u200d\u200d漢·"]  # two joiners before a wide character fail Rich's cell split


def test_hostile_characters_stream_into_the_response_and_the_heatmap_as_text_while_it_resizes() -> None:
    async def scenario() -> None:
        app = scripted_app("def f():\n")
        async with app.run_test(size=(60, 30)) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            stream_by_hand(app, "def f():\n")
            sent = []
            for first in range(0, 108, 6):
                texts = TEXTS[first % len(TEXTS): first % len(TEXTS) + 6]
                sent += texts
                app.on_tokens_streamed(token_frame(texts, first))  # a lone surrogate crashed the response view
                if first == 36:
                    await pilot.resize_terminal(31, 20)
                if first == 60:
                    await pilot.resize_terminal(120, 40)
            token_map = app.query_one("#heatmap-0", TokenMap)
            await wait_for(pilot, lambda: len(token_map.pieces) == len(sent))
            shown = str(token_map.shown)
            # A token that starts with a joiner shows it as a zero-width space (see shown_text).
            assert shown == "".join(printable(text).replace("\u200d", "\u200b", text.startswith("\u200d")) or "·"
                                    for text in sent)
            assert "\ufffdx\ufffdy" in shown and "\x9b" not in shown and "␍␍\n" in shown
            screen = app.export_screenshot()
            assert not any(0xD800 <= ord(c) < 0xE000 or 0x80 <= ord(c) < 0xA0 for c in screen)
            assert "[red]x[/]" in screen.replace("&#160;", " ")  # markup shown, not applied
            token_map.focus()
            for key in ["right"] * 40 + ["down"] * 6 + ["end", "home"]:
                await pilot.press(key)
            app.generating = False
    asyncio.run(scenario())


def test_a_run_of_zero_width_joiners_is_shown_as_one_and_wraps_at_any_width() -> None:
    """Rich 15 raised IndexError or ZeroDivisionError wrapping these at some widths: a crash of
    any label, dialog or heatmap showing such model output."""
    from textual.content import Content

    for text in ["\u200d\u200d漢·", "a \u200d\u200d😀·", "\xa0\u200d\u200d\u200d漢·" * 3]:
        shown = printable(text)
        assert "\u200d\u200d" not in shown and len(shown) == len(text)
        assert shown.replace("\u200b", "\u200d") == text  # the rest of a run as zero-width spaces
        for width in range(1, 8):
            Content(shown).wrap(width)
