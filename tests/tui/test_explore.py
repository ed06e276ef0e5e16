"""Looking inside a completion in the playground: the heatmap, the token inspector, branching from
a token, and the session's runs (show one again, compare two). On the scripted engine, whose
per-token probabilities are fixed (``tests/fake_probabilities``), so the tests can say exactly
what the screen must show."""

from __future__ import annotations

import asyncio
import math

from textual.widgets import OptionList, Static, Tree

from playground.engine.types import LiveChange
from playground.params import SamplingParams
from playground.runtime.running import Generation
from playground.runtime.token_view import PLAYGROUND_ALTERNATIVES, PROBABILITIES_BY_DEFAULT
from playground.tui.messages import TokensStreamed
from playground.tui.probabilities import HEAT_BANDS
from playground.tui.runs import RunState
from playground.tui.screens.compare import CompareScreen
from playground.tui.screens.inspector import InspectorScreen
from playground.tui.screens.runs_list import RunsScreen
from playground.tui.widgets.response_view import ResponseView
from playground.tui.widgets.token_lines import CURSOR_STYLE
from playground.tui.widgets.token_map import HeatLegend, TokenMap
from tests.fake_probabilities import SCRIPT_PROBABILITIES, info_at
from tests.fakes import SCRIPT
from tests.tui.helpers import run_finished, run_from_palette, scripted_app, wait_for

SIZE = (100, 34)
PROMPT = "def fib(n):\n"


async def generated(pilot) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: app.engine is not None)
    runs = len(app.keeper.session.runs)
    await pilot.press("f5")
    await wait_for(pilot, lambda: run_finished(app) and len(app.keeper.session.runs) == runs + 1)


def explore(scenario, *, generate: bool = True) -> None:
    """Run ``scenario(pilot, app)`` on a playground with its model loaded that has just generated
    one run with probabilities (``generate``), or nothing yet."""
    async def run() -> None:
        app = scripted_app(PROMPT, SamplingParams.make(seed=42))
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            if generate:
                app.state = app.state.replace(probabilities=True)
                await generated(pilot)
            await scenario(pilot, app)
    asyncio.run(run())


def span_styles(token_map: TokenMap) -> dict[tuple[int, int], list[str]]:
    """The text styles of each token span the map shows (click targets left out)."""
    content = token_map.shown
    styles: dict[tuple[int, int], list[str]] = {}
    for span in content.spans:
        if isinstance(span.style, str):
            styles.setdefault((span.start, span.end), []).append(span.style)
    return styles


def details(app) -> str:
    return str(app.screen.query_one("#token-details", Static).visual)


def test_the_heatmap_key_colours_each_token_by_its_probability_with_a_legend():
    async def scenario(pilot, app):
        assert app.scripted_engine.requests[-1].logprobs == PLAYGROUND_ALTERNATIVES
        view, token_map = app.query_one("#response-0", ResponseView), app.query_one("#heatmap-0", TokenMap)
        assert view.display and not token_map.display and not app.query_one(HeatLegend).display
        view.focus()
        await pilot.press("f7")
        assert app.state.heatmap and token_map.display and not view.display
        assert app.query_one(HeatLegend).display
        await wait_for(pilot, lambda: app.focused is token_map)  # the column keeps the focus
        styles = span_styles(token_map)
        starts = [sum(len(piece) for piece in SCRIPT[:i]) for i in range(len(SCRIPT) + 1)]
        for index, p in enumerate(SCRIPT_PROBABILITIES[: len(SCRIPT)]):
            band = next(band for band in HEAT_BANDS if p >= band.floor)
            end = starts[index + 1] - SCRIPT[index].endswith("\n")  # a line's styles end at its newline
            assert styles[(starts[index], end)] == [band.style], index
        # the four tokens fall in four different bands: the unlikely ones stand out
        assert len({tuple(s) for s in styles.values()}) == len(SCRIPT)
        await pilot.press("f7")
        assert not app.state.heatmap and view.display and not token_map.display
        assert not app.query_one(HeatLegend).display
        await wait_for(pilot, lambda: app.focused is view)
    explore(scenario)


