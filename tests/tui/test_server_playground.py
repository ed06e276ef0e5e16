"""The playground on a server (``--server``), through the real loader and a local stub: the
front-end neither knows nor cares that no model is loaded here."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

from playground.engine.options import LoadOptions
from playground.params import SamplingParams
from playground.tui.app import create_app
from playground.tui.widgets.response_view import ResponseView
from tests.server_stub import StubHandler, chunk, models, stub_server, tokenize
from tests.tui.helpers import run_finished, run_from_palette, wait_for


def completions(handler: StubHandler, body: dict[str, Any]) -> None:
    """Each row's request answers by its seed: row 2 (seed + 1) writes other tokens."""
    letter = "ab"[body["seed"] % 2]
    handler.send_events([chunk(letter, [ord(letter)]), chunk(letter * 2, [ord(letter)] * 2, finish="length")])


def test_the_playground_runs_on_a_server_as_on_a_local_model() -> None:
    routes = {"/v1/models": models("starcoder2-15b", context=64), "/tokenize": tokenize,
              "/v1/completions": completions}

    async def scenario(url: str) -> None:
        app = create_app(LoadOptions(server=url), SamplingParams.make(num_responses=2, seed=10, max_new_tokens=3))
        async with app.run_test(size=(150, 45)) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            assert app.model_status.text.startswith(f"starcoder2-15b on {url} · context 64 tokens · connected in")
            await pilot.press(*"def f():")
            await pilot.press("f5")
            await wait_for(pilot, lambda: run_finished(app))
            result = app.generation.run.result
            assert [r.text for r in result.responses] == ["aaa", "bbb"]
            assert app.query_one("#response-1", ResponseView).streamed == "bbb"
            run = app.keeper.last_run
            assert run is not None and run.model.id == "starcoder2-15b" and run.model.device == url

    with stub_server(routes) as (url, seen):
        asyncio.run(scenario(url))
    sent = [body for path, _headers, body in seen if path == "/v1/completions"]
    assert sorted(body["seed"] for body in sent) == [10, 11] and all(b["prompt"] == list(b"def f():") for b in sent)


def test_a_server_that_failed_at_start_is_tried_again_from_the_status_line_and_the_palette() -> None:
    """Down (here: answering 503) when the playground starts; up later: Try again connects, no restart."""
    def unavailable(handler: StubHandler, body: dict[str, Any]) -> None:
        handler.send_json({"error": "starting"}, status=503)

    routes = {"/v1/models": unavailable, "/tokenize": tokenize, "/v1/completions": completions}

    async def scenario(url: str) -> None:
        app = create_app(LoadOptions(server=url))
        async with app.run_test(size=(150, 45)) as pilot:
            await wait_for(pilot, lambda: app.model_status.failed)
            assert app.query_one("#retry-load").display and app.engine is None
            assert "503" in app.model_status.text
            await pilot.press("f5")  # no model: the note points at the way out
            assert any("press Try again" in note.message for note in app._notifications)
            await pilot.click("#retry-load")  # still down: the same one line again
            await wait_for(pilot, lambda: app.model_status.failed)
            assert sum(path == "/v1/models" for path, _headers, _body in seen) == 2
            titles = {command.title: command.help for command in app.palette_commands()}
            assert titles["Try loading again"] == f"Connect to {url} again"
            routes["/v1/models"] = models("starcoder2-15b", context=64)  # the server is up now
            await run_from_palette(pilot, "Try loading again")
            await wait_for(pilot, lambda: app.engine is not None)
            assert app.model_status.text.startswith(f"starcoder2-15b on {url}")
            assert not app.query_one("#retry-load").display
            assert "Try loading again" not in [command.title for command in app.palette_commands()]

    with stub_server(routes) as (url, seen):
        asyncio.run(scenario(url))


def test_a_slider_moved_while_a_response_with_a_format_streams_on_a_server_is_refused_in_one_line() -> None:
    held = threading.Event()
    released = threading.Event()

    def held_after_one(handler: StubHandler, body: dict[str, Any]) -> None:
        handler.start_events()
        handler.send_event(json.dumps(chunk("a", [97])))
        held.set()
        released.wait(timeout=240)  # a safety net for a failing test, not a synchronisation
        handler.send_event(json.dumps(chunk("b", [98], finish="length")))
        handler.wfile.write(b"data: [DONE]\n\n")

    routes = {"/v1/models": models("starcoder2-15b", context=64), "/tokenize": tokenize,
              "/v1/completions": held_after_one}
    params = SamplingParams.make(max_new_tokens=2, seed=3, response_format={"type": "regex", "value": "[a-z]+"})

    async def scenario(url: str) -> None:
        app = create_app(LoadOptions(server=url), params)
        async with app.run_test(size=(150, 45), notifications=True) as pilot:
            await wait_for(pilot, lambda: app.engine is not None)
            await pilot.press("f5")
            await wait_for(pilot, lambda: held.is_set() and app.generating)
            box = app.query_one("#input-temperature")
            box.focus()
            box.value = "0.2"
            await pilot.press("enter")
            await wait_for(pilot, lambda: any("keeps its parameters" in n.message for n in app._notifications))
            released.set()
            await wait_for(pilot, lambda: run_finished(app))
            assert app.generation.run.result.live_changes == [] and app.state.params.temperature == 0.2

    with stub_server(routes) as (url, _seen):
        try:
            asyncio.run(scenario(url))
        finally:
            released.set()
