"""Looking inside a completion as a new user met it: a reopened session's runs come back with
their tokens (a character split across tokens, a model still loading), and the inspector says
why a branch's given tokens have no sampled probability."""

from __future__ import annotations

import asyncio
import threading

from playground.engine.options import LoadOptions
from playground.engine.types import GenerationRequest
from playground.params import SamplingParams
from playground.runtime.engines import PlaygroundEngine, ProgressCallback
from playground.sessions.records import ModelRecord, RunRecord
from playground.sessions.session import Session
from playground.sessions.store import SessionStore
from playground.tui.app import create_app
from playground.tui.runs import RunState
from playground.tui.screens.inspector import InspectorScreen
from playground.tui.token_spans import token_chars
from playground.tui.widgets.token_map import TokenMap
from tests.fakes import ScriptedEngine
from tests.tui.helpers import run_finished, scripted_app, tiny_app, wait_for

PROMPT = "def add(a, b):"


def test_token_chars_give_a_split_character_to_the_token_that_completes_it(real_tokenizer):
    text = "é日本🙂 x"
    ids = real_tokenizer(text, add_special_tokens=False).input_ids
    texts = [real_tokenizer.decode([i]) for i in ids]
    assert "".join(texts) != text  # the case: a character split
    chars = token_chars(texts, text)
    assert chars is not None and sum(chars) == len(text) and len(chars) == len(ids)
    assert token_chars(texts, text + "y") is None  # pieces that are not the text


def test_a_saved_run_with_split_characters_comes_back_with_its_tokens(engine):
    request = GenerationRequest(PROMPT, SamplingParams.make(seed=1, max_new_tokens=24), logprobs=5)
    result = engine.generate(request)
    infos = result.responses[0].logprobs
    assert infos is not None and "".join(i.text for i in infos) != result.responses[0].text  # halves of characters
    run = RunRecord.from_result(request, result, "2026-11-26T00:00:00+00:00", ModelRecord.from_engine(engine))
    store = SessionStore()
    store.save(Session(prompt=PROMPT, runs=[run]), run.id)
    [again] = store.open(run.id).runs

    state = RunState.from_record(engine, again)

    assert state is not None
    pieces = state.pieces(0)
    assert [p.token_id for p in pieces] == result.responses[0].token_ids
    assert "".join(p.text for p in pieces) == result.responses[0].text
    assert all(p.info is not None for p in pieces)


def test_a_session_opened_while_the_model_loads_shows_its_tokens_once_it_has_loaded():
    """``--session FILE`` opens the file before the model has loaded: its last run shows as text,
    then with its tokens (heatmap and inspector) when the model is there, without asking."""
    from tests.tui.test_explore import PROMPT, SIZE, generated, span_styles

    async def run() -> None:
        first = scripted_app(PROMPT, SamplingParams.make(seed=42))
        async with first.run_test(size=SIZE) as pilot:
            first.state = first.state.replace(probabilities=True)
            await generated(pilot)
            path = first.keeper.save(first.state.params, PROMPT, "explored")
            record = first.keeper.session.runs[-1]
        may_load = threading.Event()

        def loader(options: LoadOptions, progress: ProgressCallback) -> PlaygroundEngine:
            may_load.wait(timeout=240)  # a safety net for a failing test, not a synchronisation
            return ScriptedEngine()

        app = create_app(LoadOptions(model="scripted-model"), None, loader=loader, session=path)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: len(app.keeper.session.runs) == 1)
            assert app.generation.run is None
            token_map = app.query_one("#heatmap-0", TokenMap)
            assert "once the model has loaded" in str(token_map.border_subtitle)
            may_load.set()
            await wait_for(pilot, lambda: app.generation.run is not None)
            assert app.generation.run.token_ids[0] == record.responses[0].token_ids
            await pilot.press("f7")
            assert ("$text-muted",) not in span_styles(token_map).values()
    asyncio.run(run())


def test_the_inspector_says_why_a_branchs_given_and_forced_tokens_have_no_sampled_probability(tiny_model_dir):
    """A branch's first tokens are the parent's and the next is forced: nothing was drawn, but the
    run samples (temperature 0.7), so "greedy" would be wrong (it said so)."""
    from tests.tui.test_explore import PROMPT, SIZE, branch_at, details, generated

    async def run() -> None:
        app = tiny_app(tiny_model_dir, SamplingParams.make(seed=5, temperature=0.7, max_new_tokens=6), prompt=PROMPT)
        async with app.run_test(size=SIZE) as pilot:
            app.state = app.state.replace(probabilities=True)
            await generated(pilot)
            await branch_at(pilot, 2, 1)
            await wait_for(pilot, lambda: run_finished(app) and len(app.keeper.session.runs) == 2)
            seen = []
            await pilot.press("ctrl+t")
            for index in range(4):
                await wait_for(pilot, lambda i=index: isinstance(app.screen, InspectorScreen)
                               and f"token {i + 1} of" in details(app))
                seen.append(next(line for line in details(app).splitlines() if line.startswith("as sampled")))
                await pilot.press("right")
        given, forced = "as sampled none: the parent's token, not drawn", "as sampled none: forced, not drawn"
        assert seen[:3] == [given, given, forced]
        assert seen[3].startswith("as sampled ") and "none" not in seen[3]
    asyncio.run(run())