def test_the_heatmap_key_turns_probabilities_on_for_the_next_run():
    async def scenario():
        app = scripted_app(PROMPT, SamplingParams.make(seed=42))
        async with app.run_test(size=SIZE) as pilot:
            await generated(pilot)
            asked = app.scripted_engine.requests[-1].logprobs
            assert asked == (PLAYGROUND_ALTERNATIVES if PROBABILITIES_BY_DEFAULT else None)  # the one setting
            app.state = app.state.replace(probabilities=False)
            await generated(pilot)
            await pilot.press("f7")
            token_map = app.query_one("#heatmap-0", TokenMap)
            assert app.state.probabilities and "no probabilities" in str(token_map.border_subtitle)
            assert set(map(tuple, span_styles(token_map).values())) == {("$text-muted",)}  # unknown, said so
            await generated(pilot)
            assert app.scripted_engine.requests[-1].logprobs == PLAYGROUND_ALTERNATIVES
            assert "$text-muted" not in str(span_styles(token_map)) and "no probabilities" not in str(
                token_map.border_subtitle)
            await run_from_palette(pilot, "probabilities")
            await wait_for(pilot, lambda: not app.state.probabilities)
            assert not app.state.heatmap  # no probabilities, no heatmap
    asyncio.run(scenario())


def test_the_heatmap_follows_a_streaming_run():
    async def scenario(pilot, app):
        await pilot.press("f7")
        await generated(pilot)
        assert app.scripted_engine.requests[-1].logprobs == PLAYGROUND_ALTERNATIVES
        token_map = app.query_one("#heatmap-0", TokenMap)
        assert [piece.text for piece in token_map.pieces] == SCRIPT
        assert str(token_map.shown) == "".join(SCRIPT)
    explore(scenario, generate=False)


def test_the_inspector_follows_the_token_cursor_by_key_and_by_mouse():
    async def scenario(pilot, app):
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: isinstance(app.screen, InspectorScreen))
        assert "token 1 of 4 · id 100" in details(app)
        assert "probability 95.0% (raw)" in details(app) and "rank 1" in details(app)
        await pilot.press("right", "right")
        await wait_for(pilot, lambda: "token 3 of 4" in details(app))
        text = details(app)
        assert "id 102" in text and "probability 20.0% (raw)" in text and "rank 2" in text
        assert f"as sampled {100 * math.exp(0.8 * math.log(0.2)):.1f}%" in text
        assert "temperature 0.7" in text and "top_p 0.9" in text
        options = app.screen.query_one(OptionList)
        assert options.option_count == 9  # the token and 8 alternatives, most likely first
        first = str(options.get_option_at_index(0).prompt)
        assert first.startswith("█") and "40.0%" in first and "alt0" in first
        assert any("▸" in str(options.get_option_at_index(i).prompt) for i in range(9))  # the token written
        token_map = app.screen.query_one(TokenMap)
        start = len(SCRIPT[0] + SCRIPT[1])
        assert span_styles(token_map)[(start, start + len(SCRIPT[2]))][-1] == CURSOR_STYLE
        await pilot.click("#inspector-tokens TokenText", offset=(3, 1))  # the second line: token 2
        await wait_for(pilot, lambda: "token 2 of 4" in details(app))
        assert token_map.cursor == 1
        await pilot.press("end")
        await wait_for(pilot, lambda: "token 4 of 4" in details(app))
        await pilot.press("up")  # tokens 3 and 4 share a line: up goes to the line above's first, token 2
        await wait_for(pilot, lambda: "token 2 of 4" in details(app))
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, InspectorScreen))
    explore(scenario)


def test_the_inspector_opens_at_the_token_under_the_cursor_and_shows_live_changes():
    async def scenario(pilot, app):
        run = app.generation.run
        run.result.live_changes = [LiveChange(0, 2, "temperature", 0.2)]  # as the engine reports one
        view = app.query_one("#response-0", ResponseView)
        view.focus()
        view.move_cursor(view.location_at(len(SCRIPT[0]) + 3))  # inside the second token
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: isinstance(app.screen, InspectorScreen))
        assert "token 2 of 4" in details(app) and "\ntemperature 0.7 · top_p 0.9" in details(app)
        await pilot.press("right")
        await wait_for(pilot, lambda: "token 3 of 4" in details(app))
        assert "\n*temperature 0.2 · top_p 0.9" in details(app)
    explore(scenario)


