"""Widgets on their own: the slider's arithmetic, windowed highlighting, the stream batcher."""

from __future__ import annotations

import asyncio
import inspect
import sys
from pathlib import Path

import pytest
import textual
from textual.app import App
from textual.widgets import Input, TextArea
from textual.widgets.text_area import SyntaxAwareDocument

from playground.engine.types import RowFinished, TokenEvent
from playground.params import escape, unescape
from playground.tui.messages import TokensStreamed
from playground.tui.streaming import StreamBatcher
from playground.tui.widgets.response_view import ResponseView, printable
from playground.tui.widgets.slider import Slider
from playground.tui.widgets.windowed_highlighting import TESTED_TEXTUAL_MAJOR

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def test_slider_values_stay_in_range_and_on_steps():
    slider = Slider(0.7, 0, 2, step=0.01)
    assert slider.validate_value(5) == 2 and slider.validate_value(-1) == 0
    assert slider.validate_value(0.123456) == 0.12
    log = Slider(512, 1, 1_000_000, step=1, log_scale=True, integer=True)
    assert log.value_at(0) == 1 and log.value_at(1) == pytest.approx(1_000_000)
    assert log.fraction(1000) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        Slider(1, 0, 10, log_scale=True)


def test_stop_escapes_round_trip():
    for text in ["\n\n", "\\n", "a\tb", "plain", "\\"]:
        assert unescape(escape(text)) == text
    assert unescape("\\n\\ndef ") == "\n\ndef "


def test_control_characters_are_shown_as_pictures_one_for_one():
    raw = "a\x1b[31mb\x07\tc\n\x7f"
    shown = printable(raw)
    assert len(shown) == len(raw) and "\x1b" not in shown and "\x07" not in shown and "\x7f" not in shown
    assert "\t" in shown and "\n" in shown


def test_batcher_posts_at_most_once_per_frame_and_loses_nothing():
    posted = []
    now = [0.0]

    def handle_at_once(message: TokensStreamed) -> None:
        posted.append(message)
        message.handled()

    batcher = StreamBatcher(handle_at_once, interval=1 / 30, clock=lambda: now[0])
    for step in range(300):  # 300 tokens in 0.3 s of fake time
        now[0] = step / 1000
        batcher([TokenEvent(0, step, "x"), TokenEvent(1, step, "y")])
    batcher.flush()
    assert 8 <= len(posted) <= 11
    assert "".join(m.texts[0] for m in posted) == "x" * 300
    assert sum(m.tokens[1] for m in posted) == 300
    assert posted[0].first_token_s == 0.0


def test_batcher_holds_the_next_frame_until_the_ui_has_handled_the_last():
    """A UI slower than the frame rate gets fewer, larger frames, never a queue of them (a key
    pressed meanwhile would wait behind the whole queue)."""
    posted: list[TokensStreamed] = []
    now = [0.0]
    batcher = StreamBatcher(posted.append, interval=1 / 30, clock=lambda: now[0])
    for step in range(100):  # 0.5 s of fake time, the first message not yet handled
        now[0] = 0.1 + step / 200
        batcher([TokenEvent(0, step, str(step % 10))])
    assert len(posted) == 1 and posted[0].tokens == {0: 1}
    posted[0].handled()  # a frame has passed since: what came meanwhile is posted now, in one message
    assert len(posted) == 2 and posted[1].tokens == {0: 99}
    batcher([TokenEvent(0, 100, "0")])
    batcher.flush()  # the end is posted whether or not the last was handled
    assert len(posted) == 3
    assert "".join(m.texts[0] for m in posted) == "".join(str(step % 10) for step in range(101))


def test_a_message_handled_within_the_frame_waits_for_the_next_event():
    posted: list[TokensStreamed] = []
    now = [0.0]
    batcher = StreamBatcher(posted.append, interval=1 / 30, clock=lambda: now[0])
    now[0] = 0.05
    batcher([TokenEvent(0, 1, "a")])
    now[0] = 0.06
    batcher([TokenEvent(0, 2, "b")])
    posted[0].handled()  # 10 ms after it was posted: not yet a frame
    assert len(posted) == 1
    now[0] = 0.09
    batcher([TokenEvent(0, 3, "c")])
    assert [m.texts[0] for m in posted] == ["a", "bc"]


