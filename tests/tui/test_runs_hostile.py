"""The runs list and compare on runs whose responses no one would write by hand: empty, markup,
escape bytes and carriage returns, a lone surrogate, a line of 100,000 characters, a branch.
r, c, tab and escape at every turn: nothing crashes, everything shows as its text."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from textual.widgets import Static, Tree

from playground.tui.screens.compare import CompareScreen
from playground.tui.screens.runs_list import RunsScreen
from playground.visible import printable
from tests.session_records import make_run
from tests.tui.helpers import scripted_app, wait_for

TEXTS = ["", "[red]x[/] [bold]y\x1b[31m\r\nz\x9b2J", "a\ud800b", "w" * 100_000]


def hostile_runs() -> list:
    first = make_run(seed=1, text=TEXTS[0], started_at="2026-11-25T10:00:00+00:00")
    first = replace(first, responses=(first.responses[0], replace(first.responses[0], index=1, text=TEXTS[1], seed=2)))
    branch = replace(make_run(seed=3, text=TEXTS[2], started_at="2026-11-25T10:01:00+00:00"), parent=first.id,
                     branch_point=2)
    long = make_run(seed=4, text=TEXTS[3], started_at="2026-11-25T10:02:00+00:00")
    return [first, branch, long]


async def open_runs(pilot: Any, app: Any) -> None:
    """The runs list open, its cursor on a run."""
    await pilot.press("ctrl+l")
    await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen))
    tree = app.screen.query_one(Tree)
    await wait_for(pilot, lambda: tree.cursor_node is not None and tree.cursor_node.data is not None)


async def reopen_runs(pilot: Any, app: Any) -> None:
    """Compare closed, the runs list open again."""
    await pilot.press("escape")
    await wait_for(pilot, lambda: not isinstance(app.screen, CompareScreen))
    await open_runs(pilot, app)


def test_no_runs_says_so_in_one_line() -> None:
    async def scenario() -> None:
        app = scripted_app()
        async with app.run_test(size=(100, 34), notifications=True) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            await pilot.press("ctrl+l")
            await pilot.pause()
            assert not isinstance(app.screen, RunsScreen)
            assert any("No runs in this session yet" in str(n.message) for n in app._notifications)
    asyncio.run(scenario())


def test_hostile_responses_in_the_runs_list_and_compare_show_as_text() -> None:
    async def scenario() -> None:
        app = scripted_app()
        async with app.run_test(size=(100, 34), notifications=True) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            app.keeper.session.runs.extend(hostile_runs())
            await open_runs(pilot, app)
            await pilot.press("r")  # run #1's two responses: empty, and markup with escapes
            await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen))
            screen = app.screen
            for key in ["r", "tab", "r", "r", "tab", "r"]:
                await pilot.press(key)
            await pilot.pause()
            shown = [str(screen.query_one(f"#compare-text-{i}", Static).visual) for i in range(2)]
            assert sorted(shown) == sorted(printable(text) for text in TEXTS[:2])
            assert "\x1b" not in "".join(shown) and "\x9b" not in "".join(shown)
            await reopen_runs(pilot, app)
            runs = app.keeper.session.runs
            await pilot.press("c", "down", "c")  # run #1 against its branch (a lone surrogate)
            await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen))
            screen = app.screen
            await pilot.press("r", "tab", "r")  # the branch has one response: said, not a crash
            await pilot.pause()
            assert any("has one response" in str(n.message) for n in app._notifications)
            right = str(screen.query_one("#compare-text-1", Static).visual)
            assert right == "a\ufffdb"
            await reopen_runs(pilot, app)
            await pilot.press("c", "down", "down", "c")  # run #1 against 100,000 characters on one line
            await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen))
            assert app.screen.runs[1].responses == (TEXTS[3],) and len(runs) == 3
            await pilot.press("tab", "end", "escape")
    asyncio.run(scenario())