def test_token_text_shows_as_text_never_as_markup():
    async def scenario():
        app = scripted_app(PROMPT, SamplingParams.make(seed=42))
        app.scripted_engine.script = ("[bold]x[/bold]", "[/]", "\x1b[31m", " y")
        async with app.run_test(size=SIZE) as pilot:
            await generated(pilot)
            await pilot.press("f7")
            shown = str(app.query_one("#heatmap-0", TokenMap).shown)
            assert shown.startswith("[bold]x[/bold][/]␛[31m")  # the escape byte as its picture
            await pilot.press("ctrl+t", "right")
            await wait_for(pilot, lambda: isinstance(app.screen, InspectorScreen) and "token 2" in details(app))
            assert "text [/]" in details(app)
    asyncio.run(scenario())


async def branch_at(pilot, token: int, alternative_index: int) -> None:
    """Open the inspector, move to ``token``, choose the alternative listed at ``alternative_index``."""
    app = pilot.app
    await pilot.press("ctrl+t")
    await wait_for(pilot, lambda: isinstance(app.screen, InspectorScreen))
    for _ in range(token):
        await pilot.press("right")
    await wait_for(pilot, lambda: f"token {token + 1} of" in details(app))
    options = app.screen.query_one(OptionList)
    options.focus()
    options.highlighted = alternative_index
    await pilot.press("enter")


def test_branching_from_an_alternative_starts_a_run_that_keeps_its_parent():
    async def scenario(pilot, app):
        parent = app.generation.run
        parent_record = app.keeper.session.runs[-1]
        await branch_at(pilot, 2, 0)  # token 3: the most likely alternative, " alt0"
        await wait_for(pilot, lambda: run_finished(app) and len(app.keeper.session.runs) == 2)
        request = app.scripted_engine.requests[-1]
        assert request.prefix_tokens == (100, 101) and request.forced_token == 200
        assert request.prompt == PROMPT and request.params.seed == 42 and request.logprobs == PLAYGROUND_ALTERNATIVES
        branch = app.generation.run
        assert branch is not parent and branch.parent == parent_record.id and branch.branch_point == 2
        # streamed: the parent's tokens up to the branch point, then the forced token, then on
        assert branch.token_ids[0][:3] == [100, 101, 200]
        assert app.query_one("#response-0", ResponseView).streamed == SCRIPT[0] + SCRIPT[1] + " alt0" + SCRIPT[3]
        record = app.keeper.session.runs[-1]
        assert (record.parent, record.branch_point) == (parent_record.id, 2)
        assert app.keeper.session.runs[0] is parent_record  # the parent stays
        assert "alt0" not in parent_record.responses[0].text
    explore(scenario)


def test_choosing_the_token_the_run_wrote_does_not_branch():
    async def scenario(pilot, app):
        await branch_at(pilot, 0, 0)  # token 1 is the most likely: the first entry is itself
        await pilot.pause()
        assert isinstance(app.screen, InspectorScreen) and len(app.scripted_engine.requests) == 1
    explore(scenario)


