"""Comparing any response of a run, not only its first: a run with two responses (A/B, or two
responses) has a second one that compare shows when asked (``r`` in compare switches the
focused side's response, ``r`` in the runs list compares a run's two responses)."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from textual.widgets import Static, Tree

from playground.tui.screens.compare import CompareScreen
from playground.tui.screens.runs_list import RunsScreen
from tests.session_records import make_run
from tests.tui.helpers import scripted_app, wait_for

#: Response 2 of run #1 differs from its response 1 and from run #2's only response; response 1
#: holds markup that must show as text.
FIRST, SECOND, OTHER = "a = 1\nb = [red]2[/red]\n", "a = 1\nb = 3\n", "a = 1\nb = 4\n"


def with_two_responses():
    run = make_run(seed=1, text=FIRST, started_at="2026-11-25T10:00:00+00:00")
    [response] = run.responses
    return replace(run, responses=(response, replace(response, index=1, text=SECOND, seed=2)))


def differing(screen: CompareScreen) -> tuple[str, str]:
    return tuple("".join(text for text, kind in side.parts if kind != "same")  # type: ignore[return-value]
                 for side in (screen.left, screen.right))


def shown(screen: CompareScreen) -> list[str]:
    return [str(screen.query_one(f"#compare-text-{i}", Static).visual) for i in range(2)]


def titles(screen: CompareScreen) -> list[str]:
    return [str(screen.query_one(f"#compare-{i}").border_title) for i in range(2)]


def in_runs_list(scenario) -> None:
    """``scenario(pilot, app)`` with the runs list open on run #1 (two responses) and run #2 (one)."""
    async def run() -> None:
        app = scripted_app()
        async with app.run_test(size=(100, 34)) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            app.keeper.session.runs.extend([with_two_responses(), make_run(seed=3, text=OTHER,
                                                                           started_at="2026-11-25T10:01:00+00:00")])
            await pilot.press("ctrl+l")
            await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen))
            tree = app.screen.query_one(Tree)
            await wait_for(pilot, lambda: tree.cursor_node is not None and tree.cursor_node.data is not None)
            assert tree.cursor_node.data == app.keeper.session.runs[0].id
            await scenario(pilot, app)
    asyncio.run(run())


def test_r_in_the_runs_list_compares_a_runs_two_responses_as_text():
    async def scenario(pilot, app):
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen))
        screen = app.screen
        assert titles(screen) == ["run #1 · response 1 of 2", "run #1 · response 2 of 2"]
        assert differing(screen) == ("[red]2[/red]", "3")
        assert shown(screen) == [FIRST, SECOND]  # the markup is the text, not styles
        await pilot.press("r")  # the left side's next response: the second, so both are the same
        await wait_for(pilot, lambda: screen.chosen == (1, 1))
        assert differing(screen) == ("", "") and screen.ratio == 1.0
        assert titles(screen)[0] == "run #1 · response 2 of 2" and shown(screen) == [SECOND, SECOND]
    in_runs_list(scenario)


def test_r_on_a_run_with_one_response_says_so():
    async def scenario(pilot, app):
        await pilot.press("down", "r")
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)
        assert any("This run has one response" in n.message for n in app._notifications)
    in_runs_list(scenario)


def test_compare_switches_the_response_of_the_focused_side():
    async def scenario(pilot, app):
        await pilot.press("c", "down", "c")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen))
        screen = app.screen
        assert titles(screen) == ["run #1 · response 1 of 2", "run #2"]
        assert differing(screen) == ("[red]2[/red]", "4")
        await pilot.press("tab", "r")  # run #2 has no other response
        await pilot.pause()
        assert screen.chosen == (0, 0)
        assert any("run #2 has one response" in n.message for n in app._notifications)
        await pilot.press("shift+tab", "r")
        await wait_for(pilot, lambda: screen.chosen == (1, 0))
        assert differing(screen) == ("3", "4") and shown(screen) == [SECOND, OTHER]
        assert titles(screen)[0] == "run #1 · response 2 of 2"
        await pilot.press("r")  # and round to the first again
        await wait_for(pilot, lambda: screen.chosen == (0, 0))
        assert differing(screen) == ("[red]2[/red]", "4")
    in_runs_list(scenario)
