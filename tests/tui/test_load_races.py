"""Loads that overlap: the demo model chosen while a slow load runs, Try again pressed over and
over. The playground ends on the load asked for last; a load it left behind changes nothing."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from playground.engine.options import LoadOptions
from playground.errors import UserError
from playground.tui.app import create_app
from playground.tui.messages import ModelLoaded
from tests.fakes import FakeLoaded, ScriptedEngine
from tests.server_stub import StubHandler, stub_server
from tests.tui.helpers import run_from_palette, wait_for


class SlowThenDemo:
    """The first load (the model asked for) waits until released; the demo model loads at once."""

    def __init__(self, slow_fails: bool = False) -> None:
        self.started, self.released, self.slow_fails = threading.Event(), threading.Event(), slow_fails
        self.slow_done = threading.Event()
        self.calls: list[LoadOptions] = []

    def __call__(self, options: LoadOptions, progress: Any) -> Any:
        self.calls.append(options)
        if options.demo:
            return ScriptedEngine(name="demo", loaded=FakeLoaded("demo"))
        self.started.set()
        self.released.wait(timeout=240)  # a safety net for a failing test, not a synchronisation
        try:
            if self.slow_fails:
                raise UserError("the big model did not fit")
            return ScriptedEngine(name="big", loaded=FakeLoaded("big"))
        finally:
            self.slow_done.set()


@pytest.mark.parametrize("slow_fails", [False, True])
def test_a_load_left_behind_for_the_demo_model_does_not_replace_it(slow_fails: bool) -> None:
    loader = SlowThenDemo(slow_fails)

    async def scenario() -> None:
        app = create_app(LoadOptions(model="big"), loader=loader)
        posted = threading.Event()  # the load left behind has posted what it had (a failure posts nothing)
        post_message = app.post_message

        def spy(message: Any) -> bool:
            delivered = post_message(message)
            if isinstance(message, ModelLoaded) and message.engine.name == "big":
                posted.set()
            return delivered

        app.post_message = spy  # type: ignore[method-assign]
        async with app.run_test(size=(150, 45), notifications=True) as pilot:
            await wait_for(pilot, loader.started.is_set)
            await run_from_palette(pilot, "Load the demo model")
            await wait_for(pilot, lambda: app.engine is not None)
            assert app.engine.name == "demo"
            loader.released.set()
            await wait_for(pilot, posted.is_set if not slow_fails else loader.slow_done.is_set)
            await pilot.pause()
            assert app.engine is not None and app.engine.name == "demo"
            assert app.model_status.text.startswith("demo") and not app.model_status.failed, app.model_status
            assert not any("did not fit" in str(n.message) for n in app._notifications)

    asyncio.run(scenario())


def test_try_again_pressed_twice_at_once_loads_once_and_never_shows_the_password() -> None:
    def unavailable(handler: StubHandler, body: dict[str, Any]) -> None:
        handler.send_json({"error": "starting up"}, status=503)

    async def scenario(url: str) -> None:
        secret_url = url.replace("http://", "http://alice:s3cret@")
        app = create_app(LoadOptions(server=secret_url))
        started = []
        load_model = app.load_model
        app.load_model = lambda options: started.append(options) or load_model(options)  # type: ignore[method-assign]
        async with app.run_test(size=(150, 45), notifications=True) as pilot:
            await wait_for(pilot, lambda: app.model_status.failed)
            for attempt in range(2, 5):
                app.action_retry_load()  # a double click: both presses before the button hides
                app.action_retry_load()
                await wait_for(pilot, lambda: app.model_status.failed)
                assert sum(path == "/v1/models" for path, _, _ in seen) == len(started) == attempt
                assert app.query_one("#retry-load").display
            commands = {command.title: command.help for command in app.palette_commands()}
            assert commands["Try loading again"] == f"Connect to {url} again"
            shown = [app.model_status.text, app.export_screenshot(), *commands.values(),
                     *(str(n.message) for n in app._notifications)]
            assert "503" in app.model_status.text
            assert not [text for text in shown if "s3cret" in text or "alice" in text]

    with stub_server({"/v1/models": unavailable}) as (url, seen):
        asyncio.run(scenario(url))
