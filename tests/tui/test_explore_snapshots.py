"""Snapshots of the heatmap and the token inspector, on the scripted engine's fixed probabilities.

Update after an intended visual change with: pytest tests/tui/test_explore_snapshots.py --snapshot-update
"""

from __future__ import annotations

from playground.params import SamplingParams
from playground.tui.screens.inspector import InspectorScreen
from tests.tui.helpers import run_finished, scripted_app, wait_for
from tests.tui.test_snapshots import PROMPT, SIZE, loaded, steady


async def finished(pilot):
    """A run made with probabilities on."""
    await loaded(pilot)
    pilot.app.state = pilot.app.state.replace(probabilities=True)
    await pilot.press("f5")
    await wait_for(pilot, lambda: run_finished(pilot.app))
    steady(pilot.app)


def test_heatmap(snap_compare):
    """Each token on its band's colour, the legend under the responses."""
    async def heatmap(pilot):
        await finished(pilot)
        await pilot.press("f7")
        await wait_for(pilot, lambda: pilot.app.query_one("#heatmap-0").display)
        steady(pilot.app)

    assert snap_compare(scripted_app(PROMPT, SamplingParams.make(seed=42)), terminal_size=SIZE, run_before=heatmap)


def test_inspector_in_a_small_terminal(snap_compare):
    """80×24: the third token under the cursor, its figures, parameters and alternatives as bars."""
    async def inspector(pilot):
        await finished(pilot)
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, InspectorScreen))
        await pilot.press("right", "right")
        await wait_for(pilot, lambda: pilot.app.screen.query_one("TokenMap").cursor == 2)
        steady(pilot.app)

    app = scripted_app(PROMPT, SamplingParams.make(seed=42))
    assert snap_compare(app, terminal_size=(80, 24), run_before=inspector)