def test_batcher_counts_tokens_only_and_gives_a_rows_closing_text_to_its_last_token():
    posted = []
    batcher = StreamBatcher(posted.append, interval=1.0, clock=lambda: 0.0)
    batcher([TokenEvent(0, 7, "ab"), TokenEvent(1, 8, "c")])
    batcher([RowFinished(0, "cancelled", "\ufffd"), RowFinished(1, "length")])
    batcher.flush()
    (message,) = posted
    assert message.texts == {0: "ab\ufffd", 1: "c"} and message.tokens == {0: 1, 1: 1}
    assert message.token_chars == {0: [3], 1: [1]}


def test_highlighting_covers_the_viewport_and_follows_scrolling():
    code = "".join(f"def function_{i}(x):\n    return x + {i}\n" for i in range(1500))

    class Host(App):
        def compose(self):
            yield ResponseView(0)

    async def scenario():
        app = Host()
        async with app.run_test(size=(80, 24)) as pilot:
            view = app.query_one(ResponseView)
            view.start()
            view.append(code)
            await pilot.pause()
            last_row = view.document.line_count - 2
            assert view._highlights[last_row]  # following the end: the end is highlighted
            assert not view._highlights[10]  # far above the view: not computed
            view.scroll_home(animate=False, immediate=True)
            await pilot.pause()
            assert view._highlights[10]
    asyncio.run(scenario())


def test_windowed_highlighting_runs_on_the_textual_it_was_checked_on():
    """It overrides TextArea internals; on a new Textual major version, check them again, then
    move TESTED_TEXTUAL_MAJOR and the pin in pyproject.toml."""
    major = int(textual.__version__.split(".")[0])
    assert major == TESTED_TEXTUAL_MAJOR, (
        f"Textual {textual.__version__} is installed but windowed_highlighting was checked on Textual "
        f"{TESTED_TEXTUAL_MAJOR}.x: re-check the TextArea internals it overrides, then widen the pin")
    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    pins = [d for d in pyproject["project"]["dependencies"] if d.startswith("textual")]
    assert pins == [f"textual[syntax]>={TESTED_TEXTUAL_MAJOR}.0,<{TESTED_TEXTUAL_MAJOR + 1}"]
    assert callable(TextArea._build_highlight_map) and callable(TextArea._watch_scroll_y)
    # value_box runs a widget's own bindings from its private binding map (Textual issue #6605)
    assert "ctrl+k" in Input()._bindings.key_to_bindings and "ctrl+a" in ResponseView(0)._bindings.key_to_bindings
    assert {"start_point", "end_point"} <= set(inspect.signature(SyntaxAwareDocument.query_syntax_tree).parameters)


def test_the_live_rate_leaves_out_a_branchs_given_tokens_and_a_cancel_brings_no_first_token():
    """A branch's given tokens come in one call with (or before) its first; counted, 500 of
    them made a run drawing 10 tokens a second show hundreds. A row ended before any token
    (cancelled) has no first token to report."""
    from playground.tui.runs import RunState
    posted: list[TokensStreamed] = []
    now = [0.0]
    batcher = StreamBatcher(posted.append, interval=0, clock=lambda: now[0])
    batcher([RowFinished(1, "cancelled")])
    now[0] = 0.5
    batcher([TokenEvent(0, token, "x") for token in range(500)])  # the given tokens
    for step in range(1, 11):  # then 10 tokens drawn in a second
        posted[-1].handled()
        now[0] = 0.5 + step / 10
        batcher([TokenEvent(0, 500 + step, "y")])
    batcher.flush()
    run = RunState(generation=None)  # type: ignore[arg-type]  # absorbing needs no generation
    for message in posted:
        run.absorb(message)
    assert posted[0].first_token_s is None and run.first_token_s == 0.5 and run.generated == 510
    assert abs(run.live_rate - 10.0) < 1e-9