def test_the_runs_list_shows_branches_under_their_parent_shows_a_run_again_and_compares_two():
    async def scenario(pilot, app):
        parent = app.generation.run
        await branch_at(pilot, 1, 1)  # token 2 (60% likely) is listed first, then " alt0"
        await wait_for(pilot, lambda: run_finished(app) and len(app.keeper.session.runs) == 2)
        first, second = app.keeper.session.runs
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen))
        tree = app.screen.query_one(Tree)
        [root] = tree.root.children
        [child] = root.children
        assert (root.data, child.data) == (first.id, second.id)
        assert "#1 · 4 tokens length · t 0.7" in str(root.label)
        assert "#2 · branch at token 2 ·" in str(child.label) and "seed 42" in str(child.label)
        await wait_for(pilot, lambda: tree.cursor_node is child)  # the run shown is under the cursor
        await pilot.press("up", "enter")  # show the parent again
        await wait_for(pilot, lambda: not isinstance(app.screen, RunsScreen))
        assert app.generation.run is parent
        assert app.query_one("#response-0", ResponseView).streamed == "".join(SCRIPT)
        assert app.run_status == "showing run #1"
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen))
        await pilot.press("c", "down", "c")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen))
        screen = app.screen
        left = "".join(text for text, kind in screen.left.parts if kind != "same")
        right = "".join(text for text, kind in screen.right.parts if kind != "same")
        assert left.strip() == SCRIPT[1].strip() and right.strip() == "alt0"  # only the branched token differs
        assert [str(s.border_title) for s in screen.query("VerticalScroll")] == ["run #1", "run #2"]
    explore(scenario)


def test_the_exploring_keys_explain_what_is_missing():
    async def scenario(pilot, app):
        await pilot.press("ctrl+t", "ctrl+l")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("No response to inspect yet" in m for m in messages)
        assert any("No runs in this session yet" in m for m in messages)
        assert app.screen is app.default_screen
    explore(scenario, generate=False)


def test_the_inspector_on_a_run_that_wrote_no_tokens_says_so():
    async def scenario(pilot, app):
        request = app.state.request(PROMPT)
        app.generation.run = RunState(Generation(app.engine, request))
        app.generation.run.result = app.engine.generate(request)  # finished, and none of it streamed:
        # as a run stopped before its first token
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert app.screen is app.default_screen
        assert any("This run wrote no tokens" in n.message for n in app._notifications)
    explore(scenario, generate=False)


def test_an_inspector_opened_mid_stream_follows_the_run():
    async def scenario(pilot, app):
        request = app.state.request(PROMPT)
        app.generation.run = RunState(Generation(app.engine, request))
        app.generating = True
        infos = [info_at(step, 100 + step, 20, False, SCRIPT) for step in range(len(SCRIPT))]
        sizes = [len(piece) for piece in SCRIPT]

        def stream(steps: range) -> None:
            part = slice(steps.start, steps.stop)
            ids = [100 + s for s in steps]
            app.on_tokens_streamed(TokensStreamed({0: "".join(SCRIPT[part])}, {0: len(steps)}, 0.1, 0.05,
                                                  {0: sizes[part]}, {0: ids}, {0: infos[part]}))

        stream(range(2))
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: isinstance(app.screen, InspectorScreen))
        assert "token 1 of 2" in details(app)
        stream(range(2, 4))
        await pilot.pause()
        assert "token 1 of 4" in details(app)
        await pilot.press("end")
        await wait_for(pilot, lambda: "token 4 of 4 · id 103" in details(app))
        assert "probability 5.00% (raw)" in details(app)
    explore(scenario, generate=False)


def test_a_reopened_session_shows_its_runs_tokens_in_the_heatmap_and_the_inspector():
    async def scenario(pilot, app):
        record = app.keeper.session.runs[-1]
        path = app.keeper.save(app.state.params, PROMPT, "explored")
        app.explore.runs.clear()  # as in a new sitting: only the file knows the tokens
        app.generation.run = None
        app.sessions.open(path)
        await wait_for(pilot, lambda: app.generation.run is not None)
        run = app.generation.run
        assert run.record_id == record.id and run.token_ids[0] == record.responses[0].token_ids
        await pilot.press("f7")
        styles = span_styles(app.query_one("#heatmap-0", TokenMap))
        assert len({tuple(s) for s in styles.values()}) == len(SCRIPT) and ("$text-muted",) not in styles.values()
        await pilot.press("ctrl+t", "right", "right")
        await wait_for(pilot, lambda: isinstance(app.screen, InspectorScreen) and "token 3 of 4" in details(app))
        assert "probability 20.0% (raw)" in details(app) and "rank 2" in details(app)
    explore(scenario)
